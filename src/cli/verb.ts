import path from 'node:path'
import { UsageError, type FlagSpec, type FlagTable, type Flags } from './args.js'
import { shellQuote } from './format.js'
import { TRANSACTION_DEFAULTS } from '../core/transaction-options.js'

/** Where a command writes; one line per call, the newline is added. */
export interface Io {
  out(line: string): void
  err(line: string): void
}

export interface CommandContext {
  io: Io
  flags: Flags
  /** The arguments after `--` (verbs with `passthrough` only). */
  args: string[]
  /** Directory relative --root resolves against. */
  cwd: string
}

/** One verb of the CLI. Adding a verb is adding one entry to `verbs`. */
export interface Verb {
  name: string
  /** One line, shown in the top-level help. */
  summary: string
  /** Verb-specific flags; COMMON_FLAGS are added after them. */
  flags: FlagTable
  /** Extra help text, e.g. exit codes. */
  details?: string
  /** What the arguments after `--` are, for verbs that take them. */
  passthrough?: string
  /** Usage of the plain arguments the verb takes (e.g. `[<id>]`); without it any is an error. */
  positionals?: string
  /** Resolves the exit code. EmitOptimizerError and UsageError are handled by the caller. */
  run(ctx: CommandContext): Promise<number>
}

/** The options every engine entry point takes, from --root and --state-dir. */
export function engineOptions(ctx: CommandContext): { root: string; stateDir?: string } {
  const root = path.resolve(ctx.cwd, ctx.flags.string('root') ?? '.')
  const stateDir = ctx.flags.string('state-dir')
  return stateDir === undefined ? { root } : { root, stateDir }
}

export function outDir(ctx: CommandContext): string {
  const out = ctx.flags.string('out')
  if (out === undefined) throw new UsageError('--out <dir> is required')
  return out
}

/** The recover command for the same outDir, with the location flags the user gave. */
export function recoverCommand(ctx: CommandContext): string {
  return commandFor(ctx, ['recover'])
}

/** An `emit-optimizer` command (`words`: verb and subcommand) for the same outDir, with the location flags the user gave. */
export function commandFor(ctx: CommandContext, words: string[]): string {
  const parts = ['emit-optimizer', ...words, '--out', outDir(ctx)]
  for (const flag of ['root', 'state-dir']) {
    const value = ctx.flags.string(flag)
    if (value !== undefined) parts.push(`--${flag}`, value)
  }
  return parts.map(shellQuote).join(' ')
}

/** Engine warnings go to stderr. */
export function warnings(ctx: CommandContext): { logger: { warn(message: string): void } } {
  return { logger: { warn: (message) => ctx.io.err(message) } }
}

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2))
}

export const LOCK_TIMEOUT_FLAG: FlagSpec = {
  type: 'string',
  value: '<ms>',
  description: `how long to wait for a running build holding the lock (default: ${TRANSACTION_DEFAULTS.lockTimeoutMs})`,
}

/** --lock-timeout as milliseconds, when given. */
export function lockTimeout(ctx: CommandContext): { lockTimeoutMs?: number } {
  const raw = ctx.flags.string('lock-timeout')
  if (raw === undefined) return {}
  const ms = Number(raw)
  if (!(Number.isFinite(ms) && ms >= 0)) throw new UsageError(`--lock-timeout must be a number of milliseconds ≥ 0, got '${raw}'`)
  return { lockTimeoutMs: ms }
}
