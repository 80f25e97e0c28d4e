import type { Hash } from 'node:crypto'
import { nodeCrypto } from '../core/node-crypto.js'
import fs from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { Writable } from 'node:stream'
import { promisify } from 'node:util'
import { EmitOptimizerError } from '../errors.js'
import { discardTempSync, openTempSync, publishTempSync, type TempFile } from './atomic-write.js'
import type { Coalescer } from './coalesce.js'
import type { Current, QueuedWrite, Target, WriteFileOptions, WriteResult, WriterState } from './files.js'

const write = promisify(fs.write)

/** Hash of a file read in chunks (constant memory). */
async function hashFile(file: string): Promise<string> {
  const hash = nodeCrypto().createHash('sha256')
  await pipeline(fs.createReadStream(file), hash)
  return hash.digest('hex')
}

/** The current file's hash without reading it into memory (the record when stat proves it). */
async function currentHash(current: Current): Promise<string> {
  return current.record?.hash ?? hashFile(current.target.abs)
}

/**
 * A writable for large outputs: chunks go straight to a temp file next to the target (memory
 * stays constant) while being hashed; `end()` publishes it by rename unless the target already
 * holds the same bytes. Destroying the stream, or an error, publishes nothing and removes the
 * temp file. In check mode nothing is written at all: the chunks are only hashed.
 *
 * `await pipeline(source, stream)` resolves once the file is published; `stream.result` gives
 * the outcome (and rejects with the error, or EO_ABORTED, when nothing was published).
 */
export class WriterStream extends Writable {
  readonly path: string
  readonly result: Promise<WriteResult>
  private readonly hash: Hash = nodeCrypto().createHash('sha256')
  private size = 0
  private temp: TempFile | undefined
  /** The chunk write in flight: its descriptor must stay open until it ends (a closed fd number can be reused by another file). */
  private writing: Promise<void> | undefined
  private settled = false
  private resolveResult!: (result: WriteResult) => void
  private rejectResult!: (error: unknown) => void

  constructor(
    private readonly state: WriterState,
    private readonly coalescer: Coalescer<QueuedWrite, WriteResult>,
    private readonly target: Target,
    private readonly options: WriteFileOptions,
    private readonly seq: number,
  ) {
    super()
    this.path = target.rel
    this.result = new Promise<WriteResult>((resolve, reject) => {
      this.resolveResult = resolve
      this.rejectResult = reject
    })
    // Callers often only await the pipeline; a failure is reported there too.
    this.result.catch(() => {})
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.state.confine(this.target).then(() => {
      if (!this.state.opts.check) this.temp = openTempSync(this.target.abs, this.options.mode ?? 0o666)
    }).then(() => callback(), (error: unknown) => callback(this.state.ioError(error, this.target)))
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.hash.update(chunk)
    this.size += chunk.byteLength
    if (!this.temp) return callback()
    const fd = this.temp.fd
    const writeChunk = async (): Promise<void> => {
      for (let offset = 0; offset < chunk.byteLength; ) offset += (await write(fd, chunk, offset, chunk.byteLength - offset, null)).bytesWritten
    }
    this.writing = writeChunk().finally(() => (this.writing = undefined))
    this.writing.then(() => callback(), (error: unknown) => callback(this.state.ioError(error, this.target)))
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.publish().then(
      (result) => {
        this.settled = true
        this.resolveResult(result)
        callback()
      },
      (error: unknown) => callback(error as Error),
    )
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const discard = (): void => {
      if (this.temp) {
        try {
          discardTempSync(this.temp)
        } catch {
          // The temp file is ours and hidden; failing to remove it must not hide the original error.
        }
        this.temp = undefined
      }
      if (!this.settled) {
        this.settled = true
        this.rejectResult(
          error ??
            new EmitOptimizerError(
              'EO_ABORTED',
              `the stream for "${this.path}" was destroyed before it ended (root: ${this.state.opts.root}); nothing was published.`,
              { path: this.path },
            ),
        )
      }
      callback(error)
    }
    if (this.writing) this.writing.then(discard, discard)
    else discard()
  }

  private async publish(): Promise<WriteResult> {
    const hash = this.hash.digest('hex')
    const lease = await this.coalescer.acquire([this.target.rel])
    try {
      const current = this.state.inspect(this.target)
      const same =
        current.isFile &&
        current.stats!.size === this.size &&
        (this.options.mode === undefined || (current.stats!.mode & 0o7777) === this.options.mode) &&
        (await currentHash(current)) === hash
      const result = this.state.decide(current, same, this.options)
      if (result.status === 'unchanged') {
        this.state.remember(this.target, current.stats!, hash, undefined)
        this.state.noteChange({ path: this.target.rel, status: 'unchanged' })
      } else if (result.status !== 'skipped') {
        if (this.temp) {
          const temp = this.temp
          this.temp = undefined
          const published = publishTempSync(temp, this.target.abs, {
            existing: current.stats,
            mode: this.options.mode,
            durability: this.state.opts.durability,
            fallback: this.state.opts.atomicFallback,
            logger: this.state.opts.logger,
            display: this.target.rel,
          })
          if (published.ours) this.state.remember(this.target, published.stats, hash, undefined)
          else this.state.records.delete(this.target.rel)
        }
        this.state.noteChange({ path: this.target.rel, status: result.status })
      }
      if (this.temp) {
        discardTempSync(this.temp)
        this.temp = undefined
      }
      // Writes queued before this stream was opened are older: the stream's content replaced them
      // (unless it was skipped: then they still run).
      if (result.status !== 'skipped') lease.take(this.target.rel, this.seq)
      lease.release({ result: () => result })
      return result
    } catch (error) {
      const mapped = error instanceof EmitOptimizerError ? error : this.state.ioError(error, this.target)
      lease.release({ error: mapped })
      throw mapped
    }
  }
}
