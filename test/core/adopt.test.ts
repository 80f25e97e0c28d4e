/**
 * Zero copy (WriteOptions.from): a file a bundler already wrote on outDir's filesystem is moved
 * into place by rename, never written again, under the same journal as written files.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTransaction, type Strategy, type TransactionOptions } from '../../src/index.js'
import { faultyFs } from '../support/faulty-fs.js'
import { listLitter } from '../support/tree.js'

let root: string
let outDir: string
let staging: string
const quiet = { warn: () => {} }

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-adopt-')))
  outDir = path.join(root, 'dist')
  staging = path.join(root, '.dist.eo-staging-test')
})
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

/** Writes `files` into the staging dir as a bundler would, and commits them adopted; returns the staged inodes. */
async function commitAdopted(files: Record<string, string>, options: Partial<TransactionOptions> = {}) {
  const inodes = new Map<string, number>()
  const tx = createTransaction({ outDir, root, logger: quiet, ...options })
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(staging, rel)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, text)
    inodes.set(rel, fs.statSync(file).ino)
    tx.write(rel, text, { from: file })
  }
  const result = await tx.commit()
  fs.rmSync(staging, { recursive: true, force: true })
  return { result, inodes }
}

const ino = (rel: string): number => fs.statSync(path.join(outDir, rel)).ino
const read = (rel: string): string => fs.readFileSync(path.join(outDir, rel), 'utf8')

describe.each(['incremental', 'swap', 'symlink'] as Strategy[])('strategy %s', (strategy) => {
  it('publishes the staged files themselves (same inode), keeps unchanged ones and replaces changed ones by rename', async () => {
    const a = await commitAdopted({ 'index.html': '<a>', 'assets/a.js': 'a1', 'assets/b.js': 'b1' }, { strategy })
    for (const rel of ['index.html', 'assets/a.js', 'assets/b.js']) expect(ino(rel), rel).toBe(a.inodes.get(rel))
    const kept = ino('assets/b.js')
    const b = await commitAdopted({ 'index.html': '<b>', 'assets/a.js': 'a2', 'assets/b.js': 'b1' }, { strategy })
    expect(b.result.stats.written).toBe(2)
    expect(read('assets/a.js')).toBe('a2')
    expect(ino('assets/a.js')).toBe(b.inodes.get('assets/a.js'))
    expect(ino('assets/b.js')).toBe(kept)
    expect(listLitter(root)).toEqual([])
  })
})

describe('adopting', () => {
  it('never writes an adopted file again: its staging copy is renamed into the engine staging', async () => {
    const faulty = faultyFs([])
    await commitAdopted({ 'a.js': 'a', 'b/c.css': 'c' }, { fs: faulty.fs })
    expect(faulty.calls.filter((call) => call.op === 'writeFile' && /tx-/.test(call.path))).toEqual([])
    expect(
      faulty
        .matching('rename', /eo-staging-test/)
        .map((call) => path.relative(staging, call.path))
        .sort(),
    ).toEqual(['a.js', 'b/c.css'])
  })

  it('writes the bytes instead when the staged file is on another filesystem (EXDEV)', async () => {
    const faulty = faultyFs([{ op: 'rename', path: /eo-staging-test/, code: 'EXDEV', times: 10 }])
    const { result } = await commitAdopted({ 'a.js': 'a', 'b/c.css': 'c' }, { fs: faulty.fs })
    expect(result.stats.written).toBe(2)
    expect([read('a.js'), read('b/c.css')]).toEqual(['a', 'c'])
    expect(faulty.injected()).toHaveLength(2)
  })

  it('a commit failing after adoption leaves the previous output in place', async () => {
    await commitAdopted({ 'a.js': 'a1', 'index.html': '<1>' })
    const faulty = faultyFs([{ op: 'rename', path: /tx-[^/]+\/s\/index\.html$/, code: 'EIO' }])
    const { result } = await commitAdopted({ 'a.js': 'a2', 'index.html': '<2>' }, { fs: faulty.fs }).then(
      (value) => ({ result: value.result as unknown }),
      (error: unknown) => ({ result: error }),
    )
    expect(result).toBeInstanceOf(Error)
    expect([read('a.js'), read('index.html')]).toEqual(['a1', '<1>'])
    expect(listLitter(root)).toEqual([])
  })

  it('an edited file is written, not adopted', async () => {
    const file = path.join(staging, 'a.js')
    fs.mkdirSync(staging, { recursive: true })
    fs.writeFileSync(file, 'hello')
    const tx = createTransaction({ outDir, root, logger: quiet })
    tx.write('a.js', 'hello', { from: file })
    tx.edit('a.js', { start: 0, end: 5, content: 'bye' })
    await tx.commit()
    expect(read('a.js')).toBe('bye')
    expect(fs.readFileSync(file, 'utf8')).toBe('hello')
  })
})
