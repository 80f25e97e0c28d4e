import path from 'node:path'
import { EmitOptimizerError } from '../errors.js'
import type { BuildSink } from './output-group.js'

/**
 * The output file system webpack and Rspack write through (`compiler.outputFileSystem`), replaced
 * by an overlay that captures one build in memory.
 *
 * Inside the output path, during a build:
 * - `writeFile`/`chmod` go to the capture (and are readable again from memory);
 * - `unlink`/`rmdir` (webpack's CleanPlugin, Rspack's `output.clean`) only mark the path deleted
 *   and queue the delete for the commit, so cleaning happens at commit, not before the build;
 * - `stat`/`lstat`/`readFile`/`readdir` see the captured and deleted paths and read through to
 *   the real outDir for everything else, so `compareBeforeEmit` and the clean logic see the
 *   real previous output (and skip what is already there, exactly as without the plugin);
 * - `mkdir` only records the directory (the commit creates what it needs).
 *
 * Outside the output path, during a build, writes are refused (`../evil.txt` from
 * `compilation.emitAsset`, a plugin writing elsewhere through `compiler.outputFileSystem`):
 * `writeFile`, `mkdir`, `unlink`, `rmdir` and `chmod` leave the disk alone, report success (so
 * the bundler goes on emitting and every refusal gets reported, not just the first) and are
 * recorded as EO_PATH_ESCAPE errors that `end()` returns, for the build to fail with. So are
 * writes inside it under a name the engine refuses. `mkdir` of an ancestor of the output path is
 * not an escape: the bundler creates the path it writes into, and the commit does that. Reads
 * outside pass through.
 *
 * Between builds every call goes to the file system the bundler had set, unchanged (webpack
 * writes `recordsOutputPath` there after `afterEmit`, wherever it is), except after an aborted
 * build: the bundler may still have writes in flight (webpack emits 15 at a time and a failing
 * write does not stop the others), so until the next build begins, writes into that output path
 * are dropped. Not implemented: `utimes` and `symlink` (webpack's `info.timestamps` /
 * `info.symlink` assets), which webpack then reports as unsupported.
 */

type Callback<T = void> = (error: NodeJS.ErrnoException | null, result?: T) => void

/** The callback-style calls webpack and Rspack make on an output file system. */
export interface CallbackFs {
  writeFile(file: string, data: string | Uint8Array, callback: Callback): void
  mkdir(dir: string, callback: Callback): void
  stat(file: string, callback: Callback<StatsLike>): void
  lstat?(file: string, callback: Callback<StatsLike>): void
  readFile(file: string, callback: Callback<Buffer>): void
  readdir(dir: string, callback: Callback<string[]>): void
  unlink(file: string, callback: Callback): void
  rmdir(dir: string, callback: Callback): void
  chmod?(file: string, mode: number, callback: Callback): void
}

export interface StatsLike {
  isFile(): boolean
  isDirectory(): boolean
  isSymbolicLink(): boolean
  size: number
  mode: number
  mtimeMs: number
}

interface Session {
  /** Started on first use, so the capture's duration does not include compiling. */
  capture: () => Pick<BuildSink, 'write' | 'delete'>
  /** The bundler's output path: the paths it passes are under it. */
  root: string
  /** Where the previous output really is (`options.outDir` may differ from the output path). */
  outDir: string
  files: Map<string, { contents: Buffer; mode: number | undefined }>
  deleted: Set<string>
  dirs: Set<string>
  /** Refused writes (outside the output path, or a name the engine rejects), by absolute path. */
  refused: Map<string, EmitOptimizerError>
}

/** The error for a write the bundler (or a plugin) makes outside its output path. */
export function escapeError(root: string, abs: string, call: string): EmitOptimizerError {
  const rel = path.relative(root, abs).split(path.sep).join('/')
  return new EmitOptimizerError(
    'EO_PATH_ESCAPE',
    `path escapes outDir: ${JSON.stringify(rel)} (output.path: ${root}; ${call} of ${abs}). Nothing was written there and the build is not committed. ` +
      `Emit files inside output.path, or set output.path to a directory that contains every output.`,
    { path: rel },
  )
}

function fsError(code: 'ENOENT' | 'EEXIST' | 'ENOTEMPTY' | 'EISDIR', syscall: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${file}'`), { code, syscall, path: file })
}

function fakeStats(kind: 'file' | 'dir', size: number, mode: number): StatsLike & Record<string, unknown> {
  const now = Date.now()
  const date = new Date(now)
  return {
    isFile: () => kind === 'file',
    isDirectory: () => kind === 'dir',
    isSymbolicLink: () => false,
    size,
    mode,
    mtimeMs: now,
    atimeMs: now,
    ctimeMs: now,
    birthtimeMs: now,
    mtime: date,
    atime: date,
    ctime: date,
    birthtime: date,
  }
}

/** node's optional-arguments convention: the callback is the last argument. */
function splitArgs(args: unknown[]): { rest: unknown[]; callback: Callback<unknown> } {
  const callback = args[args.length - 1]
  if (typeof callback !== 'function') throw new TypeError('emit-optimizer: output file system called without a callback')
  return { rest: args.slice(0, -1), callback: callback as Callback<unknown> }
}

function encodingOf(options: unknown): BufferEncoding | undefined {
  if (typeof options === 'string') return options as BufferEncoding
  if (options && typeof options === 'object' && 'encoding' in options) return (options as { encoding?: BufferEncoding }).encoding ?? undefined
  return undefined
}

const done = <T>(callback: Callback<T>, error: NodeJS.ErrnoException | null, result?: T): void => {
  process.nextTick(() => callback(error, result))
}

export class CaptureFs {
  private session: Session | undefined
  /** Output path of an aborted build whose late writes are dropped (see the top comment). */
  private dropping: string | undefined
  readonly inner: CallbackFs

  constructor(inner: CallbackFs) {
    this.inner = inner
  }

  /** Calls the real file system's method with node's (path, ...options, callback) arguments. */
  private call(method: keyof CallbackFs, ...args: unknown[]): void {
    ;(this.inner[method] as (...a: unknown[]) => void).apply(this.inner, args)
  }

  /** Starts capturing the writes of one build, under the bundler's output path `root`. */
  begin(capture: () => Pick<BuildSink, 'write' | 'delete'>, root: string, outDir: string): void {
    this.session = {
      capture,
      root: path.resolve(root),
      outDir: path.resolve(outDir),
      files: new Map(),
      deleted: new Set(),
      dirs: new Set(),
      refused: new Map(),
    }
    this.dropping = undefined
  }

  /** Stops capturing: later calls go to the real file system again. Returns the refused writes. */
  end(): Map<string, EmitOptimizerError> {
    const refused = this.session?.refused ?? new Map<string, EmitOptimizerError>()
    this.session = undefined
    return refused
  }

  /** The build was aborted: drop its late writes into `root` until the next build begins. */
  drop(root: string): void {
    this.dropping = path.resolve(root)
  }

  /** Whether a write-like call on `file` belongs to an aborted build and is dropped. */
  private dropped(file: string, callback: Callback): boolean {
    if (this.dropping === undefined || this.session) return false
    const resolved = path.resolve(file)
    if (resolved !== this.dropping && !resolved.startsWith(this.dropping + path.sep)) return false
    done(callback, null)
    return true
  }

  /** Whether a write-like call on `file` leaves the output path of the build being captured: refused (see the top comment). */
  private refusedOutside(call: string, file: string, callback: Callback): boolean {
    const session = this.session
    if (!session || this.owner(file)) return false
    const abs = path.resolve(file)
    const ancestor = call === 'mkdir' && (session.root.startsWith(abs.endsWith(path.sep) ? abs : abs + path.sep))
    if (!ancestor && !session.refused.has(abs)) session.refused.set(abs, escapeError(session.root, abs, call))
    done(callback, null)
    return true
  }

  // Not `relative`: webpack calls `fs.relative(from, to)` when an output file system has one.
  private pathIn(session: Session, file: string): string {
    return path.relative(session.root, file).split(path.sep).join('/')
  }

  /** The session, when `file` is inside the output path of a build being captured. */
  private owner(file: string): Session | undefined {
    const session = this.session
    if (!session) return undefined
    const resolved = path.resolve(file)
    return resolved === session.root || resolved.startsWith(session.root + path.sep) ? session : undefined
  }

  /** Where a path of the output path really is: the capture's outDir may be `options.outDir`. */
  private real(session: Session, file: string): string {
    return path.join(session.outDir, path.relative(session.root, path.resolve(file)))
  }

  private children(session: Session, dir: string): string[] {
    const names = new Set<string>()
    for (const file of [...session.files.keys(), ...session.dirs]) {
      if (path.dirname(file) === dir) names.add(path.basename(file))
    }
    return [...names]
  }

  private undelete(session: Session, file: string): void {
    for (let p = file; p.startsWith(session.root) && session.deleted.size > 0; p = path.dirname(p)) {
      session.deleted.delete(p)
      if (p === session.root) break
    }
  }

  // Arrow properties: the bundlers call these detached (`fs.writeFile.bind(fs)`, `promisify`).

  writeFile = (file: string, ...args: unknown[]): void => {
    const { rest, callback } = splitArgs(args)
    if (this.dropped(file, callback) || this.refusedOutside('writeFile', file, callback)) return
    const session = this.owner(file)
    if (!session) return this.call('writeFile', file, ...rest, callback)
    const [data, options] = rest
    const contents = typeof data === 'string' ? Buffer.from(data, encodingOf(options) ?? 'utf8') : Buffer.from(data as Uint8Array)
    const abs = path.resolve(file)
    const mode = session.files.get(abs)?.mode
    this.undelete(session, abs)
    session.files.set(abs, { contents, mode })
    try {
      session.capture().write(this.pathIn(session, abs), contents, mode)
    } catch (error) {
      if (!(error instanceof EmitOptimizerError)) return done(callback, error as NodeJS.ErrnoException)
      // A name the engine refuses (`．．/x`, over-long): recorded like a write outside, so the
      // build fails with its EO code in compilation.errors, not as a bundler I/O error.
      session.files.delete(abs)
      session.refused.set(abs, error)
    }
    done(callback, null)
  }

  mkdir = (dir: string, ...args: unknown[]): void => {
    const { rest, callback } = splitArgs(args)
    if (this.dropped(dir, callback) || this.refusedOutside('mkdir', dir, callback)) return
    const session = this.owner(dir)
    if (!session) return this.call('mkdir', dir, ...rest, callback)
    const abs = path.resolve(dir)
    if (session.files.has(abs)) return done(callback, fsError('EEXIST', 'mkdir', dir))
    this.undelete(session, abs)
    session.dirs.add(abs)
    done(callback, null)
  }

  stat = (file: string, ...args: unknown[]): void => this.statWith('stat', file, args)
  lstat = (file: string, ...args: unknown[]): void => this.statWith('lstat', file, args)

  private statWith(call: 'stat' | 'lstat', file: string, args: unknown[]): void {
    const { rest, callback } = splitArgs(args)
    const innerStat = (...a: unknown[]): void => this.call(call === 'lstat' && this.inner.lstat ? 'lstat' : 'stat', ...a)
    const session = this.owner(file)
    if (!session) return void innerStat(file, ...rest, callback)
    const abs = path.resolve(file)
    const captured = session.files.get(abs)
    if (captured) return done(callback, null, fakeStats('file', captured.contents.byteLength, 0o100000 | (captured.mode ?? 0o644)))
    if (session.deleted.has(abs)) return done(callback, fsError('ENOENT', call, file))
    innerStat(this.real(session, abs), ...rest, (error: NodeJS.ErrnoException | null, stats?: StatsLike) => {
      if (error && session.dirs.has(abs)) return callback(null, fakeStats('dir', 0, 0o40755))
      callback(error, stats)
    })
  }

  readFile = (file: string, ...args: unknown[]): void => {
    const { rest, callback } = splitArgs(args)
    const session = this.owner(file)
    if (!session) return this.call('readFile', file, ...rest, callback)
    const abs = path.resolve(file)
    const captured = session.files.get(abs)
    if (captured) {
      const encoding = encodingOf(rest[0])
      return done(callback, null, (encoding ? captured.contents.toString(encoding) : captured.contents))
    }
    if (session.deleted.has(abs)) return done(callback, fsError('ENOENT', 'open', file))
    this.call('readFile', this.real(session, abs), ...rest, callback)
  }

  readdir = (dir: string, ...args: unknown[]): void => {
    const { rest, callback } = splitArgs(args)
    const session = this.owner(dir)
    if (!session) return this.call('readdir', dir, ...rest, callback)
    const abs = path.resolve(dir)
    if (session.deleted.has(abs)) return done(callback, fsError('ENOENT', 'scandir', dir))
    this.call('readdir', this.real(session, abs), (error: NodeJS.ErrnoException | null, names?: string[]) => {
      const extra = this.children(session, abs)
      if (error && !(error.code === 'ENOENT' && (extra.length > 0 || session.dirs.has(abs)))) return callback(error)
      const all = new Set([...(names ?? []).map(String), ...extra])
      callback(null, [...all].filter((name) => !session.deleted.has(path.join(abs, name))).sort())
    })
  }

  unlink = (file: string, ...args: unknown[]): void => {
    const { rest, callback } = splitArgs(args)
    if (this.dropped(file, callback) || this.refusedOutside('unlink', file, callback)) return
    const session = this.owner(file)
    if (!session) return this.call('unlink', file, ...rest, callback)
    const abs = path.resolve(file)
    if (session.deleted.has(abs)) return done(callback, fsError('ENOENT', 'unlink', file))
    const remove = (): void => {
      session.files.delete(abs)
      session.deleted.add(abs)
      session.capture().delete(this.pathIn(session, abs))
      done(callback, null)
    }
    if (session.files.has(abs)) return remove()
    this.call(this.inner.lstat ? 'lstat' : 'stat', this.real(session, abs), (error: NodeJS.ErrnoException | null, stats?: StatsLike) => {
      if (error) return callback(error)
      if (stats?.isDirectory()) return callback(fsError('EISDIR', 'unlink', file))
      remove()
    })
  }

  rmdir = (dir: string, ...args: unknown[]): void => {
    const { rest, callback } = splitArgs(args)
    if (this.dropped(dir, callback) || this.refusedOutside('rmdir', dir, callback)) return
    const session = this.owner(dir)
    if (!session) return this.call('rmdir', dir, ...rest, callback)
    const abs = path.resolve(dir)
    this.readdir(abs, (error: NodeJS.ErrnoException | null, names?: string[]) => {
      if (error) return callback(error)
      if (names && names.length > 0) return callback(fsError('ENOTEMPTY', 'rmdir', dir))
      // The engine removes directories its deletes leave empty.
      session.dirs.delete(abs)
      session.deleted.add(abs)
      callback(null)
    })
  }

  chmod = (file: string, mode: number, ...args: unknown[]): void => {
    const { rest, callback } = splitArgs(args)
    if (this.dropped(file, callback) || this.refusedOutside('chmod', file, callback)) return
    const session = this.owner(file)
    if (!session) {
      if (!this.inner.chmod) return done(callback, fsError('ENOENT', 'chmod', file))
      return this.call('chmod', file, mode, ...rest, callback)
    }
    const abs = path.resolve(file)
    const setMode = (contents: Buffer): void => {
      session.files.set(abs, { contents, mode: mode & 0o7777 })
      session.capture().write(this.pathIn(session, abs), contents, mode & 0o7777)
      done(callback, null)
    }
    const captured = session.files.get(abs)
    if (captured) return setMode(captured.contents)
    if (session.deleted.has(abs)) return done(callback, fsError('ENOENT', 'chmod', file))
    // A file already in outDir whose mode changes: it becomes part of this build's output.
    this.call('readFile', this.real(session, abs), (error: NodeJS.ErrnoException | null, contents?: Buffer) => (error ? callback(error) : setMode(contents!)))
  }
}
