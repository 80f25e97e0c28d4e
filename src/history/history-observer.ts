import type { CommitObserver } from '../core/phases.js'
import type { Retention } from '../core/transaction-options.js'
import { discardHistoryLeftovers, discardVersion, finishHistory, ownStore, recordVersion } from './record.js'
import { hasVersion } from './versions.js'

/**
 * What commits do with the history: record each new output as a version (`bundler` is noted in
 * it, `root` is where its git commit is looked up), or make outDir a recorded version again
 * (rollback: nothing recorded or pruned). Without either they take no part; recovery still
 * finishes or undoes what an interrupted commit left.
 */
export type HistoryPart = { record: Retention; bundler: string | null; root: string } | { restores: string }

/**
 * The build history's part in a commit (core/phases.ts): before the commit point the new output's
 * files are stored and its version record written; after it the version is listed in the index
 * and retention applied; a rolled-back commit's record goes again. Its journal record is the
 * retention, so recovery finishes a commit with the retention it started with.
 */
export function historyObserver(part?: HistoryPart): CommitObserver {
  return {
    name: 'history',
    async planned(ctx, commit) {
      if (part === undefined) return {}
      if ('restores' in part) return { version: part.restores }
      // Refused before anything is staged, so a planted history/ link leaves no journal behind.
      const paths = await ownStore(ctx)
      // A build equal to the version outDir holds adds no version; with nothing to publish the
      // output is recorded only when outDir holds none yet (history just turned on).
      const held = commit.previous?.version
      const keeps = !commit.changes && held !== undefined && (await hasVersion(ctx.fs, paths, held))
      return { version: keeps ? held : commit.txId, record: part.record }
    },
    async prepared(ctx, commit) {
      if (commit.manifest.version !== commit.txId || part === undefined || !('record' in part)) return
      const { txId, manifest, previous } = commit
      await recordVersion(ctx, {
        txId,
        committedAt: manifest.committedAt,
        bundler: part.bundler,
        root: part.root,
        previous,
        manifest,
        file: commit.file,
      })
    },
    async committed(ctx, { txId, manifest }, record) {
      await finishHistory(ctx, record as Retention, manifest.version === txId ? txId : undefined, manifest.version)
    },
    rolledBack: (ctx, txId) => discardVersion(ctx, txId),
    leftovers: (ctx) => discardHistoryLeftovers(ctx),
  }
}
