import { resolveTransactionOptions, type TransactionOptions } from '../core/transaction-options.js'
import { openTransaction, type CommitResult } from '../core/transaction.js'
import { loadVersion, openHistory } from './history-api.js'
import { historyObserver } from './history-observer.js'
import { ObjectStore } from './objects.js'

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
  const opened = await openHistory(outDir, rest)
  const version = await loadVersion(opened, to)
  const opts = resolveTransactionOptions({ ...rest, outDir, strategy: rest.strategy ?? opened.strategy })
  const store = new ObjectStore(opened.efs, opened.paths)
  const tx = openTransaction(opts, [historyObserver({ restores: version.id })])
  for (const [rel, file] of Object.entries(version.files)) tx.write(rel, await store.read(file.sha256, rel, version.id), { mode: file.mode })
  const result = await tx.commit()
  return { ...result, from: opened.current, to: version.id }
}
