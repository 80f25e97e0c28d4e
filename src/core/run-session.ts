import { readFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { EmitOptimizerError } from '../errors.js'
import type { EngineContext } from './context.js'
import { ignoring, lstatOrUndefined, readTextOrUndefined, type EngineFs } from './fs.js'
import { processStartTicks } from './lock.js'

/**
 * An in-place `emit-optimizer run` session: a command that cannot be pointed at another directory
 * writes outDir itself. While it runs, the previous output is kept aside as a sibling
 * `<parent>/.<name>.eo-kept-<pid>` (renamed, so its files keep their inodes and mtimes) and the
 * command works on a copy of it (or an empty directory). The session file
 * `<stateDir>/run-session.json` records this until the previous output is back in place:
 *
 *   {
 *     "format": "emit-optimizer/run-session@1",
 *     "phase": "running" | "committing",
 *     "outDir": "/abs/dist", "hadOutDir": true,
 *     "kept": "/abs/.dist.eo-kept-4242", "work": "/abs/.dist.eo-staging-4242",
 *     "pid": 4242, "procStart": "81234",                  the runner
 *     "child": { "pid": 4250, "procStart": "81240" } | null, the command's process group
 *     "command": "sh -c 'rm -rf dist && …'", "createdAt": "2026-12-02T07:00:00.000Z"
 *   }
 *
 * Sequence (the runner holds outDir's lock from the first step until `committing`):
 * session `running` → copy outDir to `work` → rename outDir → `kept` → rename `work` → outDir →
 * start the command (held at a gate until `child` is recorded) → command ends → rename outDir →
 * `work` → rename `kept` → outDir → failure: remove `work` and the session; success: session
 * `committing`, lock released, `work` committed to outDir as one engine transaction (its own
 * journal), `work` and the session removed.
 *
 * Recovery (recoverPending, under the lock; a session whose runner is alive is left alone):
 * - `running`: the command's process group is killed first (an orphan must not write into the
 *   restored output); then, when `kept` exists, outDir is moved out of the way and `kept` renamed
 *   back; when it does not, outDir is already the previous output (the swap had not happened or
 *   was already undone), except when there was no outDir before the session: then whatever the
 *   command created is removed. `work` is removed.
 * - `committing`: outDir already holds the previous output and the engine's journal covers the
 *   commit: only `work` is removed.
 * Every step is a rename or a removal that is skipped when already done, so recovering twice is
 * harmless.
 */
export const RUN_SESSION_FORMAT = 'emit-optimizer/run-session@1'

export interface ProcessId {
  pid: number
  /** Linux start time in clock ticks (tells a reused pid apart); absent elsewhere. */
  procStart?: string
}

export interface RunSession extends ProcessId {
  format: typeof RUN_SESSION_FORMAT
  phase: 'running' | 'committing'
  outDir: string
  hadOutDir: boolean
  kept: string
  work: string
  child: ProcessId | null
  command: string
  createdAt: string
}

export interface RecoveredRun {
  command: string
  pid: number
  /** `restored`: the previous output was put back; `cleaned`: it was in place, leftovers removed. */
  action: 'restored' | 'cleaned'
  /** The command's process group was still running and was killed. */
  killedOrphan: boolean
}

export function runSessionPath(stateDir: string): string {
  return path.join(stateDir, 'run-session.json')
}

/** Where the previous output waits while an in-place command runs. */
export function keptDirFor(outDir: string, pid = process.pid): string {
  return path.join(path.dirname(outDir), `.${path.basename(outDir)}.eo-kept-${pid}`)
}

export function processId(pid: number): ProcessId {
  const procStart = processStartTicks(pid)
  return procStart === undefined ? { pid } : { pid, procStart }
}

/** Whether the process is still running (a zombie is not: it can no longer write). */
export function isRunning(id: ProcessId): boolean {
  try {
    process.kill(id.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
  }
  if (process.platform !== 'linux') return true
  let stat: string
  try {
    stat = readFileSync(`/proc/${id.pid}/stat`, 'utf8')
  } catch {
    return false
  }
  const fields = stat
    .slice(stat.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/)
  if (fields[0] === 'Z' || fields[0] === 'X') return false
  return id.procStart === undefined || fields[19] === id.procStart
}

export async function readRunSession(efs: EngineFs, stateDir: string, outDir: string): Promise<RunSession | undefined> {
  const file = runSessionPath(stateDir)
  const text = await readTextOrUndefined(efs, file)
  if (text === undefined) return undefined
  try {
    const session = JSON.parse(text) as RunSession
    if (
      session?.format !== RUN_SESSION_FORMAT ||
      !['running', 'committing'].includes(session.phase) ||
      typeof session.kept !== 'string' ||
      typeof session.work !== 'string'
    )
      throw new Error('unknown format or phase')
    return session
  } catch (error) {
    throw new EmitOptimizerError(
      'EO_JOURNAL_CORRUPT',
      `the session file of an interrupted "emit-optimizer run --in-place" cannot be read: "${file}" (${(error as Error).message}). Nothing was changed. ` +
        `A previous output may be waiting in a ".${path.basename(outDir)}.eo-kept-<pid>" directory next to outDir: ` +
        `rename it back to ${outDir} if outDir is damaged, then delete the session file.`,
      { path: file, cause: error },
    )
  }
}

export async function writeRunSession(ctx: EngineContext, session: RunSession): Promise<void> {
  await ctx.fs.writeFileAtomic(runSessionPath(ctx.paths.dir), JSON.stringify(session), { fsync: ctx.fsync, mode: 0o600 })
  if (ctx.fsync) await ctx.fs.fsyncPath(ctx.paths.dir)
}

export async function removeRunSession(ctx: EngineContext): Promise<void> {
  await ignoring(ctx.fs.unlink(runSessionPath(ctx.paths.dir)))
  if (ctx.fsync) await ctx.fs.fsyncPath(ctx.paths.dir)
}

/**
 * Puts the previous output back in place: outDir (the command's output, complete or not) goes
 * to `work`, `kept` back to outDir. Idempotent; afterwards outDir is the previous output and
 * `work` holds whatever the command left (or nothing).
 */
export async function swapBack(ctx: EngineContext, session: Pick<RunSession, 'outDir' | 'kept' | 'work' | 'hadOutDir'>): Promise<void> {
  const kept = await lstatOrUndefined(ctx.fs, session.kept)
  if (!kept && session.hadOutDir) return
  await ctx.fs.rm(session.work, { recursive: true, force: true })
  await ignoring(ctx.fs.rename(session.outDir, session.work))
  if (kept) await ctx.fs.rename(session.kept, session.outDir)
  if (ctx.fsync) await ctx.fs.fsyncPath(path.dirname(session.outDir))
}

/** SIGKILLs a process group and waits (bounded) until its leader is gone. */
async function killGroup(child: ProcessId): Promise<boolean> {
  // A group id of 0 or 1 would mean our own group or every process: never from a valid session.
  if (!Number.isInteger(child.pid) || child.pid <= 1 || !isRunning(child)) return false
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
  // SIGKILL is delivered at once; a process inside a slow syscall (NFS) finishes that one first.
  for (let waited = 0; isRunning(child) && waited < 10_000; waited += 20) await sleep(20)
  return true
}

/** Recovers an in-place run whose runner is gone; see the rules above. The caller holds the lock. */
export async function recoverRunSession(ctx: EngineContext): Promise<RecoveredRun | undefined> {
  const session = await readRunSession(ctx.fs, ctx.paths.dir, ctx.outDir)
  if (!session || isRunning(session)) return undefined
  if (session.outDir !== ctx.outDir) {
    throw new EmitOptimizerError(
      'EO_JOURNAL_CORRUPT',
      `the run session "${runSessionPath(ctx.paths.dir)}" belongs to outDir ${session.outDir}, not ${ctx.outDir}. ` +
        `Nothing was changed; run "emit-optimizer recover --out ${session.outDir}" or pass the stateDir of this outDir.`,
      { path: runSessionPath(ctx.paths.dir) },
    )
  }
  let killedOrphan = false
  let action: RecoveredRun['action'] = 'cleaned'
  if (session.phase === 'running') {
    if (session.child) killedOrphan = await killGroup(session.child)
    if ((await lstatOrUndefined(ctx.fs, session.kept)) || !session.hadOutDir) {
      await swapBack(ctx, session)
      action = 'restored'
    }
  }
  await ctx.fs.rm(session.work, { recursive: true, force: true })
  await removeRunSession(ctx)
  return { command: session.command, pid: session.pid, action, killedOrphan }
}
