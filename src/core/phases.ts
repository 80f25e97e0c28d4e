/**
 * The phases of a commit, for what takes part in it without being the output itself: the build
 * history today (src/history/history-observer.ts). The engine calls the observers it is given
 * (openTransaction, recoverOutDir, withRecoveredState) and imports none of them, so core/ works
 * without any, history off included.
 *
 *   planned     lock held, plan made, nothing staged: may refuse the commit (throw), names the
 *               version the new manifest records, and returns a record for the journal, or no
 *               record to sit this commit out (then it is not called again for it).
 *   prepared    journal `prepared` written, nothing published yet: work that must exist before
 *               the commit point (history: store the files, write the version record).
 *   committed   past the commit point, manifest written; also when recovery rolls a commit forward.
 *   rolledBack  the commit was undone, by the engine after a failure or by recovery.
 *   leftovers   recovery, lock held: remove what a run interrupted outside any journal left.
 *
 * Recovery hands back the record the journal kept, so prepared/committed/rolledBack must be
 * idempotent: after a crash they may run again.
 */
import type { EngineContext } from './context.js'
import type { Manifest } from './manifest.js'

export interface CommitObserver {
  /** Its key in the journal's `observers`. */
  readonly name: string
  planned(ctx: EngineContext, commit: PlannedCommit): Promise<Participation>
  prepared(ctx: EngineContext, commit: PreparedCommit, record: unknown): Promise<void>
  committed(ctx: EngineContext, commit: CommittedCommit, record: unknown): Promise<void>
  rolledBack(ctx: EngineContext, txId: string, record: unknown): Promise<void>
  /** Returns how many leftovers it removed. */
  leftovers(ctx: EngineContext): Promise<number>
}

export interface PlannedCommit {
  txId: string
  /** The manifest of the last commit, if any. */
  previous: Manifest | undefined
  /** Whether the commit changes anything in outDir. */
  changes: boolean
}

export interface Participation {
  /** The version the new manifest records (`status`, `history`); the first observer naming one wins. */
  version?: string
  /** Kept in the journal (JSON) and handed to the later phases; without it the observer sits the commit out. */
  record?: unknown
}

export interface CommittedCommit {
  txId: string
  /** The manifest of the new output. */
  manifest: Manifest
}

export interface PreparedCommit extends CommittedCommit {
  previous: Manifest | undefined
  /** A file of the new output: its bytes, and where they are on disk now (staged, or unchanged in outDir). */
  file(path: string): { contents: Uint8Array; source: string }
}
