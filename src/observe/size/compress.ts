import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { isCompressible } from './kinds.js'

const gzip = promisify(zlib.gzip)
const brotli = promisify(zlib.brotliCompress)

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
 * The gzip and brotli sizes of `bytes` at `levels`, on libuv's thread pool (the event loop stays
 * free and both encodings run in parallel). A file a CDN serves as it is (images, fonts,
 * archives) weighs its raw size in every encoding.
 */
export async function compressedSizes(file: string, bytes: Uint8Array, levels: CompressionLevels): Promise<CompressedSizes> {
  if (!isCompressible(file)) return { gzip: levels.gzip === false ? null : bytes.length, brotli: levels.brotli === false ? null : bytes.length }
  const [g, b] = await Promise.all([
    levels.gzip === false ? null : gzip(bytes, { level: levels.gzip }).then((out) => out.length),
    levels.brotli === false ? null : brotli(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: levels.brotli } }).then((out) => out.length),
  ])
  return { gzip: g, brotli: b }
}

/** libuv's thread pool size: more compressions in flight only queue there. */
const POOL = Number(process.env.UV_THREADPOOL_SIZE) || 4

/** Runs `task` on every item, at most `limit` at a time (each one holds two pool threads). */
export async function eachLimited<T>(items: readonly T[], task: (item: T) => Promise<void>, limit = Math.max(1, POOL >> 1)): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
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
