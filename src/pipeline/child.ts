import { spawn, type ChildProcess } from 'node:child_process'
import os from 'node:os'

/** Signals the runner forwards to the command (and that make the run fail). */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

export interface CommandExit {
  /** Exit code, or null when a signal ended the command. */
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** A signal the runner received (and forwarded) while the command ran: the run failed, whatever the exit code. */
  interrupted: NodeJS.Signals | null
  /** The command could not be started (e.g. ENOENT: not found on PATH). */
  spawnError: Error | null
}

/** A command that has ended: its exit, and the directory it left (to commit on success), removed by `finish`. */
export interface FinishedCommand {
  exit: CommandExit
  /** Redirect: the staging dir; in place: what the command left in outDir, moved aside. */
  output: string
  /** Removes `output` (and an in-place session file) once it is committed or given up. */
  finish(): Promise<void>
}

export interface StartedCommand {
  readonly pid: number
  /** Lets a gated command start (see `gated`). */
  release(): void
  readonly exit: Promise<CommandExit>
}

export interface StartOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  /** Where the command's stdout goes. */
  stdout: 'inherit' | NodeJS.WritableStream
  /**
   * In its own process group, held before `exec` until `release()`: the caller records the pid
   * first, so whoever recovers after the runner was SIGKILLed can kill the whole group (an orphan
   * must not write into a restored outDir). stdin is not passed on: a background process group
   * that reads the terminal would stop.
   */
  gated: boolean
}

/**
 * The gate: `sh` waits for a line on fd 3 and then execs the command; if the runner dies first,
 * fd 3 reaches EOF and the command never starts.
 */
const GATE = 'read -r _ <&3 || exit 125; exec 3<&-; exec "$@"'

/** The exit code a shell would report: the code, or 128 + the signal number. */
export function exitCodeOf(exit: Pick<CommandExit, 'exitCode' | 'signal'>): number {
  if (exit.exitCode !== null) return exit.exitCode
  const number = exit.signal ? os.constants.signals[exit.signal] : undefined
  return 128 + (number ?? 0)
}

/** Starts `command[0]` with the rest as arguments (no shell), forwarding SIGINT/SIGTERM/SIGHUP. */
export function startCommand(command: readonly string[], options: StartOptions): StartedCommand {
  const [file, ...args] = command as [string, ...string[]]
  const stdout = options.stdout === 'inherit' ? 'inherit' : 'pipe'
  const child: ChildProcess = options.gated
    ? spawn('/bin/sh', ['-c', GATE, 'emit-optimizer-run', file, ...args], {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        stdio: ['ignore', stdout, 'inherit', 'pipe'],
      })
    : spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['inherit', stdout, 'inherit'] })
  if (options.stdout !== 'inherit') child.stdout!.pipe(options.stdout, { end: false })
  const gate = options.gated ? (child.stdio[3] as NodeJS.WritableStream & { on(event: 'error', fn: () => void): unknown }) : undefined
  // The command may exit (or never start) before the gate is written to.
  gate?.on('error', () => {})

  let interrupted: NodeJS.Signals | null = null
  const forward = (signal: NodeJS.Signals): void => {
    interrupted ??= signal
    try {
      if (options.gated && child.pid !== undefined && child.pid > 1) process.kill(-child.pid, signal)
      else child.kill(signal)
    } catch {
      // Already gone.
    }
  }
  for (const signal of FORWARDED) process.on(signal, forward)

  const exit = new Promise<CommandExit>((resolve) => {
    let spawnError: Error | null = null
    child.once('error', (error) => {
      spawnError = error
      // 'close' does not follow a failed spawn.
      if (child.pid === undefined) done(null, null)
    })
    const done = (exitCode: number | null, signal: NodeJS.Signals | null): void => {
      for (const s of FORWARDED) process.off(s, forward)
      resolve({ exitCode, signal, interrupted, spawnError })
    }
    child.once('close', (code, signal) => done(code, signal))
  })
  return {
    pid: child.pid ?? -1,
    release: () => gate?.end('go\n'),
    exit,
  }
}
