import { setImmediate as nextTurn } from 'node:timers/promises'
import { isCompressible } from './kinds.js'

/** zlib levels, or `false` to leave that encoding out. */
export interface CompressionLevels {
  /** 1–9 */
  gzip: number | false
  /** brotli quality 0–11 */
  brotli: number | false
}

/** What a CDN compressing on the fly uses: gzip 6 (zlib's and nginx's default), brotli 4 (Cloudflare's). */
export const CDN_LEVELS: CompressionLevels = { gzip: 6, brotli: 4 }

/** Compressed sizes of one file; `null` for an encoding that is off. */
export interface CompressedSizes {
  gzip: number | null
  brotli: number | null
}

/**
 * The gzip and brotli sizes of `bytes` at `levels`. A file a CDN serves as it is (images, fonts,
 * archives) weighs its raw size in every encoding.
 *
 * Synchronous on purpose: measured on this project's 2-core machines, zlib's async API (a stream
 * and a thread-pool job per call) took 2–4× longer for 600 small chunks than these calls, and it
 * competes with the commit's file system work for the same thread pool. Many files go to a worker
 * thread instead (compress-worker.ts).
 */
export function compressedSizes(file: string, bytes: Uint8Array, levels: CompressionLevels): CompressedSizes {
  if (!isCompressible(file)) return { gzip: levels.gzip === false ? null : bytes.length, brotli: levels.brotli === false ? null : bytes.length }
  // Loaded here, not imported: node:zlib is not in Node's startup snapshot, and this module's
  // levels and cache are needed when an entry is imported, the compression only when sizes are measured.
  return compressBytes(process.getBuiltinModule('node:zlib'), bytes, levels)
}

/**
 * zlib's gzip and brotli sizes of `bytes`. Self-contained (no reference outside its parameters):
 * the worker thread runs its source text.
 */
export function compressBytes(zlib: typeof import('node:zlib'), bytes: Uint8Array, levels: CompressionLevels): CompressedSizes {
  return {
    gzip: levels.gzip === false ? null : zlib.gzipSync(bytes, { level: levels.gzip }).length,
    brotli: levels.brotli === false ? null : zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: levels.brotli } }).length,
  }
}

/** How long compression holds the event loop before letting other work (I/O callbacks, timers) run. */
export const SLICE_MS = 8

/** Runs `task` on every item, yielding to the event loop every SLICE_MS. */
export async function eachInSlices<T>(items: Iterable<T>, task: (item: T) => void): Promise<void> {
  let slice = performance.now()
  for (const item of items) {
    task(item)
    if (performance.now() - slice >= SLICE_MS) {
      await nextTurn()
      slice = performance.now()
    }
  }
}

/**
 * Compressed sizes by content hash (the manifest's hash), for one set of levels: a file whose
 * bytes were measured before, in any build, is not compressed again.
 */
export class SizeCache {
  readonly entries: Map<string, CompressedSizes>

  constructor(
    readonly levels: CompressionLevels,
    entries: Iterable<[string, CompressedSizes]> = [],
  ) {
    this.entries = new Map(entries)
  }

  get(hash: string): CompressedSizes | undefined {
    return this.entries.get(hash)
  }

  set(hash: string, sizes: CompressedSizes): void {
    this.entries.set(hash, sizes)
  }

  /** A cache holding only `hashes` (the current output's), so it never outgrows the output. */
  only(hashes: Iterable<string>): SizeCache {
    const kept = new SizeCache(this.levels)
    for (const hash of hashes) {
      const sizes = this.entries.get(hash)
      if (sizes) kept.set(hash, sizes)
    }
    return kept
  }
}

export function sameLevels(a: CompressionLevels, b: CompressionLevels): boolean {
  return a.gzip === b.gzip && a.brotli === b.brotli
}
