/**
 * The write-ahead journal: `<stateDir>/journal.json`, one JSON object, replaced atomically
 * (state-file.ts: temp file + fsync + rename; the state dir is fsynced after it when
 * durability is not `none`). It exists only while a commit is in progress.
 *
 *   {
 *     "format": "emit-optimizer/journal@1",
 *     "state": "prepared" | "committed",
 *     "txId": "m3k2p1-4f1c", "strategy": "incremental" | "swap" | "symlink",
 *     "outDir": "/abs/dist", "pid": 4242, "createdAt": "2026-11-22T10:00:00.000Z",
 *     "manifest": { …the manifest of the new output; only in the `committed` journal… },
 *     "observers": { "history": { "keep": 10, "maxAgeDays": null } }   what the observers taking
 *                                           part keep (phases.ts); here: the commit records a version
 *
 *     incremental:
 *     "txDir": "/abs/state/tx-<id>",        staged files (s/<n>) and backups (b/<n>)
 *     "dirs": ["assets", "assets/img"],      directories this commit creates in outDir, parents first
 *     "ops": [                               in publish order
 *       { "op": "put", "path": "assets/a.js", "group": 0, "stage": "s/0", "backup": "b/0" | null },
 *       { "op": "del", "path": "old.js", "backup": "b/d1" }   ("early": true when a new directory takes its place)
 *       { "op": "del", "path": "pages", "backup": "b/r0", "early": true, "dir": true }
 *                                          a directory a new file takes the place of, moved aside whole
 *     ]
 *
 *     swap:     "next": "/abs/.dist.eo-next", "prev": "/abs/.dist.eo-prev", "hadOutDir": true
 *     symlink:  "build": "/abs/state/builds/<id>", "link": "/abs/.dist.eo-link",
 *               "previousTarget": "<link text>" | null, "migrated": "/abs/state/builds/<id>" | null
 *   }
 *
 * Sequence: stage everything (nothing in outDir changes) → journal `prepared` → observers'
 * `prepared` (history: objects + `history/versions/<txId>.json`) → publish → fsync touched
 * directories → journal `committed` (the commit point) → manifest → cleanup → observers'
 * `committed` (history: index and retention) → journal removed.
 *
 * Recovery (at the start of the next transaction, `emit-optimizer recover`, or `recover()`):
 * - `prepared`: roll back. Each op is undone from what is on disk, so undoing twice is harmless:
 *   first puts (one whose staged file still exists was never published; one whose stage is gone
 *   is undone by renaming its backup back, or unlinking the new file when there was none and
 *   what is at its path is not already the restored directory), then created directories are
 *   removed if empty, then dels whose backup exists are renamed back (a `dir` del brings back the
 *   whole directory a new file had replaced);
 *   then each observer's `rolledBack` (history: the version record and the objects only it added go).
 * - `committed`: roll forward: write the journal's manifest, drop backups, remove emptied dirs,
 *   then each observer's `committed` (history: list the version in the index).
 * - always after that: drop leftover staging (`tx-*`, `.eo-next`, unreferenced builds) and each
 *   observer's `leftovers`.
 * So after a crash at any instant, outDir holds exactly the old or exactly the new output.
 */
import { EmitOptimizerError } from '../errors.js'
import { readTextOrUndefined, type EngineFs } from './fs.js'
import type { Manifest } from './manifest.js'
import type { PublishGroup } from './publish-order.js'

export const JOURNAL_FORMAT = 'emit-optimizer/journal@1'

export interface PutOp {
  op: 'put'
  path: string
  /** publish group: 0 assets, 1 code, 2 entry points */
  group: PublishGroup
  stage: string
  backup: string | null
}
export interface DelOp {
  op: 'del'
  path: string
  backup: string
  /** A stale file where a new directory must go, or a directory where a new file must go: removed before anything is published. */
  early?: true
  /** The path is a directory (directory → file): renamed into the backup area with everything in it, renamed back on rollback. */
  dir?: true
}
export type JournalOp = PutOp | DelOp

interface JournalBase {
  format: typeof JOURNAL_FORMAT
  state: 'prepared' | 'committed'
  txId: string
  outDir: string
  pid: number
  createdAt: string
  manifest: Manifest
  /** The records of the observers taking part (phases.ts), by name. */
  observers?: Record<string, unknown>
}

export interface IncrementalJournal extends JournalBase {
  strategy: 'incremental'
  txDir: string
  dirs: string[]
  ops: JournalOp[]
}

export interface SwapJournal extends JournalBase {
  strategy: 'swap'
  next: string
  prev: string
  hadOutDir: boolean
}

export interface SymlinkJournal extends JournalBase {
  strategy: 'symlink'
  build: string
  link: string
  previousTarget: string | null
  migrated: string | null
}

export type Journal = IncrementalJournal | SwapJournal | SymlinkJournal

export async function readJournal(efs: EngineFs, file: string): Promise<Journal | undefined> {
  const text = await readTextOrUndefined(efs, file)
  if (text === undefined) return undefined
  try {
    const journal = JSON.parse(text) as Journal
    if (
      journal?.format !== JOURNAL_FORMAT ||
      !['prepared', 'committed'].includes(journal.state) ||
      !['incremental', 'swap', 'symlink'].includes(journal.strategy) ||
      (journal.state === 'committed' && typeof journal.manifest !== 'object')
    ) {
      throw new Error(`unknown format or state`)
    }
    // Journals written before observers had a key of their own carried the history's record as `history`.
    const legacy = journal as Journal & { history?: unknown }
    if (legacy.history !== undefined) return { ...journal, observers: { history: legacy.history, ...journal.observers } }
    return journal
  } catch (error) {
    throw new EmitOptimizerError(
      'EO_JOURNAL_CORRUPT',
      `the journal of an interrupted commit cannot be read: "${file}" (${(error as Error).message}). ` +
        `Nothing was changed. Inspect outDir, then delete the journal and run "emit-optimizer verify" to list any drift.`,
      { path: file, cause: error },
    )
  }
}

export async function writeJournal(efs: EngineFs, file: string, journal: Journal, fsync: boolean): Promise<void> {
  // Only roll-forward needs the manifest: leaving it out of `prepared` halves that write.
  const text = journal.state === 'committed' ? JSON.stringify(journal) : JSON.stringify({ ...journal, manifest: undefined })
  await efs.writeFileAtomic(file, text, { fsync, mode: 0o600 })
}
