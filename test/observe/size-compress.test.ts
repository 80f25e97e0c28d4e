/** Compressed sizes are exactly zlib's, at the configured levels, and the cache keeps only what is asked. */
import zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { CDN_LEVELS, compressedSizes, eachInSlices, SizeCache, SLICE_MS } from '../../src/observe/size/compress.js'
import { mulberry32 } from '../support/seeded.js'

function text(seed: number, lines: number): Buffer {
  const random = mulberry32(seed)
  return Buffer.from(Array.from({ length: lines }, (_, i) => `export const v${i} = ${Math.floor(random() * 1e9)} // ${'x'.repeat(Math.floor(random() * 40))}\n`).join(''))
}

describe('compressedSizes', () => {
  it('equals zlib gzip and brotli at the default CDN levels and at others', () => {
    for (const [seed, levels] of [[1, { gzip: 6, brotli: 4 }], [2, { gzip: 9, brotli: 11 }], [3, { gzip: 1, brotli: 0 }]] as const) {
      expect(seed > 1 || (levels.gzip === CDN_LEVELS.gzip && levels.brotli === CDN_LEVELS.brotli)).toBe(true)
      const bytes = text(seed, 300)
      const sizes = compressedSizes('a.js', bytes, levels)
      expect(sizes.gzip).toBe(zlib.gzipSync(bytes, { level: levels.gzip }).length)
      expect(sizes.brotli).toBe(zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: levels.brotli } }).length)
      expect(sizes.gzip!).toBeLessThan(bytes.length)
    }
  })

  it('an encoding turned off is null; a precompressed format weighs its raw size', () => {
    const bytes = text(4, 50)
    expect(compressedSizes('a.js', bytes, { gzip: false, brotli: 4 })).toMatchObject({ gzip: null })
    expect(compressedSizes('a.js', bytes, { gzip: 6, brotli: false })).toMatchObject({ brotli: null })
    expect(compressedSizes('photo.png', bytes, CDN_LEVELS)).toEqual({ gzip: bytes.length, brotli: bytes.length })
  })

  it('empty files compress to the encodings\' fixed overhead', () => {
    const sizes = compressedSizes('empty.js', new Uint8Array(0), CDN_LEVELS)
    expect(sizes).toEqual({ gzip: zlib.gzipSync(Buffer.alloc(0), { level: 6 }).length, brotli: zlib.brotliCompressSync(Buffer.alloc(0), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }).length })
  })
})

describe('eachInSlices', () => {
  it('runs every item once, in order, and lets the event loop run between slices', async () => {
    const seen: number[] = []
    let turns = 0
    const ticker = setInterval(() => void (turns += 1), 0)
    // Each item busy-waits just over a slice, so every item ends a slice.
    await eachInSlices(Array.from({ length: 5 }, (_, i) => i), (i) => {
      const end = performance.now() + SLICE_MS + 1
      while (performance.now() < end) {
        // busy: compression stand-in
      }
      seen.push(i)
    })
    clearInterval(ticker)
    expect(seen).toEqual([0, 1, 2, 3, 4])
    expect(turns).toBeGreaterThan(0)
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
