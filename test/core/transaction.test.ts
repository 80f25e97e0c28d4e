import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTransaction, EmitOptimizerError, recover, verify, type Strategy, type TransactionOptions } from '../../src/index.js'
import { nodeFs, type EngineFs } from '../../src/core/fs.js'
import { defaultStateDir } from '../../src/core/state-dir.js'
import { listLitter } from '../support/tree.js'

let root: string
let outDir: string
const quiet = { warn: () => {} }

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-tx-'))
  outDir = path.join(root, 'dist')
})
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

function tx(options: Partial<TransactionOptions> = {}) {
  return createTransaction({ outDir, root, logger: quiet, ...options })
}

async function commitFiles(files: Record<string, string | Uint8Array>, options: Partial<TransactionOptions> = {}) {
  const t = tx(options)
  for (const [p, c] of Object.entries(files)) t.write(p, c)
  return t.commit()
}

function read(rel: string): string {
  return fs.readFileSync(path.join(outDir, rel), 'utf8')
}

function listFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => !d.isDirectory())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort()
}

/** An EngineFs that records every call as `op path`. */
function recordingFs(log: string[]): EngineFs {
  const wrapped: Record<string, unknown> = {}
  for (const [name, fn] of Object.entries(nodeFs) as Array<[string, (...a: unknown[]) => unknown]>) {
    wrapped[name] = (...args: unknown[]) => {
      log.push(`${name} ${args.filter((a) => typeof a === 'string').join(' -> ')}`)
      return fn(...args)
    }
  }
  return wrapped as unknown as EngineFs
}

const strategies: Strategy[] = ['incremental', 'swap', 'symlink']

describe.each(strategies)('strategy %s', (strategy) => {
  const opts = { strategy }

  it('writes, then skips unchanged files keeping mtime and inode, rewrites changed ones and deletes stale ones', async () => {
    const first = await commitFiles({ 'index.html': '<h1>a</h1>', 'assets/app.js': 'a()', 'assets/img.bin': new Uint8Array([0, 1, 2, 255]), 'old.css': 'x{}' }, opts)
    expect(first.stats).toMatchObject({ written: 4, unchanged: 0, deleted: 0 })
    expect(listFiles(outDir)).toEqual(['assets/app.js', 'assets/img.bin', 'index.html', 'old.css'])
    const before = fs.statSync(path.join(outDir, 'assets/img.bin'))

    const second = await commitFiles({ 'index.html': '<h1>b</h1>', 'assets/app.js': 'a()', 'assets/img.bin': new Uint8Array([0, 1, 2, 255]) }, opts)
    expect(second.stats).toMatchObject({ written: 1, unchanged: 2, deleted: 1 })
    expect(second.files.find((f) => f.path === 'old.css')?.status).toBe('deleted')
    const after = fs.statSync(path.join(outDir, 'assets/img.bin'))
    expect([after.mtimeMs, after.ino]).toEqual([before.mtimeMs, before.ino])
    expect(read('index.html')).toBe('<h1>b</h1>')
    expect(listFiles(outDir)).toEqual(['assets/app.js', 'assets/img.bin', 'index.html'])

    const third = await commitFiles({ 'index.html': '<h1>b</h1>', 'assets/app.js': 'a()', 'assets/img.bin': new Uint8Array([0, 1, 2, 255]) }, opts)
    expect(third.stats).toMatchObject({ written: 0, unchanged: 3, deleted: 0 })
  })

  it('detects a file changed behind its back and rewrites it', async () => {
    await commitFiles({ 'a.js': 'original', 'b.js': 'b' }, opts)
    fs.writeFileSync(path.join(outDir, 'a.js'), 'tampered')
    const result = await commitFiles({ 'a.js': 'original', 'b.js': 'b' }, opts)
    expect(result.files.find((f) => f.path === 'a.js')?.status).toBe('written')
    expect(read('a.js')).toBe('original')
  })

  it('keeps files it never wrote unless clean is set', async () => {
    fs.mkdirSync(path.join(outDir, 'keep'), { recursive: true })
    fs.writeFileSync(path.join(outDir, 'keep/user.txt'), 'mine')
    await commitFiles({ 'a.js': '1' }, opts)
    expect(fs.readFileSync(path.join(outDir, 'keep/user.txt'), 'utf8')).toBe('mine')
    const cleaned = await commitFiles({ 'a.js': '1' }, { ...opts, clean: true })
    expect(cleaned.stats.deleted).toBe(1)
    expect(listFiles(outDir)).toEqual(['a.js'])
  })

  it('keeps the mode of a replaced file and applies an explicit mode', async () => {
    await commitFiles({ 'run.sh': '#!/bin/sh\necho 1\n', 'data.txt': 'x' }, opts)
    fs.chmodSync(path.join(outDir, 'run.sh'), 0o750)
    const t = tx(opts)
    t.write('run.sh', '#!/bin/sh\necho 2\n')
    t.write('data.txt', 'y', { mode: 0o600 })
    await t.commit()
    expect(fs.statSync(path.join(outDir, 'run.sh')).mode & 0o777).toBe(0o750)
    expect(fs.statSync(path.join(outDir, 'data.txt')).mode & 0o777).toBe(0o600)
  })

  it('turns a stale file into a directory of the same name, and rolls that back on failure', async () => {
    await commitFiles({ 'docs/data': 'a file', 'index.html': '1' }, opts)
    // Fails the publishing step of each strategy once (the rollback must still work): the entry
    // point (incremental), outDir (swap), the new link (symlink).
    let injected = false
    const failOnce = (): void => {
      if (injected) return
      injected = true
      throw Object.assign(new Error('EIO: injected'), { code: 'EIO' })
    }
    const failing: EngineFs = {
      ...nodeFs,
      rename: async (from, to) => {
        if (to === path.join(outDir, 'index.html') || to === outDir) failOnce()
        return nodeFs.rename(from, to)
      },
      symlink: async (target, link) => {
        failOnce()
        return nodeFs.symlink(target, link)
      },
    }
    await expect(commitFiles({ 'docs/data/x.json': '{}', 'index.html': '2' }, { ...opts, fs: failing })).rejects.toMatchObject({ code: 'EO_IO' })
    expect(read('docs/data')).toBe('a file')
    expect(read('index.html')).toBe('1')
    const result = await commitFiles({ 'docs/data/x.json': '{}', 'index.html': '2' }, opts)
    expect(result.stats).toMatchObject({ written: 2, deleted: 1 })
    expect(read('docs/data/x.json')).toBe('{}')
  })

  it('leaves no staging, backup or temp files behind', async () => {
    await commitFiles({ 'a.js': '1', 'b/c.js': '2' }, opts)
    await commitFiles({ 'a.js': '3', 'd.css': '4' }, opts)
    const stateDir = defaultStateDir(root, outDir)
    const stateEntries = fs.readdirSync(stateDir).filter((n) => n !== 'builds')
    expect(stateEntries.sort()).toEqual(['history', 'manifest.json'])
    expect(listLitter(root)).toEqual([])
    // Beside outDir, not in it: who committed last (src/core/outdir-claim.ts); the lock is gone.
    expect(fs.readdirSync(root).sort()).toEqual(['.dist.eo-owner.json', 'dist', 'node_modules'])
    if (strategy === 'symlink') expect(fs.readdirSync(path.join(stateDir, 'builds'))).toHaveLength(2)
  })
})

describe('coalescing and edits', () => {
  it('keeps the last write to a path and applies several edits in one read and one write', async () => {
    await commitFiles({ 'app.js': 'const a = 1; const b = 2;' })
    const log: string[] = []
    const t = tx({ fs: recordingFs(log) })
    t.write('x.js', 'first')
    t.write('x.js', 'second')
    t.edit('app.js', { start: 6, end: 7, content: 'alpha' })
    t.edit('app.js', [{ search: 'const b', replace: 'let b' }, { start: 0, end: 0, content: '/* gen */ ' }])
    const result = await t.commit()
    expect(read('x.js')).toBe('second')
    expect(read('app.js')).toBe('/* gen */ const alpha = 1; let b = 2;')
    expect(log.filter((l) => l.startsWith('readFile') && l.endsWith(path.join(outDir, 'app.js')))).toHaveLength(1)
    expect(result.files.filter((f) => f.status === 'written').map((f) => f.path)).toEqual(['app.js', 'x.js'])
  })

  it('edits apply on top of a write in the same transaction; a later delete wins', async () => {
    const t = tx()
    t.write('a.txt', 'hello world')
    t.edit('a.txt', { search: /o/g, replace: '0' })
    t.write('gone.txt', 'x')
    t.delete('gone.txt')
    await t.commit()
    expect(read('a.txt')).toBe('hell0 w0rld')
    expect(fs.existsSync(path.join(outDir, 'gone.txt'))).toBe(false)
  })

  it('refuses edits of a missing file, a bad range, or a search that matches nothing', async () => {
    await commitFiles({ 'a.txt': 'abc' })
    for (const edit of [{ path: 'missing.txt', edit: { start: 0, end: 0, content: 'x' } }, { path: 'a.txt', edit: { start: 2, end: 9, content: 'x' } }, { path: 'a.txt', edit: { search: 'zzz', replace: 'y' } }]) {
      const t = tx()
      t.edit(edit.path, edit.edit)
      await expect(t.commit()).rejects.toMatchObject({ code: 'EO_EDIT_FAILED', message: expect.stringContaining(edit.path) })
    }
    expect(read('a.txt')).toBe('abc')
  })

  it('rejects editing a path deleted earlier in the transaction', () => {
    const t = tx()
    t.delete('a.txt')
    expect(() => t.edit('a.txt', { start: 0, end: 0, content: 'x' })).toThrow(expect.objectContaining({ code: 'EO_EDIT_FAILED' }))
  })
})

describe('publish order', () => {
  it('publishes assets, then code, then entry points, and deletes stale files last', async () => {
    await commitFiles({ 'stale.js': 'old' })
    const log: string[] = []
    await commitFiles({ 'index.html': 'h', 'app.js': 'j', 'style.css': 'c', 'logo.png': 'p', '.vite/manifest.json': '{}', 'sw.js': 's' }, { fs: recordingFs(log), concurrency: 1 })
    const published = log.filter((l) => l.startsWith('rename') && l.includes(`-> ${outDir}/`)).map((l) => path.relative(outDir, l.split(' -> ')[1]!))
    const deletedAt = log.findIndex((l) => l.startsWith('rename') && l.includes(`${path.join(outDir, 'stale.js')} ->`))
    const lastPublish = log.findIndex((l) => l.startsWith('rename') && l.endsWith(path.join(outDir, 'sw.js')))
    expect(published.slice(0, 1)).toEqual(['logo.png'])
    expect(new Set(published.slice(1, 3))).toEqual(new Set(['app.js', 'style.css']))
    expect(new Set(published.slice(3))).toEqual(new Set(['index.html', '.vite/manifest.json', 'sw.js']))
    expect(deletedAt).toBeGreaterThan(lastPublish)
  })
})

describe('guards', () => {
  it('refuses paths escaping outDir before touching anything', () => {
    const t = tx()
    for (const bad of ['../x.js', '/abs.js', 'a/../../x', '..\\x', 'C:\\x', 'a\0b']) {
      expect(() => t.write(bad, 'x')).toThrow(expect.objectContaining({ code: 'EO_PATH_ESCAPE' }))
    }
    expect(fs.existsSync(outDir)).toBe(false)
  })

  it('refuses to write through a symlinked directory that leaves outDir', async () => {
    await commitFiles({ 'a.js': '1' })
    const outside = path.join(root, 'outside')
    fs.mkdirSync(outside)
    fs.symlinkSync(outside, path.join(outDir, 'link'))
    await expect(commitFiles({ 'a.js': '1', 'link/evil.js': 'x' })).rejects.toMatchObject({ code: 'EO_PATH_ESCAPE' })
    expect(fs.readdirSync(outside)).toEqual([])
  })

  it('refuses a dangerous outDir for anything that deletes or swaps', async () => {
    fs.writeFileSync(path.join(root, 'package.json'), '{}')
    const t = createTransaction({ outDir: root, root, logger: quiet, strategy: 'swap' })
    t.write('a.js', '1')
    await expect(t.commit()).rejects.toMatchObject({ code: 'EO_DANGEROUS_OUTDIR' })
    expect(fs.readdirSync(root).sort()).toEqual(['node_modules', 'package.json'])
  })

  it('fails the preflight with EO_NO_SPACE when the filesystem is too full, writing nothing', async () => {
    await commitFiles({ 'a.js': 'old' })
    const full: EngineFs = { ...nodeFs, statfs: async (p) => ({ ...(await nodeFs.statfs(p)), bavail: 1 }) }
    await expect(commitFiles({ 'a.js': 'new', 'b.js': 'x'.repeat(10_000) }, { fs: full })).rejects.toMatchObject({ code: 'EO_NO_SPACE', message: expect.stringContaining(outDir) })
    expect(listFiles(outDir)).toEqual(['a.js'])
    expect(read('a.js')).toBe('old')
  })

  it('reports a corrupt manifest with EO_MANIFEST_CORRUPT and leaves outDir intact', async () => {
    await commitFiles({ 'a.js': '1' })
    const manifest = path.join(defaultStateDir(root, outDir), 'manifest.json')
    fs.writeFileSync(manifest, '{"format": "emit-optimizer/manifest@1", "files": {"../../etc/passwd": {}}}')
    await expect(commitFiles({ 'b.js': '2' })).rejects.toMatchObject({ code: 'EO_MANIFEST_CORRUPT', message: expect.stringContaining(manifest) })
    fs.writeFileSync(manifest, '{ torn')
    await expect(commitFiles({ 'b.js': '2' })).rejects.toMatchObject({ code: 'EO_MANIFEST_CORRUPT' })
    expect(listFiles(outDir)).toEqual(['a.js'])
  })

  it('reports a corrupt journal with EO_JOURNAL_CORRUPT and changes nothing', async () => {
    await commitFiles({ 'a.js': '1' })
    const journal = path.join(defaultStateDir(root, outDir), 'journal.json')
    fs.writeFileSync(journal, 'not json')
    await expect(commitFiles({ 'a.js': '2' })).rejects.toMatchObject({ code: 'EO_JOURNAL_CORRUPT', message: expect.stringContaining(journal) })
    await expect(recover(outDir, { root, logger: quiet })).rejects.toBeInstanceOf(EmitOptimizerError)
    expect(read('a.js')).toBe('1')
  })

  it('refuses an outDir that is a symlink unless the symlink strategy made it', async () => {
    fs.mkdirSync(path.join(root, 'real'))
    fs.symlinkSync(path.join(root, 'real'), outDir)
    await expect(commitFiles({ 'a.js': '1' })).rejects.toMatchObject({ code: 'EO_OUTDIR_INVALID' })
    await expect(commitFiles({ 'a.js': '1' }, { strategy: 'symlink' })).rejects.toMatchObject({ code: 'EO_OUTDIR_INVALID' })
  })

  it('rejects unknown option values with EO_INVALID_OPTION', () => {
    expect(() => tx({ strategy: 'copy' as Strategy })).toThrow(expect.objectContaining({ code: 'EO_INVALID_OPTION' }))
    expect(() => tx({ concurrency: 0 })).toThrow(expect.objectContaining({ code: 'EO_INVALID_OPTION' }))
    expect(() => createTransaction({ outDir: '' })).toThrow(expect.objectContaining({ code: 'EO_INVALID_OPTION' }))
  })

  it('a closed transaction cannot be reused', async () => {
    const t = tx()
    t.write('a.js', '1')
    await t.commit()
    expect(() => t.write('b.js', '2')).toThrow(expect.objectContaining({ code: 'EO_TX_CLOSED' }))
    const r = tx()
    r.write('c.js', '3')
    expect(await r.rollback()).toMatchObject({ status: 'rolled-back' })
    expect(fs.existsSync(path.join(outDir, 'c.js'))).toBe(false)
  })
})

describe('durability, state dir and locking', () => {
  it('fsyncs nothing with durability none, the commit point with commit, and every file with full', async () => {
    const counts: Record<string, number> = {}
    for (const durability of ['none', 'commit', 'full'] as const) {
      const log: string[] = []
      outDir = path.join(root, `dist-${durability}`)
      // History off: its version record and index are two more atomic writes (history.test.ts).
      await commitFiles({ 'a.js': '1', 'b/c.js': '2', 'd.html': '3' }, { durability, fs: recordingFs(log), history: false })
      counts[durability] = log.filter((l) => l.startsWith('fsyncPath')).length
      const atomicWrites = log.filter((l) => l.startsWith('writeFileAtomic'))
      // journal prepared, journal committed, manifest, and outDir's owner marker: pending, then committed
      expect(atomicWrites.length).toBe(5)
    }
    expect(counts.none).toBe(0)
    expect(counts.commit).toBeGreaterThan(0)
    expect(counts.full).toBe(counts.commit! + 3)
  })

  it('falls back to a state dir beside outDir when the default one is on another filesystem', async () => {
    const warnings: string[] = []
    const defaultDir = defaultStateDir(root, outDir)
    // Report a different device for everything under node_modules, as if it were another mount.
    const otherDevice: EngineFs = { ...nodeFs, stat: async (p) => Object.assign(await nodeFs.stat(p), p.startsWith(path.join(root, 'node_modules')) ? { dev: -1 } : {}) }
    fs.mkdirSync(path.join(root, 'node_modules'))
    await commitFiles({ 'a.js': '1' }, { fs: otherDevice, logger: { warn: (m) => warnings.push(m) } })
    expect(fs.existsSync(path.join(root, '.dist.emit-optimizer', 'manifest.json'))).toBe(true)
    expect(fs.existsSync(defaultDir)).toBe(false)
    expect(warnings.join('\n')).toContain('.dist.emit-optimizer')
    await expect(commitFiles({ 'a.js': '1' }, { fs: otherDevice, stateDir: path.join(root, 'node_modules', 'state') })).rejects.toMatchObject({ code: 'EO_CROSS_DEVICE' })
  })

  it('serialises concurrent transactions on one outDir: each commit is complete, the last one wins', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => {
        const files: Record<string, string> = {}
        for (let f = 0; f < 20; f++) files[`f${f}.js`] = `build ${i} file ${f}`
        return commitFiles(files)
      }),
    )
    expect(results.every((r) => r.status === 'committed')).toBe(true)
    const contents = listFiles(outDir).map(read)
    const build = contents[0]!.split(' ')[1]
    expect(contents).toEqual(Array.from({ length: 20 }, (_, f) => `build ${build} file ${f}`).sort((a, b) => (a < b ? -1 : 1)).sort())
  })

  it('fails with EO_LOCKED naming the holder when the lock stays held', async () => {
    const stateDir = defaultStateDir(root, outDir)
    fs.mkdirSync(stateDir, { recursive: true })
    // A live holder: this very process, with a different token.
    fs.writeFileSync(path.join(stateDir, 'lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), token: 'other' }))
    await expect(commitFiles({ 'a.js': '1' }, { lockTimeoutMs: 50 })).rejects.toMatchObject({ code: 'EO_LOCKED', message: expect.stringContaining(String(process.pid)) })
    expect(fs.existsSync(outDir)).toBe(false)
  })
})

describe('verify', () => {
  it('reports an outDir replaced by a file as EO_OUTDIR_INVALID', async () => {
    await commitFiles({ 'a.js': '1' })
    fs.rmSync(outDir, { recursive: true })
    fs.writeFileSync(outDir, 'x')
    await expect(verify(outDir, { root })).rejects.toMatchObject({ code: 'EO_OUTDIR_INVALID', message: expect.stringContaining(outDir) })
  })
})
