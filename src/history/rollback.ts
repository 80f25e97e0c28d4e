import { resolveTransactionOptions, type TransactionOptions } from '../core/options.js'
import { openTransaction, type CommitResult } from '../core/transaction.js'
import { listHistory, resolveVersionRef } from './inspect.js'
import { ObjectStore } from './objects.js'
import { historyPaths } from './paths.js'
import { readVersion } from './versions.js'
import { EmitOptimizerError } from '../errors.js'
import { locate } from '../core/inspect.js'
import { readManifest } from '../core/manifest.js'

export type RollbackOptions = Omit<TransactionOptions, 'outDir' | 'history' | 'bundler'> & {
  /**
   * The version to restore: an id, a unique prefix, `latest` or `previous`.
   * @default 'previous' (the version before the one outDir holds)
   */
  to?: string
}

export interface RollbackOutcome extends CommitResult {
  /** The version outDir held before, or null when it held none. */
  from: string | null
  /** The version outDir holds now. */
  to: string
}

/**
 * Restores outDir to a version of its build history as one transaction (journal, lock, publish
 * order and recovery as for a build): only files that differ are rewritten, files the restored
 * version lacks are deleted. Every stored file is verified against its sha256 before anything is
 * touched. The strategy is the last commit's unless given.
 */
export async function rollback(outDir: string, options: RollbackOptions = {}): Promise<RollbackOutcome> {
  const { to = 'previous', ...rest } = options
  const view = await listHistory(outDir, rest)
  const target = resolveVersionRef(view, to)
  const { efs, paths } = await locate(outDir, rest)
  const manifest = await readManifest(efs, paths.manifest)
  const opts = resolveTransactionOptions({ ...rest, outDir, strategy: rest.strategy ?? manifest?.strategy })
  const history = historyPaths(paths.dir)
  const version = await readVersion(efs, history, target.id)
  if (!version) throw new EmitOptimizerError('EO_HISTORY_CORRUPT', `the record of version ${target.id} is missing: "${history.version(target.id)}". Run "emit-optimizer history rebuild --out <dir>"; outDir was not changed.`, { path: history.version(target.id) })
  const store = new ObjectStore(efs, history)
  const tx = openTransaction(opts, version.id)
  for (const [rel, file] of Object.entries(version.files)) tx.write(rel, await store.read(file.sha256, rel, version.id), { mode: file.mode })
  const result = await tx.commit()
  return { ...result, from: view.current, to: version.id }
}
