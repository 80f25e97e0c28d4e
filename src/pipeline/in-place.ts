import fs from 'node:fs'
import path from 'node:path'
import { stagingDirFor } from '../core/bundler-staging.js'
import type { ResolvedTransactionOptions } from '../core/transaction-options.js'
import { keptDirFor, processId, removeRunSession, RUN_SESSION_FORMAT, swapBack, writeRunSession, type RunSession } from '../core/run-session.js'
import type { FinishedCommand, StartedCommand } from './child.js'
import { lockOutDir, outDirExists, seedDir } from '../adapters/outdir-lock.js'

/**
 * Runs a command that writes outDir itself (see the session rules in core/run-session.ts). The
 * previous output is renamed aside for the command's duration and the command works on a copy
 * (or an empty directory with `fresh`); when it ends, the previous output is renamed back, so
 * outDir is exactly the previous output again whatever the command did, and the command's
 * result waits in `output` to be committed as one transaction.
 *
 * The lock is held from before the first rename until the previous output is back: no other
 * build commits to outDir meanwhile (it waits, up to its lock timeout).
 */
export async function runInPlace(opts: ResolvedTransactionOptions, command: string, fresh: boolean, start: () => StartedCommand): Promise<FinishedCommand> {
  const { ctx, release } = await lockOutDir(opts)
  try {
    const hadOutDir = await outDirExists(ctx)
    const session: RunSession = {
      format: RUN_SESSION_FORMAT,
      phase: 'running',
      outDir: opts.outDir,
      hadOutDir,
      kept: keptDirFor(opts.outDir),
      work: stagingDirFor(opts.outDir),
      ...processId(process.pid),
      child: null,
      command,
      createdAt: new Date().toISOString(),
    }
    await writeRunSession(ctx, session)
    let started: StartedCommand | undefined
    try {
      fs.rmSync(session.work, { recursive: true, force: true })
      fs.mkdirSync(path.dirname(opts.outDir), { recursive: true })
      seedDir(session.work, fresh || !hadOutDir ? undefined : opts.outDir)
      if (hadOutDir) await ctx.fs.rename(opts.outDir, session.kept)
      await ctx.fs.rename(session.work, opts.outDir)
      if (ctx.fsync) await ctx.fs.fsyncPath(path.dirname(opts.outDir))
      started = start()
      // Recorded before the gate opens: a recovery after our SIGKILL kills the command's group.
      session.child = started.pid > 1 ? processId(started.pid) : null
      await writeRunSession(ctx, session)
      started.release()
      const exit = await started.exit
      await swapBack(ctx, session)
      const ok = exit.exitCode === 0 && exit.interrupted === null && exit.spawnError === null
      if (!ok) {
        fs.rmSync(session.work, { recursive: true, force: true })
        await removeRunSession(ctx)
        return { exit, output: session.work, finish: async () => undefined }
      }
      await writeRunSession(ctx, { ...session, phase: 'committing' })
      return {
        exit,
        output: session.work,
        finish: async () => {
          fs.rmSync(session.work, { recursive: true, force: true })
          await removeRunSession(ctx)
        },
      }
    } catch (error) {
      // Our own failure (a rename, the state dir): stop the command, put the previous output back.
      if (started) {
        try {
          if (started.pid > 1) process.kill(-started.pid, 'SIGKILL')
        } catch {
          // already gone
        }
        await started.exit
      }
      await swapBack(ctx, session)
      fs.rmSync(session.work, { recursive: true, force: true })
      await removeRunSession(ctx)
      throw error
    }
  } finally {
    await release()
  }
}
