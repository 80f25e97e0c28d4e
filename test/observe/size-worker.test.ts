/**
 * Many bytes to compress go to a worker thread: its sizes are exactly zlib's (the same
 * compressBytes source runs there), and prepareSizes uses it only above WORKER_MIN_BYTES.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { compressInWorker, WORKER_MIN_BYTES } from '../../src/observe/size/compress-worker.js'
import { CDN_LEVELS } from '../../src/observe/size/compress.js'
import { prepareSizes } from '../../src/observe/size/measure.js'
import { resolveSizeOptions, type ResolvedSizeOptions } from '../../src/observe/size/options.js'
import { mulberry32 } from '../support/seeded.js'

const gzip = (bytes: Uint8Array, level: number) => zlib.gzipSync(bytes, { level }).length
const brotli = (bytes: Uint8Array, quality: number) => zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: quality } }).length

function module(seed: number, lines: number): Buffer {
  const random = mulberry32(seed)
  return Buffer.from(
    Array.from({ length: lines }, (_, i) => `export const v${i} = ${Math.floor(random() * 1e9)} // ${'y'.repeat(Math.floor(random() * 60))}\n`).join(''),
  )
}

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })))

describe('compressInWorker', () => {
  it("answers zlib's sizes for every item, in order, at any levels, including an encoding turned off", async () => {
    const items = [module(1, 400), new Uint8Array(0), module(2, 3), module(3, 2000)]
    expect(await compressInWorker(items, CDN_LEVELS)).toEqual(items.map((b) => ({ gzip: gzip(b, 6), brotli: brotli(b, 4) })))
    expect(await compressInWorker(items, { gzip: 9, brotli: false })).toEqual(items.map((b) => ({ gzip: gzip(b, 9), brotli: null })))
  })
})

describe('prepareSizes', () => {
  const options = resolveSizeOptions({}) as ResolvedSizeOptions
  const prepare = (contents: Map<string, string | Uint8Array>) => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-size-worker-'))
    dirs.push(stateDir)
    return prepareSizes({ options, stateDir: Promise.resolve(stateDir), contents })
  }

  it("above WORKER_MIN_BYTES compresses the compressible files on the worker, with zlib's sizes", async () => {
    const contents = new Map<string, string | Uint8Array>()
    let bytes = 0
    for (let i = 0; bytes < WORKER_MIN_BYTES * 1.5; i++) {
      const file = module(100 + i, 200)
      contents.set(`assets/m${i}.js`, i % 2 === 0 ? file : file.toString())
      bytes += file.length
    }
    const png = module(7, 50)
    contents.set('logo.png', png)
    const prepared = await prepare(contents)
    expect(prepared.compressed).toBe(contents.size)
    // Everything but the image, which weighs its raw size without being compressed.
    expect(prepared.inWorker).toBe(contents.size - 1)
    const sizes = [...prepared.cache.entries.values()]
    expect(sizes).toHaveLength(contents.size)
    for (const [file, value] of contents) {
      const raw = typeof value === 'string' ? Buffer.from(value) : value
      const expected = file.endsWith('.png') ? { gzip: raw.length, brotli: raw.length } : { gzip: gzip(raw, 6), brotli: brotli(raw, 4) }
      expect(sizes).toContainEqual(expected)
    }
  })

  it('below it compresses on the main thread, and a file seen twice once', async () => {
    const small = module(5, 100)
    const prepared = await prepare(
      new Map<string, string | Uint8Array>([
        ['a.js', small],
        ['copy/a.js', Buffer.from(small)],
        ['b.css', 'body{}'],
      ]),
    )
    expect(small.length * 2).toBeLessThan(WORKER_MIN_BYTES)
    expect(prepared).toMatchObject({ compressed: 2, inWorker: 0 })
    expect([...prepared.cache.entries.values()]).toContainEqual({ gzip: gzip(small, 6), brotli: brotli(small, 4) })
  })
})
