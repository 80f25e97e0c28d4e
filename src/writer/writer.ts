import fs from 'node:fs'
import { EmitOptimizerError, errnoCode } from '../errors.js'
import { hashContents } from '../core/hash.js'
import type { Edit } from '../core/transaction.js'
import { Coalescer } from './coalesce.js'
import { applyEdits, type EditResult } from './edit.js'
import { WriterState, type FileRecord, type QueuedWrite, type WriteFileOptions, type WriteResult } from './files.js'
import type { Change } from './check-mode.js'
import { resolveWriterOptions, type WriterOptions } from './writer-options.js'
import { WriterStream } from './stream.js'
import { compileTemplate } from './templates.js'
import { runTransaction, type TransactionResult, type TransactionRunOptions, type WriterTransaction } from './writer-transaction.js'

export interface ReadResult {
  content: Buffer
  /** sha256 (hex), for `expect: { hash }`. */
  hash: string
  /** For `expect: { mtimeMs }`. */
  mtimeMs: number
}

export interface WriterEditOptions extends WriteFileOptions {
  /** Also write `<path>.map` (the edits' source map), by the same rules. @default false */
  map?: boolean
}

export interface BatchResult {
  total: number
  /** Files created or updated (in check mode: that would be). */
  changed: number
  created: number
  updated: number
  unchanged: number
  skipped: number
  files: WriteResult[]
}

export interface Writer {
  /** Absolute base directory of every path. */
  readonly root: string
  /** Check mode: nothing is written; `changes()` lists what would change. */
  readonly check: boolean
  /**
   * Writes the file if its content differs, atomically. Writes to one path are coalesced (the
   * newest content wins); a write replaced by a newer one resolves with that one's result. A
   * path outside root throws at once (EO_PATH_ESCAPE), like the engine's `tx.write`.
   */
  write(path: string, content: string | Uint8Array, options?: WriteFileOptions): Promise<WriteResult>
  /** The file as it is now (after this writer's queued writes to it), or undefined when it does not exist. */
  read(path: string): Promise<ReadResult | undefined>
  /** Applies edits (magic-string) with one read and one write; no formatter or normalisation, so the map matches the bytes. */
  edit(path: string, edits: Edit | Edit[], options?: WriterEditOptions): Promise<EditResult>
  /** A writable for large outputs, published atomically on end; destroying it publishes nothing. */
  stream(path: string, options?: WriteFileOptions): WriterStream
  /** Renders `template` for every item (all rendered before anything is written) and writes `pathOf(item)`. */
  renderMany<T>(template: string, items: Iterable<T>, pathOf: (item: T) => string, options?: WriteFileOptions): Promise<BatchResult>
  /** Runs `fn` and publishes what it wrote as one transaction on the engine: all files or none. */
  transaction(fn: (tx: WriterTransaction) => unknown, options?: TransactionRunOptions): Promise<TransactionResult>
  /** Resolves when everything queued is on disk; rejects with the failures since the last flush. */
  flush(): Promise<void>
  /** Files created, updated or deleted so far (in check mode: that would be), in order. */
  changes(): Change[]
  /** What this writer last wrote or verified at `path` (relative or absolute), if anything. */
  recorded(path: string): Readonly<FileRecord> | undefined
  /** Whether this writer deleted `path` last (a transaction's delete or cleanup). */
  deletedByWriter(path: string): boolean
}

/**
 * Creates a writer for code generators: write-if-changed, atomic, coalescing, with
 * transactions, multi-edit, templates, streaming, check mode and loop protection. See the
 * README section "For code generators" for the guarantees.
 */
export function createWriter(options: WriterOptions = {}): Writer {
  const state = new WriterState(resolveWriterOptions(options))
  const coalescer = new Coalescer<QueuedWrite, WriteResult>(
    (_key, job) => writeNow(job),
    (result) => result.status === 'created' || result.status === 'updated',
    state.opts,
  )
  // Transactions run one at a time: each holds the writer lock and leases on its paths.
  let transactions: Promise<unknown> = Promise.resolve()

  async function writeNow({ target, content, options: writeOptions }: QueuedWrite): Promise<WriteResult> {
    await state.confine(target)
    let current = state.inspect(target)
    if (state.formatSkippable(target, content, current, writeOptions.mode)) {
      state.remember(target, current.stats!, current.hash(), undefined)
      state.noteChange({ path: target.rel, status: 'unchanged' })
      return { status: 'unchanged', path: target.rel }
    }
    const bytes = await state.prepare(target, content, current)
    // An async formatter may have taken a while: decide on the file as it is now.
    if (state.opts.format) current = state.inspect(target)
    return state.apply(current, bytes, writeOptions)
  }

  const writer: Writer = {
    root: state.opts.root,
    check: state.opts.check,

    write(file, content, writeOptions = {}) {
      const target = state.target(file)
      return coalescer.enqueue(target.rel, coalescer.nextSeq(), { target, content, options: writeOptions })
    },

    async read(file) {
      const target = state.target(file)
      await coalescer.flushKey(target.rel)
      let fd: number
      try {
        fd = fs.openSync(target.abs, 'r')
      } catch (error) {
        if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined
        throw state.ioError(error, target)
      }
      try {
        // fstat and read on one descriptor: the stats describe exactly the bytes returned.
        const stats = fs.fstatSync(fd)
        if (!stats.isFile())
          throw new EmitOptimizerError('EO_OUTDIR_INVALID', `cannot read "${target.rel}": not a regular file (root: ${state.opts.root}).`, { path: target.rel })
        const content = fs.readFileSync(fd)
        const hash = hashContents(content)
        // Recorded only if the path still names the file that was read.
        if (state.inspect(target).stats?.ino === stats.ino) state.remember(target, stats, hash, content)
        return { content, hash, mtimeMs: stats.mtimeMs }
      } catch (error) {
        throw error instanceof EmitOptimizerError ? error : state.ioError(error, target)
      } finally {
        fs.closeSync(fd)
      }
    },

    async edit(file, edits, editOptions = {}) {
      const { map, ...writeOptions } = editOptions
      const target = state.target(file)
      const seq = coalescer.nextSeq()
      const lease = await coalescer.acquire([target.rel])
      let result: EditResult
      try {
        await state.confine(target)
        const current = state.inspect(target)
        // A write queued before this edit is newer than the disk: the edits apply to it.
        const queued = lease.peek(target.rel, seq)
        let original: string
        if (queued) original = (await state.prepare(target, queued.content, current)).toString('utf8')
        else if (current.isFile) original = current.bytes().toString('utf8')
        else
          throw new EmitOptimizerError('EO_EDIT_FAILED', `cannot edit "${target.rel}": the file does not exist (root: ${state.opts.root}). Write it first.`, {
            path: target.rel,
          })
        result = applyEdits(target.rel, original, Array.isArray(edits) ? edits : [edits])
        const written = state.apply(current, Buffer.from(result.code), writeOptions)
        lease.take(target.rel, seq)
        lease.release({ result: () => written })
      } catch (error) {
        lease.release({ error })
        throw error
      }
      if (map) await writer.write(`${target.rel}.map`, result.map.toString())
      return result
    },

    stream(file, writeOptions = {}) {
      return new WriterStream(state, coalescer, state.target(file), writeOptions, coalescer.nextSeq())
    },

    async renderMany(template, items, pathOf, writeOptions = {}) {
      const compiled = compileTemplate(template)
      const rendered = [...items].map((item) => ({ path: pathOf(item), content: compiled(item) }))
      const files = await Promise.all(rendered.map((file) => writer.write(file.path, file.content, writeOptions)))
      const count = (status: WriteResult['status']): number => files.filter((file) => file.status === status).length
      const created = count('created')
      const updated = count('updated')
      return { total: files.length, changed: created + updated, created, updated, unchanged: count('unchanged'), skipped: count('skipped'), files }
    },

    transaction(fn, runOptions) {
      const run = transactions.then(() => runTransaction(state, coalescer, fn, runOptions))
      transactions = run.catch(() => {})
      return run
    },

    flush: () => coalescer.flush(),
    changes: () => state.changes(),
    recorded: (file) => state.records.get(state.target(file).rel),
    deletedByWriter: (file) => state.deleted.has(state.target(file).rel),
  }
  return writer
}
