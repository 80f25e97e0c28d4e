import path from 'node:path'
import { EmitOptimizerError } from '../errors.js'
import { oneOf, stderrLogger, type Durability, type Logger } from '../core/transaction-options.js'
import { CHECK_ENV } from './check-mode.js'

/** A formatter such as prettier, wrapped by the caller: `(code, path) => prettier.format(code, { filepath: path })`. */
export type Formatter = (code: string, path: string) => string | Promise<string>

export interface WriterOptions {
  /**
   * Base directory of the generated files, normally the project root: relative paths resolve
   * against it and every write must stay inside it.
   * @default process.cwd()
   */
  root?: string
  /**
   * How a write decides that a file is unchanged.
   * - `cache-first`: the bytes on disk at the first touch of a path, then the hash this writer
   *   recorded, as long as `stat` (size, mtime, ctime, inode) shows nobody touched the file since.
   * - `disk`: read and compare the bytes on every write.
   * @default 'cache-first'
   */
  compare?: 'disk' | 'cache-first'
  /**
   * Line endings of string content, applied before comparing and writing. `auto` keeps the
   * style of the existing file (a CRLF checkout stays CRLF and is not rewritten); new files get LF.
   * @default 'keep'
   */
  eol?: 'keep' | 'lf' | 'crlf' | 'auto'
  /**
   * Trailing newline of string content: `ensure` exactly one, `remove` all, `keep` as given.
   * @default 'keep'
   */
  finalNewline?: 'keep' | 'ensure' | 'remove'
  /**
   * Runs on string content before comparing. The hash of its input is cached per path, so an
   * unchanged input whose output is still on disk skips formatting.
   * @default undefined (no formatting)
   */
  format?: Formatter
  /**
   * A queued write waits until its path has had no newer write for this long (at most
   * `throttleMs`). 0 still merges writes made in the same tick, and keeps a generator that awaits
   * each write fast.
   * @default 0
   */
  debounceMs?: number
  /**
   * Minimum time between two writes that change the same path; the newest content queued
   * meanwhile is written at the end of the interval. `flush()` does not wait for it.
   * @default 50
   */
  throttleMs?: number
  /**
   * - `none`: no fsync; a killed process never leaves a partial file, a power loss may.
   * - `commit`: fsync the directory after each rename (transactions: the engine's `commit`).
   * - `full`: also fsync each file's data before its rename.
   * @default 'none'
   */
  durability?: Durability
  /**
   * When the atomic rename is impossible for an existing file (`EXDEV`/`EBUSY`: a bind-mounted
   * file; `EPERM`/`EACCES`: a directory we may not create files in, or an owner we cannot keep),
   * write the file in place instead, with a warning. Readers may then see a partial file.
   * `false` throws instead.
   * @default true
   */
  atomicFallback?: boolean
  /**
   * Check mode: write nothing, report what would change (`writer.changes()`). The
   * `emit-optimizer check --run <command>` CLI sets `EMIT_OPTIMIZER_CHECK=1`.
   * @default process.env.EMIT_OPTIMIZER_CHECK === '1'
   */
  check?: boolean
  /**
   * Where transactions keep their journal, staging and lock (one subdirectory per transaction,
   * removed after it). Must be on root's filesystem.
   * @default '<root>/node_modules/.cache/emit-optimizer/writer'
   */
  stateDir?: string
  /**
   * Receives warnings (in-place fallback, skipped cleanup).
   * @default a logger that writes to stderr
   */
  logger?: Logger
}

export interface ResolvedWriterOptions {
  root: string
  compare: 'disk' | 'cache-first'
  eol: 'keep' | 'lf' | 'crlf' | 'auto'
  finalNewline: 'keep' | 'ensure' | 'remove'
  format: Formatter | undefined
  debounceMs: number
  throttleMs: number
  durability: Durability
  atomicFallback: boolean
  check: boolean
  /** `undefined`: the default, resolved against the filesystem at the first transaction. */
  stateDir: string | undefined
  logger: Logger
}


function milliseconds(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new EmitOptimizerError('EO_INVALID_OPTION', `invalid ${name}: ${JSON.stringify(value)}. Use a number of milliseconds ≥ 0 (default ${fallback}).`)
  }
  return value
}

export function resolveWriterOptions(options: WriterOptions = {}): ResolvedWriterOptions {
  if (options.format !== undefined && typeof options.format !== 'function') {
    throw new EmitOptimizerError('EO_INVALID_OPTION', `invalid format: ${typeof options.format}. Pass a function (code, path) => string | Promise<string>.`)
  }
  const root = path.resolve(options.root ?? process.cwd())
  return {
    root,
    compare: oneOf('compare', options.compare, ['disk', 'cache-first'], 'cache-first'),
    eol: oneOf('eol', options.eol, ['keep', 'lf', 'crlf', 'auto'], 'keep'),
    finalNewline: oneOf('finalNewline', options.finalNewline, ['keep', 'ensure', 'remove'], 'keep'),
    format: options.format,
    debounceMs: milliseconds('debounceMs', options.debounceMs, 0),
    throttleMs: milliseconds('throttleMs', options.throttleMs, 50),
    durability: oneOf('durability', options.durability, ['none', 'commit', 'full'], 'none'),
    atomicFallback: options.atomicFallback ?? true,
    check: options.check ?? process.env[CHECK_ENV] === '1',
    stateDir: options.stateDir === undefined ? undefined : path.resolve(root, options.stateDir),
    logger: options.logger ?? stderrLogger,
  }
}
