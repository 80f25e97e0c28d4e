import fs from 'node:fs'
import path from 'node:path'
import { EmitOptimizerError, errnoCode, toEmitOptimizerError } from '../errors.js'
import { assertConfined, normalizeOutputPath } from '../core/guard.js'
import { hashContents } from '../core/hash.js'
import { writeAtomicSync, type Published } from './atomic-write.js'
import { checkReporter, type Change } from './check-mode.js'
import { detectEol, normalizeText, type Eol } from './normalize.js'
import type { ResolvedWriterOptions } from './writer-options.js'

/** `skipped`: not written, because `expect` failed with onConflict 'skip', or a transaction deleted the path after this write was queued. */
export type WriteStatus = 'created' | 'updated' | 'unchanged' | 'skipped'

export interface WriteResult {
  status: WriteStatus
  /** POSIX path relative to the writer's root. */
  path: string
  /** The file had changed since it was read (`expect` failed); it was skipped or overwritten as `onConflict` said. */
  conflict?: true
}

/** What the file must still be for the write to go ahead: as read (mtime or hash), or absent. */
export type Expectation = { mtimeMs: number } | { hash: string } | { exists: false }

export interface WriteFileOptions {
  /** Permission bits, e.g. `0o755`. Default: an existing file keeps its mode, a new one gets 0o666 & ~umask. */
  mode?: number
  /** Optimistic concurrency: only write if the file is still as expected. */
  expect?: Expectation
  /**
   * What to do when `expect` fails: throw EO_CONFLICT, leave the file alone (`status:
   * 'skipped'`), or write anyway. A file that already holds the new content is never a conflict.
   * @default 'error'
   */
  onConflict?: 'error' | 'skip' | 'overwrite'
}

/** What this writer last wrote or verified at a path; `stat` identity proves the file is still that. */
export interface FileRecord {
  hash: string
  size: number
  mtimeMs: number
  ctimeMs: number
  ino: number
  eol: Eol | undefined
}

export interface Target {
  /** Normalised POSIX path relative to root. */
  rel: string
  abs: string
}

/** A `write()` waiting in the coalescer. */
export interface QueuedWrite {
  target: Target
  content: string | Uint8Array
  options: WriteFileOptions
}

/** The file currently at a target, read lazily. */
export class Current {
  private data: Buffer | undefined

  constructor(
    readonly target: Target,
    readonly stats: fs.Stats | undefined,
    /** The record, when stat shows the file untouched since it was made (cache-first only). */
    readonly record: FileRecord | undefined,
    private readonly fail: (error: unknown) => never,
  ) {}

  get isFile(): boolean {
    return this.stats?.isFile() === true
  }

  bytes(): Buffer {
    try {
      this.data ??= fs.readFileSync(this.target.abs)
    } catch (error) {
      this.fail(error)
    }
    return this.data
  }

  hash(): string {
    return this.record?.hash ?? hashContents(this.bytes())
  }

  eol(): Eol | undefined {
    if (!this.isFile) return undefined
    return this.record?.eol ?? detectEol(this.bytes())
  }

  /** True when the file holds exactly `bytes` (and `mode`, if given). */
  holds(bytes: Uint8Array, hash: string, mode: number | undefined): boolean {
    if (!this.isFile || this.stats!.size !== bytes.byteLength) return false
    if (mode !== undefined && (this.stats!.mode & 0o7777) !== mode) return false
    return this.record ? this.record.hash === hash : this.bytes().equals(bytes)
  }
}

function sameIdentity(record: FileRecord, stats: fs.Stats): boolean {
  return record.size === stats.size && record.mtimeMs === stats.mtimeMs && record.ctimeMs === stats.ctimeMs && record.ino === stats.ino
}

function meets(expect: Expectation, current: Current): boolean {
  if ('exists' in expect) return current.stats === undefined
  if ('mtimeMs' in expect) return current.stats?.mtimeMs === expect.mtimeMs
  return current.isFile && current.hash() === expect.hash
}

function describe(expect: Expectation, current: Current): string {
  if ('exists' in expect) return 'expected no file, found one'
  if (current.stats === undefined) return 'expected a file, found none'
  if ('mtimeMs' in expect) return `expected mtimeMs ${expect.mtimeMs}, found ${current.stats.mtimeMs}`
  return `expected sha256 ${expect.hash.slice(0, 12)}…, found ${current.isFile ? `${current.hash().slice(0, 12)}…` : 'no regular file'}`
}

/**
 * The state one writer keeps: options, per-path records (the cache behind `compare:
 * 'cache-first'` and the own-write test of loop protection), the formatter cache and the list
 * of changes. The write, stream and transaction paths all decide and publish through it.
 */
export class WriterState {
  readonly records = new Map<string, FileRecord>()
  /** Paths this writer deleted (a transaction), for loop protection. */
  readonly deleted = new Set<string>()
  /** Per path: hash of the formatter's last input → hash of the bytes it led to. */
  private readonly formatted = new Map<string, { input: string; output: string }>()
  /** Normal mode: every change, in order. */
  private readonly history: Change[] = []
  /** Check mode: per path, what the last write would do to the file on disk. */
  private readonly wouldChange = new Map<string, Change>()
  private readonly confirmedDirs = new Set<string>()
  private readonly report = checkReporter()

  constructor(readonly opts: ResolvedWriterOptions) {}

  /** Normalises a path (relative to root, or absolute inside it) with the engine's guard. */
  target(input: string): Target {
    const { root } = this.opts
    if (typeof input !== 'string') throw new EmitOptimizerError('EO_INVALID_OPTION', `path must be a string, got ${typeof input}.`)
    let rel = input
    if (path.isAbsolute(input)) {
      const relative = path.relative(root, input)
      if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
        throw new EmitOptimizerError(
          'EO_PATH_ESCAPE',
          `path is outside the writer's root: ${JSON.stringify(input)} (root: ${root}). Write inside root, or create the writer with a root that contains it.`,
          { path: input },
        )
      }
      rel = relative.split(path.sep).join('/')
    }
    rel = normalizeOutputPath(rel, root)
    return { rel, abs: path.join(root, rel) }
  }

  /** Refuses a path whose existing parent directories pass through a symlink leaving root (checked once per directory). */
  async confine(target: Target): Promise<void> {
    const dir = path.posix.dirname(target.rel)
    if (dir === '.' || this.confirmedDirs.has(dir)) return
    let realRoot: string
    try {
      realRoot = fs.realpathSync(this.opts.root)
    } catch (error) {
      // No root yet: every directory on the way will be created by us.
      if (errnoCode(error) === 'ENOENT') return
      throw this.ioError(error, target)
    }
    await assertConfined(realRoot, [target.rel])
    for (let d = dir; d !== '.'; d = path.posix.dirname(d)) this.confirmedDirs.add(d)
  }

  ioError(error: unknown, target: Target): EmitOptimizerError {
    return toEmitOptimizerError(error, target.rel, this.opts.root)
  }

  inspect(target: Target): Current {
    let stats: fs.Stats | undefined
    try {
      stats = fs.lstatSync(target.abs)
    } catch (error) {
      const code = errnoCode(error)
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw this.ioError(error, target)
    }
    if (stats?.isDirectory()) {
      throw new EmitOptimizerError(
        'EO_OUTDIR_INVALID',
        `cannot write file "${target.rel}": a directory of that name exists (root: ${this.opts.root}). Remove it or write another path.`,
        { path: target.rel },
      )
    }
    const record = this.opts.compare === 'cache-first' && stats?.isFile() ? this.records.get(target.rel) : undefined
    return new Current(target, stats, record && sameIdentity(record, stats!) ? record : undefined, (error) => {
      throw this.ioError(error, target)
    })
  }

  /**
   * True when the formatter may be skipped: the same input was formatted for this path before and
   * the file still holds what that led to.
   */
  formatSkippable(target: Target, content: string | Uint8Array, current: Current, mode: number | undefined): boolean {
    if (this.opts.format === undefined || typeof content !== 'string' || !current.isFile) return false
    const cached = this.formatted.get(target.rel)
    if (cached === undefined || cached.input !== hashContents(Buffer.from(content))) return false
    if (mode !== undefined && (current.stats!.mode & 0o7777) !== mode) return false
    return current.hash() === cached.output
  }

  /** The bytes to write: string content formatted, then normalised (eol, final newline); bytes as given. */
  async prepare(target: Target, content: string | Uint8Array, current: Current): Promise<Buffer> {
    if (typeof content !== 'string') {
      if (!(content instanceof Uint8Array))
        throw new EmitOptimizerError('EO_INVALID_OPTION', `content of "${target.rel}" must be a string, Buffer or Uint8Array, got ${typeof content}.`, {
          path: target.rel,
        })
      return Buffer.from(content.buffer, content.byteOffset, content.byteLength)
    }
    let text = content
    if (this.opts.format) {
      text = await this.opts.format(content, target.abs)
      if (typeof text !== 'string')
        throw new EmitOptimizerError('EO_INVALID_OPTION', `the format hook returned ${typeof text} for "${target.rel}". It must return the formatted string.`, {
          path: target.rel,
        })
    }
    const bytes = Buffer.from(
      this.opts.eol === 'keep' && this.opts.finalNewline === 'keep'
        ? text
        : normalizeText(text, this.opts, this.opts.eol === 'auto' ? current.eol() : undefined),
    )
    if (this.opts.format) this.formatted.set(target.rel, { input: hashContents(Buffer.from(content)), output: hashContents(bytes) })
    return bytes
  }

  /**
   * What a write does, given whether the file already holds the new content (`same`):
   * `unchanged`, `skipped` on a conflict the caller wants skipped, else `created`/`updated`.
   * A failed `expect` with onConflict 'error' throws EO_CONFLICT.
   */
  decide(current: Current, same: boolean, options: WriteFileOptions): WriteResult {
    const { rel } = current.target
    if (same) return { status: 'unchanged', path: rel }
    const status = current.stats === undefined ? 'created' : 'updated'
    if (options.expect === undefined || meets(options.expect, current)) return { status, path: rel }
    const onConflict = options.onConflict ?? 'error'
    if (onConflict === 'skip') return { status: 'skipped', path: rel, conflict: true }
    if (onConflict === 'overwrite') return { status, path: rel, conflict: true }
    throw new EmitOptimizerError(
      'EO_CONFLICT',
      `"${rel}" changed since it was read (${describe(options.expect, current)}; root: ${this.opts.root}). ` +
        `Read it again and redo the change, or pass onConflict: 'skip' or 'overwrite'.`,
      { path: rel },
    )
  }

  /** Decides and, unless unchanged or skipped, writes `bytes` atomically (not in check mode); records the outcome. */
  apply(current: Current, bytes: Uint8Array, options: WriteFileOptions): WriteResult {
    const hash = hashContents(bytes)
    const result = this.decide(current, current.holds(bytes, hash, options.mode), options)
    if (result.status === 'unchanged') {
      this.remember(current.target, current.stats!, hash, bytes)
      this.noteChange({ path: result.path, status: 'unchanged' })
    } else if (result.status !== 'skipped') this.publish(current, bytes, hash, result, options.mode)
    return result
  }

  /** Writes `bytes` atomically (nothing in check mode) and records the change. */
  private publish(current: Current, bytes: Uint8Array, hash: string, result: WriteResult, mode: number | undefined): void {
    if (!this.opts.check) {
      let published: Published
      try {
        published = writeAtomicSync(current.target.abs, bytes, {
          existing: current.stats,
          mode,
          durability: this.opts.durability,
          fallback: this.opts.atomicFallback,
          logger: this.opts.logger,
          display: current.target.rel,
        })
      } catch (error) {
        throw this.ioError(error, current.target)
      }
      if (published.ours) this.remember(current.target, published.stats, hash, bytes)
      else this.records.delete(current.target.rel)
    }
    this.noteChange({ path: current.target.rel, status: result.status as Change['status'] })
  }

  remember(target: Target, stats: fs.Stats, hash: string, bytes: Uint8Array | undefined): void {
    this.records.set(target.rel, {
      hash,
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      ctimeMs: stats.ctimeMs,
      ino: stats.ino,
      eol: bytes === undefined ? undefined : detectEol(bytes),
    })
    this.deleted.delete(target.rel)
  }

  /** Records an outcome. In check mode an `unchanged` one cancels what an earlier write of the path reported: the content a path ends with is what counts. */
  noteChange(change: Change | { path: string; status: 'unchanged' }): void {
    if (!this.opts.check) {
      if (change.status !== 'unchanged') this.history.push(change)
      return
    }
    if (change.status === 'unchanged' && !this.wouldChange.has(change.path)) return
    this.wouldChange.delete(change.path)
    if (change.status !== 'unchanged') this.wouldChange.set(change.path, change)
    this.report?.(this.opts.root, change)
  }

  changes(): Change[] {
    return this.opts.check ? [...this.wouldChange.values()] : [...this.history]
  }
}
