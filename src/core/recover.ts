import path from 'node:path'
import { EmitOptimizerError, errnoCode } from '../errors.js'
import { createEngineContext, type EngineContext } from './context.js'
import { ignoring, lstatOrUndefined, nodeFs, readdirNames, type EngineFs } from './fs.js'
import { readJournal, type Journal } from './journal.js'
import { claimOutDir, outDirFiles } from './outdir-claim.js'
import { readManifest, writeManifest } from './manifest.js'
import { resolveTransactionOptions, type Strategy, type TransactionOptions } from './transaction-options.js'
import type { CommitObserver } from './phases.js'
import { resolveStateDir } from './state-dir.js'
import { strategies } from './strategies/index.js'
import { discardSwapLeftovers } from './strategies/swap.js'
import { removeUnreferencedBuilds, symlinkTempPath } from './strategies/symlink.js'
import { staleStagingNames } from './bundler-staging.js'
import { recoverRunSession, type RecoveredRun } from './run-session.js'

export type RecoverOptions = Omit<TransactionOptions, 'outDir' | 'strategy' | 'clean' | 'publishOrder' | 'checkDiskSpace' | 'allowDangerousOutDir'>

export interface RecoverResult {
  outDir: string
  stateDir: string
  /** `rolled-back`: an interrupted commit was undone; `rolled-forward`: it had passed its commit point and was completed. */
  action: 'none' | 'rolled-back' | 'rolled-forward'
  txId?: string
  strategy?: Strategy
  /** Staging or backup entries removed that no journal referenced. */
  leftoversRemoved: number
  /** An `emit-optimizer run --in-place` whose runner was killed: what recovery did about it. */
  interruptedRun?: RecoveredRun
}

/**
 * Completes a commit whose journal says `committed`; idempotent. The manifest is written after
 * the strategy's cleanup, which unlinks names of inodes the new output shares (swap, symlink):
 * its mtime then bounds every output file's ctime, which the next plan relies on (stat-proof.ts).
 */
export async function finishCommitted(ctx: EngineContext, journal: Journal, observers: readonly CommitObserver[]): Promise<void> {
  await strategies[journal.strategy].finish(ctx, journal)
  await writeManifest(ctx.fs, ctx.paths.manifest, journal.manifest, ctx.fsync)
  for (const [observer, record] of participants(ctx, journal, observers))
    await observer.committed(ctx, { txId: journal.txId, manifest: journal.manifest }, record)
  await removeJournal(ctx)
}

/** A rolled-back commit's observers undo their `prepared` work; idempotent. */
export async function observersRolledBack(ctx: EngineContext, journal: Journal, observers: readonly CommitObserver[]): Promise<void> {
  for (const [observer, record] of participants(ctx, journal, observers)) await observer.rolledBack(ctx, journal.txId, record)
}

/** The observers the journal has records of, with their records; a record no observer passed in handles is skipped with a warning. */
function participants(ctx: EngineContext, journal: Journal, observers: readonly CommitObserver[]): Array<[CommitObserver, unknown]> {
  return Object.entries(journal.observers ?? {}).flatMap(([name, record]): Array<[CommitObserver, unknown]> => {
    const observer = observers.find((candidate) => candidate.name === name)
    if (observer) return [[observer, record]]
    ctx.logger.warn(`[emit-optimizer] commit ${journal.txId} on ${ctx.outDir}: its "${name}" part is skipped, nothing in this recovery handles it.`)
    return []
  })
}

/**
 * Not fsynced, whatever the durability: a removal lost to a power cut leaves the journal, and
 * recovery then finishes (or undoes) that commit again, which is idempotent; what the journal
 * guarded (outDir, the manifest) was made durable before.
 */
export async function removeJournal(ctx: EngineContext): Promise<void> {
  await ignoring(ctx.fs.unlink(ctx.paths.journal))
}

/**
 * Brings outDir back to exactly one committed state after an interrupted commit (see the rules
 * in journal.ts), then removes staging litter. The caller holds the lock.
 */
export async function recoverPending(ctx: EngineContext, observers: readonly CommitObserver[]): Promise<Omit<RecoverResult, 'outDir' | 'stateDir'>> {
  // First, so outDir is the directory the journal describes (the run's commit has its own journal).
  const interruptedRun = await recoverRunSession(ctx)
  const journal = await readJournal(ctx.fs, ctx.paths.journal)
  let result: Omit<RecoverResult, 'outDir' | 'stateDir'> = { action: 'none', leftoversRemoved: 0 }
  if (journal) {
    if (journal.outDir !== ctx.outDir) {
      throw new EmitOptimizerError(
        'EO_JOURNAL_CORRUPT',
        `the journal "${ctx.paths.journal}" belongs to outDir ${journal.outDir}, not ${ctx.outDir}. ` +
          `Nothing was changed; run "emit-optimizer recover --out ${journal.outDir}" or pass the stateDir of this outDir.`,
        { path: ctx.paths.journal },
      )
    }
    if (journal.state === 'committed') {
      await finishCommitted(ctx, journal, observers)
      result = { action: 'rolled-forward', txId: journal.txId, strategy: journal.strategy, leftoversRemoved: 0 }
    } else {
      await strategies[journal.strategy].rollback(ctx, journal)
      await observersRolledBack(ctx, journal, observers)
      await removeJournal(ctx)
      result = { action: 'rolled-back', txId: journal.txId, strategy: journal.strategy, leftoversRemoved: 0 }
    }
  }
  result.leftoversRemoved = await discardLeftovers(ctx, observers)
  return interruptedRun ? { ...result, interruptedRun } : result
}

/** Removes staging that no journal references (a commit killed before its journal was written), and the observers' leftovers. */
async function discardLeftovers(ctx: EngineContext, observers: readonly CommitObserver[]): Promise<number> {
  let names: string[]
  try {
    names = (await ctx.fs.readdir(ctx.paths.dir, { withFileTypes: true })).map((entry) => entry.name)
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0
    throw error
  }
  // tx-* are staging dirs; `<name>.<digits>` are temp files of the journal/manifest (state-file.ts).
  const litter = names.filter((name) => name.startsWith('tx-') || /^(journal|manifest)\.json\.\d+$/.test(name))
  await ctx.queue.each(litter, (name) => ctx.fs.rm(path.join(ctx.paths.dir, name), { recursive: true, force: true }))
  await discardSwapLeftovers(ctx)
  let observed = 0
  for (const observer of observers) observed += await observer.leftovers(ctx)
  await ignoring(ctx.fs.unlink(symlinkTempPath(ctx.outDir)))
  if (names.includes('builds')) {
    const manifest = await readManifest(ctx.fs, ctx.paths.manifest)
    const out = await lstatOrUndefined(ctx.fs, ctx.outDir)
    const linked = out?.isSymbolicLink() ? path.resolve(path.dirname(ctx.outDir), await ctx.fs.readlink(ctx.outDir)) : undefined
    await removeUnreferencedBuilds(ctx, [linked, manifest?.buildDir, manifest?.previousBuildDir])
  }
  return litter.length + observed
}

/**
 * Recovers outDir after a crash: an interrupted commit is rolled back (or forward when it had
 * reached its commit point) and staging litter is removed. Safe to call at any time. The
 * package's `recover` (history/engine.ts) passes the history observer.
 */
export async function recoverOutDir(outDir: string, options: RecoverOptions, observers: readonly CommitObserver[]): Promise<RecoverResult> {
  const { recovered } = await withRecoveredState(outDir, options, observers, async () => undefined)
  return { ...recovered, leftoversRemoved: recovered.leftoversRemoved + (await removeStaleStaging(options.fs ?? nodeFs, recovered.outDir)) }
}

/**
 * Removes the staging dirs a Vite/Rolldown build killed mid-build left next to outDir (see
 * bundler-staging.ts); otherwise only the next build of the same outDir would. A dir whose
 * process is alive belongs to a running build and stays.
 */
async function removeStaleStaging(efs: EngineFs, outDir: string): Promise<number> {
  const parent = path.dirname(outDir)
  const stale = staleStagingNames(outDir, await readdirNames(efs, parent))
  for (const name of stale) await efs.rm(path.join(parent, name), { recursive: true, force: true })
  return stale.length
}

/**
 * Runs `fn` holding outDir's lock, after recovering any interrupted commit (maintenance such as
 * history `gc`). `fn` does not run when outDir has no state dir (nothing was ever committed).
 */
export async function withRecoveredState<T>(
  outDir: string,
  options: RecoverOptions,
  observers: readonly CommitObserver[],
  fn: (ctx: EngineContext) => Promise<T>,
): Promise<{ recovered: RecoverResult; value: T | undefined }> {
  const resolved = resolveTransactionOptions({ ...options, outDir })
  const stateDir = await resolveStateDir(resolved)
  const ctx = createEngineContext(resolved, stateDir)
  // Without a state dir of ours, only another root's interrupted commit (named by outDir's owner marker) can need recovery.
  const marker = (await outDirFiles(ctx.fs, resolved.outDir)).owner
  if ((await lstatOrUndefined(ctx.fs, stateDir)) === undefined && (await lstatOrUndefined(ctx.fs, marker)) === undefined)
    return { recovered: { outDir: resolved.outDir, stateDir, action: 'none', leftoversRemoved: 0 }, value: undefined }
  const claim = await claimOutDir(ctx, resolved.lockTimeoutMs, (other) => recoverPending(other, observers))
  try {
    const recovered = await recoverPending(ctx, observers)
    await claim.recovered()
    return { recovered: { outDir: resolved.outDir, stateDir, ...recovered }, value: await fn(ctx) }
  } finally {
    await claim.release()
  }
}
