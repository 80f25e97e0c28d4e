/**
 * The engine as the package exports it: core's transaction and recovery with the build history
 * taking part (history-observer.ts). Commits record a version unless `history: false`; recovery
 * always finishes or undoes history work an interrupted commit left.
 */
import { recoverOutDir, type RecoverOptions, type RecoverResult } from '../core/recover.js'
import { openTransaction, type Transaction } from '../core/transaction.js'
import { resolveTransactionOptions, type TransactionOptions } from '../core/transaction-options.js'
import { historyObserver } from './history-observer.js'

/**
 * Starts a transaction on outDir. Nothing touches the disk until `commit()`; writes, deletes and
 * edits are collected (and coalesced) in memory.
 */
export function createTransaction(options: TransactionOptions): Transaction {
  const opts = resolveTransactionOptions(options)
  return openTransaction(opts, [historyObserver(opts.history === false ? undefined : { record: opts.history, bundler: opts.bundler, root: opts.root })])
}

/**
 * Recovers outDir after a crash: an interrupted commit is rolled back (or forward when it had
 * reached its commit point) and staging litter is removed. Safe to call at any time.
 */
export function recover(outDir: string, options: RecoverOptions = {}): Promise<RecoverResult> {
  return recoverOutDir(outDir, options, [historyObserver()])
}
