/** Compressed sizes are exactly zlib's, at the configured levels, and the cache keeps only what is asked. */
import zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { CDN_LEVELS, compressedSizes, eachLimited, SizeCache } from '../../src/observe/size/compress.js'
import { mulberry32 } from '../support/seeded.js'

function text(seed: number, lines: number): Buffer {
  const random = mulberry32(seed)
  return Buffer.from(Array.from({ length: lines }, (_, i) => `export const v${i} = ${Math.floor(random() * 1e9)} // ${'x'.repeat(Math.floor(random() * 40))}\n`).join(''))
}

describe('compressedSizes', () => {
  it('equals zlib gzip and brotli at the default CDN levels and at others', async () => {
    for (const [seed, levels] of [[1, { gzip: 6, brotli: 4 }], [2, { gzip: 9, brotli: 11 }], [3, { gzip: 1, brotli: 0 }]] as const) {
      expect(seed > 1 || (levels.gzip === CDN_LEVELS.gzip && levels.brotli === CDN_LEVELS.brotli)).toBe(true)
      const bytes = text(seed, 300)
      const sizes = await compressedSizes('a.js', bytes, levels)
      expect(sizes.gzip).toBe(zlib.gzipSync(bytes, { level: levels.gzip }).length)
      expect(sizes.brotli).toBe(zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: levels.brotli } }).length)
      expect(sizes.gzip!).toBeLessThan(bytes.length)
    }
  })

  it('an encoding turned off is null; a precompressed format weighs its raw size', async () => {
    const bytes = text(4, 50)
    expect(await compressedSizes('a.js', bytes, { gzip: false, brotli: 4 })).toMatchObject({ gzip: null })
    expect(await compressedSizes('a.js', bytes, { gzip: 6, brotli: false })).toMatchObject({ brotli: null })
    expect(await compressedSizes('photo.png', bytes, CDN_LEVELS)).toEqual({ gzip: bytes.length, brotli: bytes.length })
  })

  it('empty files compress to the encodings\' fixed overhead', async () => {
    const sizes = await compressedSizes('empty.js', new Uint8Array(0), CDN_LEVELS)
    expect(sizes).toEqual({ gzip: zlib.gzipSync(Buffer.alloc(0), { level: 6 }).length, brotli: zlib.brotliCompressSync(Buffer.alloc(0), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }).length })
  })
})

describe('eachLimited', () => {
  it('runs every item once with at most `limit` in flight', async () => {
    let inFlight = 0
    let peak = 0
    const seen: number[] = []
    await eachLimited(Array.from({ length: 20 }, (_, i) => i), async (i) => {
      inFlight += 1
      peak = Math.max(peak, inFlight)
      await new Promise<void>((resolve) => setImmediate(resolve))
      seen.push(i)
      inFlight -= 1
    }, 3)
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(peak).toBe(3)
  })
})

describe('SizeCache', () => {
  it('only() keeps the given hashes that it has', () => {
    const cache = new SizeCache(CDN_LEVELS, [['h1', { gzip: 1, brotli: 2 }], ['h2', { gzip: 3, brotli: 4 }]])
    const kept = cache.only(['h2', 'h3'])
    expect([...kept.entries]).toEqual([['h2', { gzip: 3, brotli: 4 }]])
    expect(kept.levels).toBe(CDN_LEVELS)
  })
})
