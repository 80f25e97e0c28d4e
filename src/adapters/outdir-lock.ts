import fs from 'node:fs'
import { createEngineContext, type EngineContext } from '../core/context.js'
import { lstatOrUndefined } from '../core/fs.js'
import { claimOutDir } from '../core/outdir-claim.js'
import type { ResolvedTransactionOptions } from '../core/transaction-options.js'
import { recoverPending } from '../core/recover.js'
import { resolveStateDir } from '../core/state-dir.js'
import { EmitOptimizerError } from '../errors.js'
import { historyObserver } from '../history/history-observer.js'

export interface LockedOutDir {
  ctx: EngineContext
  release(): Promise<void>
}

/**
 * Takes outDir's locks (the ones every commit takes) and recovers what an interrupted commit or
 * run left, so outDir holds exactly its last committed output while the caller works.
 */
export async function lockOutDir(opts: ResolvedTransactionOptions): Promise<LockedOutDir> {
  const dir = await resolveStateDir(opts)
  const ctx = createEngineContext(opts, dir)
  const observers = [historyObserver()]
  const claim = await claimOutDir(ctx, opts.lockTimeoutMs, (other) => recoverPending(other, observers))
  try {
    await recoverPending(ctx, observers)
    await claim.recovered()
  } catch (error) {
    await claim.release()
    throw error
  }
  return { ctx, release: () => claim.release() }
}

/** Whether outDir exists; EO_OUTDIR_INVALID when it is something other than a directory. */
export async function outDirExists(ctx: EngineContext): Promise<boolean> {
  const stats = await lstatOrUndefined(ctx.fs, ctx.outDir)
  if (stats === undefined) return false
  if (!stats.isDirectory())
    throw new EmitOptimizerError(
      'EO_OUTDIR_INVALID',
      `outDir exists and is not a directory${stats.isSymbolicLink() ? ' (a symlink)' : ''}: "${ctx.outDir}". Remove it or choose another --out.`,
      { path: ctx.outDir },
    )
  return true
}

/**
 * Fills `dir` (which must not exist) with a copy of `from`: same bytes, modes, mtimes and
 * symlinks, reflinked where the filesystem can (btrfs, XFS), so the command finds exactly what
 * it would find in outDir. Never hard links: a tool rewriting a file in place would write
 * through the link into the kept output.
 */
export function seedDir(dir: string, from: string | undefined): void {
  if (from === undefined) fs.mkdirSync(dir)
  else
    fs.cpSync(from, dir, {
      recursive: true,
      preserveTimestamps: true,
      verbatimSymlinks: true,
      mode: fs.constants.COPYFILE_FICLONE,
      errorOnExist: true,
      force: false,
    })
}
