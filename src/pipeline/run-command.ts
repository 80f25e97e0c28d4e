import path from 'node:path'
import { IN_PLACE_ENV, stagingDirFor } from '../core/bundler-staging.js'
import type { EngineFs } from '../core/fs.js'
import { assertSafeOutDir } from '../core/guard.js'
import { resolveTransactionOptions } from '../core/transaction-options.js'
import { EmitOptimizerError } from '../errors.js'
import { captureDir } from '../adapters/staging.js'
import { startCapture, type PluginLogger } from '../plugin/capture.js'
import type { BuildReport } from '../observe/types.js'
import { createPluginInstance } from '../plugin/instance.js'
import type { Options } from '../plugin/plugin-options.js'
import { exitCodeOf, startCommand, type CommandExit } from './child.js'
import { runInPlace } from './in-place.js'
import { runRedirected } from './redirect.js'

/** Replaced, in every argument of the command, by the directory it must write. */
export const OUT_PLACEHOLDER = '{out}'
/** Set for the command (and everything it starts) to the directory it must write. */
export const OUT_ENV = 'EMIT_OPTIMIZER_OUT'

export type RunMode = 'redirect' | 'in-place'

export interface RunCommandOptions {
  /** The program and its arguments (run without a shell); `{out}` is replaced in each argument. */
  command: string[]
  /** The directory to publish to. Relative paths resolve against `root`. */
  outDir: string
  /**
   * Working directory of the command; relative paths resolve against it.
   * @default process.cwd()
   */
  root?: string
  /**
   * - `redirect`: the command writes a staging directory next to outDir (given as `{out}` and
   *   `$EMIT_OPTIMIZER_OUT`); outDir is untouched until the commit.
   * - `in-place`: the command writes outDir itself; the previous output is kept aside meanwhile.
   * @default 'redirect'
   */
  mode?: RunMode
  /**
   * Start the command with an empty directory instead of a copy of the current output (faster;
   * for tools that write their whole output every time).
   * @default false
   */
  fresh?: boolean
  /**
   * More environment variables set to the directory the command must write (besides `EMIT_OPTIMIZER_OUT`).
   * @default []
   */
  stageEnv?: string[]
  /**
   * Engine and report settings, as for the bundler plugin (`outDir` and `clean` are set by `run`:
   * outDir becomes exactly what the command left).
   * @default {}
   */
  plugin?: Omit<Options, 'outDir' | 'clean'>
  /** Receives the summary line and warnings. */
  logger: PluginLogger
  /**
   * Where the command's stdout goes (its stderr is always inherited).
   * @default 'inherit'
   */
  stdout?: 'inherit' | NodeJS.WritableStream
  /**
   * File system for locking, the session file and the in-place renames; tests wrap it to stop
   * the runner at chosen steps.
   * @default node:fs
   */
  fs?: EngineFs
}

export interface RunCommandResult {
  mode: RunMode
  /** The command as run, `{out}` replaced. */
  command: string[]
  /** The directory the command wrote. */
  dir: string
  exit: CommandExit
  /** What the run did to outDir (`committed`, or `rolled-back` with the previous output intact). */
  report: BuildReport
  /** For a CLI: the command's own failure code (128 + signal number when killed), 2 when the commit failed, else 0. */
  exitCode: number
}

export function substitute(command: readonly string[], dir: string): string[] {
  return command.map((arg) => arg.replaceAll(OUT_PLACEHOLDER, dir))
}

function describeCommand(command: readonly string[]): string {
  return command.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ')
}

/** Why a finished command is not published, or undefined when it succeeded. */
function failureOf(exit: CommandExit, command: string, outDir: string): EmitOptimizerError | undefined {
  const kept = `nothing was published; ${outDir} holds the previous output`
  if (exit.spawnError)
    return new EmitOptimizerError(
      'EO_COMMAND_FAILED',
      `the command could not be started: ${command} (${exit.spawnError.message}); ${kept}. ` +
        'Check the program name and PATH (npm scripts put node_modules/.bin on it).',
      { cause: exit.spawnError },
    )
  if (exit.interrupted)
    return new EmitOptimizerError('EO_COMMAND_FAILED', `interrupted by ${exit.interrupted} (forwarded to the command): ${command}; ${kept}.`)
  if (exit.exitCode !== 0)
    return new EmitOptimizerError(
      'EO_COMMAND_FAILED',
      `the command failed (${exit.signal ?? `exit code ${exit.exitCode}`}): ${command}; ${kept}. Fix the build error and run it again.`,
    )
  return undefined
}

/**
 * Runs a build command as one transaction on outDir: on success what it wrote is committed
 * (unchanged files untouched, files it no longer produces deleted), on failure, signal or kill
 * outDir keeps the previous output byte for byte. See docs/run.md.
 */
export async function runCommand(options: RunCommandOptions): Promise<RunCommandResult> {
  if (options.command.length === 0)
    throw new EmitOptimizerError('EO_INVALID_OPTION', 'no command given: pass the build command, e.g. ["tsc", "--outDir", "{out}"].')
  const mode = options.mode ?? 'redirect'
  const root = path.resolve(options.root ?? process.cwd())
  const instance = createPluginInstance({ ...options.plugin, clean: true })
  const plugin = instance.options
  const engine = resolveTransactionOptions({
    outDir: options.outDir,
    root,
    logger: options.logger,
    concurrency: plugin.concurrency,
    lockTimeoutMs: plugin.lockTimeoutMs,
    durability: plugin.durability,
    allowDangerousOutDir: plugin.allowDangerousOutDir,
    ...(options.fs ? { fs: options.fs } : {}),
    ...(plugin.stateDir === undefined ? {} : { stateDir: plugin.stateDir }),
  })
  const outDir = engine.outDir
  // Before the command runs: the commit deletes what the command did not leave (clean).
  await assertSafeOutDir(outDir, { root, allowDangerous: engine.allowDangerousOutDir, fs: engine.fs })
  if (mode === 'in-place' && process.platform === 'win32')
    throw new EmitOptimizerError(
      'EO_INVALID_OPTION',
      '--in-place needs a POSIX system (it holds the command at a /bin/sh gate in its own process group); ' +
        `on Windows point the tool at {out} instead (outDir: ${outDir}).`,
    )
  const dir = mode === 'redirect' ? stagingDirFor(outDir) : outDir
  const command = substitute(options.command, dir)
  const env: NodeJS.ProcessEnv = { ...process.env, [OUT_ENV]: dir }
  for (const name of options.stageEnv ?? []) env[name] = dir
  // A bundler plugin inside the command leaves outDir to its bundler: `run` holds the lock and owns the transaction.
  if (mode === 'in-place') env[IN_PLACE_ENV] = outDir
  const start = (gated: boolean) => startCommand(command, { cwd: root, env, stdout: options.stdout ?? 'inherit', gated })
  const text = describeCommand(command)
  const capture = () => startCapture(instance, { bundler: 'command', outDir, root, bundlerCleans: true, logger: options.logger })

  const { exit, output, finish } =
    mode === 'in-place'
      ? await runInPlace(engine, text, options.fresh ?? false, () => start(true))
      : await runRedirected(engine, dir, options.fresh ?? false, () => start(false))
  const failure = failureOf(exit, text, outDir)
  let report: BuildReport
  try {
    const tx = capture()
    let unread: unknown
    if (!failure) {
      try {
        // Adopted (zero copy): `output` is a sibling of outDir (same filesystem) that `finish`
        // removes after the commit, so the command's files are renamed into place, not rewritten.
        captureDir(tx, output, true)
      } catch (error) {
        unread = error
      }
    }
    report = failure || unread !== undefined ? await tx.abort(failure ?? unread) : await tx.commit()
  } finally {
    await finish()
  }
  const exitCode = failure
    ? exit.spawnError
      ? 127
      : exit.interrupted
        ? exitCodeOf({ exitCode: null, signal: exit.interrupted })
        : exitCodeOf(exit)
    : report.error === undefined
      ? 0
      : 2
  return { mode, command, dir, exit, report, exitCode }
}
