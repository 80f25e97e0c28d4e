import fs from 'node:fs'
import path from 'node:path'
import type { ResolvedTransactionOptions } from '../core/transaction-options.js'
import { sweepStaleStaging } from '../adapters/staging.js'
import type { CommandExit, FinishedCommand, StartedCommand } from './child.js'
import { lockOutDir, outDirExists, seedDir } from '../adapters/outdir-lock.js'

/**
 * Runs a command that writes `staging`, a sibling of outDir (see core/bundler-staging.ts);
 * outDir is not touched. The staging dir starts as a copy of outDir (taken under the lock, so it
 * is one committed state), or empty with `fresh`. A runner killed meanwhile leaves only the
 * staging dir, which `recover` and the next build remove once its pid is gone.
 */
export async function runRedirected(opts: ResolvedTransactionOptions, staging: string, fresh: boolean, start: () => StartedCommand): Promise<FinishedCommand> {
  const remove = async (): Promise<void> => fs.rmSync(staging, { recursive: true, force: true })
  sweepStaleStaging(opts.outDir)
  await remove()
  let exit: CommandExit
  try {
    fs.mkdirSync(path.dirname(staging), { recursive: true })
    if (fresh) seedDir(staging, undefined)
    else {
      const { ctx, release } = await lockOutDir(opts)
      try {
        seedDir(staging, (await outDirExists(ctx)) ? opts.outDir : undefined)
      } finally {
        await release()
      }
    }
    exit = await start().exit
  } catch (error) {
    await remove()
    throw error
  }
  return { exit, output: staging, finish: remove }
}
