import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { SourceMapConsumer } from 'source-map-js'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTransaction, createWriter, ignoreOwnWrites, isEmitOptimizerError, type Writer, type WriterOptions } from '../../src/index.js'
import { stageForOtherUser } from '../support/other-user.js'
import { seeded } from '../support/seeded.js'

const repo = path.resolve(import.meta.dirname, '..', '..')
let root: string
let warnings: string[]
const disposers: Array<() => void> = []

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-writer-'))
  warnings = []
})
afterEach(() => {
  vi.useRealTimers()
  fs.rmSync(root, { recursive: true, force: true })
  for (const dispose of disposers.splice(0)) dispose()
})

function writer(options: WriterOptions = {}): Writer {
  return createWriter({ root, check: false, logger: { warn: (message) => void warnings.push(message) }, ...options })
}

const file = (rel: string): string => path.join(root, rel)
const read = (rel: string): string => fs.readFileSync(file(rel), 'utf8')

/** Every entry under root except the transaction state in node_modules, with content and mode. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    const abs = path.join(entry.parentPath, entry.name)
    const rel = path.relative(root, abs)
    if (rel.split(path.sep)[0] === 'node_modules') continue
    const stats = fs.lstatSync(abs)
    out[rel] = entry.isDirectory() ? `dir ${stats.mode & 0o7777}` : `${stats.mode & 0o7777} ${stats.ino} ${stats.mtimeMs} ${fs.readFileSync(abs).toString('base64')}`
  }
  return out
}

function tempFiles(dir = root): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((name) => name.endsWith('.eo-tmp'))
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise
  } catch (error) {
    if (isEmitOptimizerError(error)) return { code: error.code, message: error.message }
    throw error
  }
  throw new Error('expected a rejection')
}

describe('write: write-if-changed, atomic', () => {
  it('creates a file, then leaves it untouched (same mtime and inode) when the content is equal', async () => {
    const w = writer()
    expect(await w.write('src/gen/a.ts', 'export const a = 1\n')).toEqual({ status: 'created', path: 'src/gen/a.ts' })
    const before = fs.statSync(file('src/gen/a.ts'))
    for (const compare of ['cache-first', 'disk'] as const) {
      expect(await writer({ compare }).write('src/gen/a.ts', 'export const a = 1\n')).toEqual({ status: 'unchanged', path: 'src/gen/a.ts' })
      expect(await w.write(file('src/gen/a.ts'), Buffer.from('export const a = 1\n'))).toMatchObject({ status: 'unchanged' })
    }
    const after = fs.statSync(file('src/gen/a.ts'))
    expect([after.mtimeMs, after.ctimeMs, after.ino]).toEqual([before.mtimeMs, before.ctimeMs, before.ino])
    expect(w.changes()).toEqual([{ path: 'src/gen/a.ts', status: 'created' }])
  })

  it('replaces a changed file by rename: new inode, mode and owner kept, no temp file left', async () => {
    fs.writeFileSync(file('a.sh'), 'old')
    fs.chmodSync(file('a.sh'), 0o751)
    // Root can give the file another owner; the writer must hand it on to the new inode.
    const owner = process.getuid?.() === 0 ? { uid: 1234, gid: 4321 } : { uid: fs.statSync(file('a.sh')).uid, gid: fs.statSync(file('a.sh')).gid }
    fs.chownSync(file('a.sh'), owner.uid, owner.gid)
    const before = fs.statSync(file('a.sh'))
    expect(await writer().write('a.sh', 'new content')).toEqual({ status: 'updated', path: 'a.sh' })
    const after = fs.statSync(file('a.sh'))
    expect(read('a.sh')).toBe('new content')
    expect(after.ino).not.toBe(before.ino)
    expect([after.mode & 0o7777, after.uid, after.gid]).toEqual([0o751, owner.uid, owner.gid])
    expect(tempFiles()).toEqual([])
    expect(warnings).toEqual([])
  })

  it('sets an explicit mode, and rewrites a file whose mode differs', async () => {
    const w = writer()
    await w.write('bin/run', '#!/bin/sh\n', { mode: 0o755 })
    expect(fs.statSync(file('bin/run')).mode & 0o7777).toBe(0o755)
    expect(await w.write('bin/run', '#!/bin/sh\n', { mode: 0o700 })).toMatchObject({ status: 'updated' })
    expect(fs.statSync(file('bin/run')).mode & 0o7777).toBe(0o700)
  })

  it('detects a file changed behind its back although the cache says it wrote it', async () => {
    const w = writer()
    await w.write('a.txt', 'ours')
    fs.writeFileSync(file('a.txt'), 'them') // same size: only stat identity tells
    expect(await w.write('a.txt', 'ours')).toMatchObject({ status: 'updated' })
    expect(read('a.txt')).toBe('ours')
    fs.writeFileSync(file('a.txt'), 'ours') // rewritten with our bytes by someone else
    expect(await w.write('a.txt', 'ours')).toMatchObject({ status: 'unchanged' })
  })

  it('normalises line endings and the final newline before comparing', async () => {
    fs.writeFileSync(file('crlf.ts'), 'a\r\nb\r\n')
    const auto = writer({ eol: 'auto', finalNewline: 'ensure' })
    // A CRLF checkout (git autocrlf) is not rewritten for an LF generator.
    expect(await auto.write('crlf.ts', 'a\nb')).toMatchObject({ status: 'unchanged' })
    expect(await auto.write('new.ts', 'x\r\ny\n\n\n')).toMatchObject({ status: 'created' })
    expect(read('new.ts')).toBe('x\ny\n')
    expect(await writer({ eol: 'crlf', finalNewline: 'remove' }).write('crlf.ts', 'a\nb\n')).toMatchObject({ status: 'updated' })
    expect(read('crlf.ts')).toBe('a\r\nb')
    // Bytes are never touched.
    await writer({ eol: 'lf' }).write('bin.dat', Buffer.from('a\r\n'))
    expect(read('bin.dat')).toBe('a\r\n')
  })

  it('confines paths to root with the engine guard', async () => {
    const w = writer()
    fs.mkdirSync(path.join(root, '..', path.basename(root) + '-outside'), { recursive: true })
    fs.symlinkSync(path.join(root, '..', path.basename(root) + '-outside'), file('link'))
    try {
      for (const bad of ['../x.ts', '/etc/passwd', 'a/../../x', 'nul\u0000.ts', 'link/x.ts', path.join(os.tmpdir(), 'x.ts')]) {
        expect((await rejection(Promise.resolve().then(() => w.write(bad, 'x')))).code, bad).toBe('EO_PATH_ESCAPE')
      }
      expect(await w.write(file('inside/abs.ts'), 'ok')).toEqual({ status: 'created', path: 'inside/abs.ts' })
      expect(fs.readdirSync(path.join(root, '..', path.basename(root) + '-outside'))).toEqual([])
    } finally {
      fs.rmSync(path.join(root, '..', path.basename(root) + '-outside'), { recursive: true, force: true })
    }
  })

  it('falls back to an in-place write with a warning when the replace is refused (real EPERM/EACCES), or fails with atomicFallback: false', async () => {
    const dir = path.join(root, 'shared')
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, 'owned.ts'), 'old', { mode: 0o666 })
    fs.chmodSync(path.join(dir, 'owned.ts'), 0o666)
    const before = fs.statSync(path.join(dir, 'owned.ts'))
    let run: (fallback: boolean, content: string) => Promise<Record<string, unknown>>
    if (process.getuid?.() === 0) {
      // As root nothing is refused, so the writer runs as `nobody` in a directory it owns, on a
      // file root owns: the temp file and rename work, giving the new file root's owner does not (EPERM).
      // `nobody` may not be able to read the repository (a clone in a 0700 directory): the child
      // is bundled into a temp dir it can read (test/support/other-user.ts).
      const staged = stageForOtherUser(path.join(repo, 'test/fixtures/writer-child.mts'))
      if (!staged.ok) {
        const reason = `the EPERM case needs a child process as nobody, and ${staged.reason}`
        if (process.env.CI) throw new Error(`${reason}; CI must run this test, not skip it`)
        console.warn(`SKIPPED: ${reason}`)
        return
      }
      disposers.push(staged.dispose)
      fs.chmodSync(root, 0o755) // mkdtemp made it 0o700
      fs.chownSync(dir, 65534, 65534)
      run = async (fallback, content) => {
        const child = spawnSync(process.execPath, [staged.script, dir, 'owned.ts', content, String(fallback)], {
          cwd: staged.dir,
          encoding: 'utf8',
          uid: 65534,
          gid: 65534,
          env: { ...process.env, HOME: os.tmpdir() },
        })
        warnings.push(child.stderr)
        if (child.error || !child.stdout) throw new Error(`the child as nobody failed (status ${child.status}): ${child.error?.message ?? child.stderr}`)
        return JSON.parse(child.stdout) as Record<string, unknown>
      }
    } else {
      // Not root: a directory we may not create files in, holding a file we may write (EACCES).
      fs.chmodSync(dir, 0o555)
      run = (fallback, content) =>
        createWriter({ root: dir, atomicFallback: fallback, logger: { warn: (m) => void warnings.push(m) } })
          .write('owned.ts', content)
          .then((result) => ({ ...result }), (error: { code: string }) => ({ error: error.code }))
    }
    expect(await run(false, 'strict')).toEqual({ error: 'EO_PERMISSION' })
    expect(await run(true, 'in place')).toEqual({ status: 'updated', path: 'owned.ts' })
    const after = fs.statSync(path.join(dir, 'owned.ts'))
    expect(fs.readFileSync(path.join(dir, 'owned.ts'), 'utf8')).toBe('in place')
    expect([after.ino, after.uid, after.gid, after.mode & 0o7777]).toEqual([before.ino, before.uid, before.gid, 0o666])
    expect(warnings.join('\n')).toMatch(/cannot replace "owned.ts" atomically \((EPERM|EACCES)/)
    fs.chmodSync(dir, 0o755)
    expect(tempFiles(dir)).toEqual([])
  })
})

describe('coalescing', () => {
  it('1000 rapid writes to one path end with the last content on disk, with far fewer writes', async () => {
    const w = writer({ throttleMs: 20 })
    const rng = seeded(5)
    const results: Array<Promise<unknown>> = []
    for (let i = 0; i < 1000; i++) {
      results.push(w.write('hot.ts', `export const version = ${i}\n`))
      // Yield now and then, so some writes start while newer content keeps arriving.
      if (rng.chance(0.05)) await new Promise((resolve) => setImmediate(resolve))
    }
    await w.flush()
    expect(read('hot.ts')).toBe('export const version = 999\n')
    const settled = await Promise.all(results)
    expect(settled).toHaveLength(1000)
    const writes = w.changes().length
    expect(writes).toBeGreaterThanOrEqual(1)
    expect(writes).toBeLessThan(50)
  })

  it('never lets older content overwrite newer content (a slow formatter holds the first write)', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const seen: string[] = []
    const w = writer({
      throttleMs: 0,
      format: async (code) => {
        seen.push(code)
        if (code === 'v1') await gate
        return code
      },
    })
    const first = w.write('a.ts', 'v1')
    await vi.waitFor(() => expect(seen).toEqual(['v1']))
    const second = w.write('a.ts', 'v2')
    const third = w.write('a.ts', 'v3')
    release()
    await w.flush()
    expect(read('a.ts')).toBe('v3')
    expect(await first).toMatchObject({ status: 'created' })
    expect(await second).toEqual(await third)
    expect(seen).toEqual(['v1', 'v3']) // v2 was replaced while queued: never formatted, never written
  })

  it('debounces, then throttles, per path (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] })
    const w = writer({ debounceMs: 100, throttleMs: 300 })
    void w.write('d.ts', '1')
    await vi.advanceTimersByTimeAsync(60)
    void w.write('d.ts', '2') // restarts the quiet period
    await vi.advanceTimersByTimeAsync(60)
    expect(fs.existsSync(file('d.ts'))).toBe(false)
    await vi.advanceTimersByTimeAsync(60)
    expect(read('d.ts')).toBe('2')
    void w.write('d.ts', '3')
    await vi.advanceTimersByTimeAsync(200) // quiet, but within the throttle interval
    expect(read('d.ts')).toBe('2')
    await vi.advanceTimersByTimeAsync(150)
    expect(read('d.ts')).toBe('3')
    expect(w.changes()).toHaveLength(2)

    // Only writes that changed the file count for the throttle: one that found it unchanged does not.
    const t = writer({ debounceMs: 0, throttleMs: 300 })
    const first = t.write('t.ts', 'a')
    await vi.advanceTimersByTimeAsync(0)
    expect(await first).toMatchObject({ status: 'created' })
    await vi.advanceTimersByTimeAsync(300)
    const same = t.write('t.ts', 'a')
    await vi.advanceTimersByTimeAsync(0)
    expect(await same).toMatchObject({ status: 'unchanged' })
    void t.write('t.ts', 'b')
    await vi.advanceTimersByTimeAsync(0)
    expect(read('t.ts')).toBe('b')
  })

  it('flush() writes queued content at once and reports failures; a failing write does not stop the others', async () => {
    fs.mkdirSync(file('dir.ts'))
    const w = writer({ debounceMs: 10_000 })
    const ok = w.write('ok.ts', 'fine')
    const bad = w.write('dir.ts', 'a directory is in the way')
    const error = await rejection(w.flush())
    expect(error.code).toBe('EO_OUTDIR_INVALID')
    expect(await ok).toMatchObject({ status: 'created' })
    expect((await rejection(bad)).code).toBe('EO_OUTDIR_INVALID')
    await w.flush() // failures are reported once
  })
})

describe('a concurrent reader', () => {
  it('never sees partial content while the writer replaces the file (child process polling)', async () => {
    const target = file('live.json')
    const version = (i: number): string => `${String(i).padStart(4, '0')}:${String.fromCharCode(97 + (i % 26)).repeat(256 * 1024)}:END`
    const w = writer({ throttleMs: 0 })
    await w.write('live.json', version(0))
    // Each complete version is `<4 digits>:<one letter repeated 256 KiB>:END`; anything else is a torn read.
    const script = `
      const fs = require('fs')
      const [file, last] = [process.argv[1], process.argv[2]]
      const expected = 5 + 256 * 1024 + 4
      let reads = 0, torn = 0, versions = new Set()
      process.stdout.write('ready\\n')
      for (let i = 0; i < 20000; i++) {
        const text = fs.readFileSync(file, 'latin1')
        reads++
        const letter = text[5]
        if (text.length !== expected || !text.endsWith(':END') || text.slice(5, -4) !== (letter ?? '').repeat(256 * 1024)) torn++
        versions.add(text.slice(0, 4))
        if (text.startsWith(last)) break
      }
      process.stdout.write(JSON.stringify({ reads, torn, versions: versions.size }) + '\\n')`
    const last = 150
    const child = spawn(process.execPath, ['-e', script, target, String(last).padStart(4, '0')], { stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    const exited = once(child, 'exit')
    try {
      await vi.waitFor(() => expect(stdout).toContain('ready'), { timeout: 10_000 })
      for (let i = 1; i <= last; i++) await w.write('live.json', version(i))
      await exited
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
    const report = JSON.parse(stdout.split('\n')[1]!) as { reads: number; torn: number; versions: number }
    expect(report.torn).toBe(0)
    expect(report.versions).toBeGreaterThan(1) // it really read while versions changed
    expect(tempFiles()).toEqual([])
  })
})

describe('optimistic concurrency', () => {
  it('writes only if the file is still as read; conflicts are errors, skips or overwrites', async () => {
    const w = writer()
    await w.write('conf.json', '{"a":1}')
    const seen = (await w.read('conf.json'))!
    expect(await w.write('conf.json', '{"a":2}', { expect: { hash: seen.hash } })).toEqual({ status: 'updated', path: 'conf.json' })
    const mine = (await w.read('conf.json'))!
    fs.writeFileSync(file('conf.json'), '{"a":"edited by a person"}')
    const conflict = await rejection(w.write('conf.json', '{"a":3}', { expect: { hash: mine.hash } }))
    expect(conflict.code).toBe('EO_CONFLICT')
    expect(conflict.message).toContain('"conf.json" changed since it was read')
    expect(await w.write('conf.json', '{"a":3}', { expect: { mtimeMs: mine.mtimeMs }, onConflict: 'skip' })).toEqual({ status: 'skipped', path: 'conf.json', conflict: true })
    expect(read('conf.json')).toBe('{"a":"edited by a person"}')
    // Content equal to what is there already is no conflict.
    expect(await w.write('conf.json', '{"a":"edited by a person"}', { expect: { hash: mine.hash } })).toMatchObject({ status: 'unchanged' })
    expect(await w.write('conf.json', '{"a":4}', { expect: { hash: mine.hash }, onConflict: 'overwrite' })).toEqual({ status: 'updated', path: 'conf.json', conflict: true })
    expect(read('conf.json')).toBe('{"a":4}')
  })

  it('expect { exists: false } never clobbers a file someone created meanwhile', async () => {
    const w = writer()
    expect(await w.read('scaffold.ts')).toBeUndefined()
    expect(await w.write('scaffold.ts', 'generated', { expect: { exists: false } })).toMatchObject({ status: 'created' })
    fs.writeFileSync(file('mine.ts'), 'hand written')
    expect(await w.write('mine.ts', 'generated', { expect: { exists: false }, onConflict: 'skip' })).toMatchObject({ status: 'skipped' })
    expect((await rejection(w.write('mine.ts', 'generated', { expect: { exists: false } }))).code).toBe('EO_CONFLICT')
    expect(read('mine.ts')).toBe('hand written')
  })
})

describe('transactions', () => {
  it('publishes all files or none: a failure while publishing restores every file as before', async () => {
    const w = writer()
    await w.transaction((tx) => {
      tx.write('a.txt', 'a1')
      tx.write('c.txt', 'c1')
    })
    fs.writeFileSync(file('blocker'), 'a file where the transaction needs a directory')
    const before = snapshot()
    const error = await rejection(
      w.transaction((tx) => {
        tx.write('a.txt', 'a2')
        tx.write('blocker/x.txt', 'cannot exist')
        tx.write('c.txt', 'c2')
        tx.write('new.txt', 'new')
      }),
    )
    expect(error.code).toBe('EO_IO')
    expect(snapshot()).toEqual(before)
    expect(fs.readdirSync(path.join(root, 'node_modules/.cache/emit-optimizer/writer'))).toEqual([])
  })

  it('a commit killed half-way (kill -9) is rolled back by the next transaction: all old files, no leftovers', async () => {
    const w = writer()
    await w.transaction((tx) => ['a', 'b', 'c'].forEach((n) => tx.write(`${n}.txt`, `${n} old`)))
    const before = snapshot()
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/writer-crash.mts', root, '2', 'a.txt=a new', 'b.txt=b new', 'c.txt=c new'], { cwd: repo, encoding: 'utf8' })
    expect(child.signal).toBe('SIGKILL')
    // Killed between two renames: a mix on disk, and the commit's state dir with its journal.
    expect(['a', 'b', 'c'].map((n) => read(`${n}.txt`))).toEqual(['a new', 'b old', 'c old'])
    const state = path.join(root, 'node_modules/.cache/emit-optimizer/writer')
    const leftovers = fs.readdirSync(state).filter((name) => name.startsWith('tx-'))
    expect(leftovers).toHaveLength(1)
    expect(fs.existsSync(path.join(state, leftovers[0]!, 'journal.json'))).toBe(true)

    expect(await writer().transaction((tx) => tx.write('d.txt', 'd'))).toMatchObject({ changed: 1, committed: true })
    expect(snapshot()).toEqual({ ...before, 'd.txt': snapshot()['d.txt'] })
    expect(fs.readdirSync(state)).toEqual([])
  })

  it('writes nothing when the callback throws or a conflict is an error', async () => {
    const w = writer()
    await w.write('keep.txt', 'v1')
    const before = snapshot()
    await expect(
      w.transaction((tx) => {
        tx.write('keep.txt', 'v2')
        throw new Error('generator bug')
      }),
    ).rejects.toThrow('generator bug')
    const conflict = await rejection(
      w.transaction((tx) => {
        tx.write('other.txt', 'x')
        tx.write('keep.txt', 'v2', { expect: { hash: 'not-what-is-there' } })
      }),
    )
    expect(conflict.code).toBe('EO_CONFLICT')
    expect(snapshot()).toEqual(before)
  })

  it('reports statuses, edits within the transaction, and leaves unchanged files alone', async () => {
    const w = writer()
    await w.write('same.ts', 'same')
    const same = fs.statSync(file('same.ts'))
    const result = await w.transaction(async (tx) => {
      tx.write('same.ts', 'same')
      tx.write('new.ts', 'export const x = 1')
      expect((await tx.edit('new.ts', { search: '1', replace: '2' })).code).toBe('export const x = 2')
      tx.delete('same-never-existed.ts')
    })
    expect(result).toEqual({ files: [{ path: 'new.ts', status: 'created' }, { path: 'same.ts', status: 'unchanged' }], changed: 1, committed: true })
    expect(read('new.ts')).toBe('export const x = 2')
    expect(fs.statSync(file('same.ts')).ino).toBe(same.ino)
    expect(await w.transaction((tx) => tx.write('same.ts', 'same'))).toMatchObject({ changed: 0, committed: false })
  })

  it('cleans stale files of an owned directory, but never after a run that produced nothing or failed', async () => {
    const w = writer()
    await w.transaction((tx) => ['a', 'b', 'c'].forEach((n) => tx.write(`routes/${n}.ts`, n)), { clean: 'routes' })
    fs.writeFileSync(file('routes/.gitkeep'), '')
    fs.mkdirSync(file('routes/nested'))
    fs.writeFileSync(file('routes/nested/old.ts'), 'stale')
    const result = await w.transaction((tx) => ['a', 'c'].forEach((n) => tx.write(`routes/${n}.ts`, n)), { clean: ['routes'] })
    expect(result.files).toEqual([
      { path: 'routes/a.ts', status: 'unchanged' },
      { path: 'routes/b.ts', status: 'deleted' },
      { path: 'routes/c.ts', status: 'unchanged' },
      { path: 'routes/nested/old.ts', status: 'deleted' },
    ])
    expect((fs.readdirSync(file('routes')) as string[]).sort()).toEqual(['.gitkeep', 'a.ts', 'c.ts'])

    const before = snapshot()
    expect(await w.transaction(() => {}, { clean: 'routes' })).toEqual({ files: [], changed: 0, committed: false })
    expect(warnings.join('\n')).toContain('not cleaning "routes": this transaction wrote nothing into it')
    await expect(w.transaction((tx) => { tx.write('routes/a.ts', 'a'); throw new Error('failed run') }, { clean: 'routes' })).rejects.toThrow('failed run')
    expect(snapshot()).toEqual(before)
    expect((await rejection(w.transaction((tx) => tx.write('x.ts', 'x'), { clean: '.' }))).code).toBe('EO_PATH_ESCAPE')
  })

  it('orders against direct writes: an older queued write is replaced, a newer one wins after the commit', async () => {
    const w = writer({ debounceMs: 10_000, throttleMs: 10_000 })
    const older = w.write('a.ts', 'direct, before the transaction')
    const result = await w.transaction((tx) => tx.write('a.ts', 'transaction'))
    expect(await older).toEqual({ status: 'created', path: 'a.ts' })
    expect(result.changed).toBe(1)
    expect(read('a.ts')).toBe('transaction')

    let newer: Promise<unknown> | undefined
    await w.transaction(async (tx) => {
      tx.write('b.ts', 'transaction')
      newer = w.write('b.ts', 'direct, after the transaction wrote it')
    })
    await w.flush()
    expect(read('b.ts')).toBe('direct, after the transaction wrote it')
    expect(await newer).toMatchObject({ status: 'updated' })
  })

  it('joins a build transaction: the files are published by the build commit, with everything else', async () => {
    const w = writer()
    const build = createTransaction({ outDir: 'dist', root, logger: { warn: () => {} } })
    build.write('index.html', '<!doctype html>')
    const result = await w.transaction((tx) => tx.write('dist/types.d.ts', 'export {}'), { join: build })
    expect(result).toMatchObject({ committed: false, files: [{ path: 'dist/types.d.ts', status: 'created' }] })
    expect(fs.existsSync(file('dist'))).toBe(false)
    const commit = await build.commit()
    expect(commit.files.map((f) => `${f.status} ${f.path}`)).toEqual(['written index.html', 'written types.d.ts'])
    expect(read('dist/types.d.ts')).toBe('export {}')
    expect((await rejection(w.transaction((tx) => tx.write('outside.ts', 'x'), { join: createTransaction({ outDir: 'dist', root }) }))).code).toBe('EO_PATH_ESCAPE')
  })
})

describe('multi-edit', () => {
  it('applies many edits with one read and one write; the source map points back to the original', async () => {
    const original = 'import { a } from "./a"\nconst answer = __ANSWER__\nexport default answer\n'
    fs.writeFileSync(file('mod.ts'), original)
    const w = writer()
    const result = await w.edit(
      'mod.ts',
      [
        { start: 0, end: 0, content: '// generated\n' },
        { search: '__ANSWER__', replace: '42' },
        { search: /export default (\w+)/, replace: 'export { $1 as default }' },
      ],
      { map: true },
    )
    const expected = '// generated\nimport { a } from "./a"\nconst answer = 42\nexport { answer as default }\n'
    expect(result.code).toBe(expected)
    expect(result.changed).toBe(true)
    expect(read('mod.ts')).toBe(expected)
    await w.flush()
    const written = JSON.parse(read('mod.ts.map')) as { sources: string[]; sourcesContent: string[]; file: string }
    expect(written).toMatchObject({ sources: ['mod.ts'], sourcesContent: [original], file: 'mod.ts' })
    const consumer = new SourceMapConsumer(JSON.parse(result.map.toString()))
    // generated line 2 (the import) is original line 1; `answer` on generated line 3 is original line 2, column 6.
    expect(consumer.originalPositionFor({ line: 2, column: 9 })).toMatchObject({ source: 'mod.ts', line: 1, column: 9 })
    expect(consumer.originalPositionFor({ line: 3, column: 6 })).toMatchObject({ source: 'mod.ts', line: 2, column: 6 })
    expect(consumer.originalPositionFor({ line: 3, column: 15 })).toMatchObject({ source: 'mod.ts', line: 2, column: 15 })

    const again = await w.edit('mod.ts', { search: 'answer', replace: 'answer' })
    expect(again.changed).toBe(false)
    expect(w.changes().map((c) => c.path)).toEqual(['mod.ts', 'mod.ts.map'])
  })

  it('edits apply to content still queued, and fail clearly on a missing file or text', async () => {
    const w = writer({ debounceMs: 10_000 })
    const queued = w.write('q.ts', 'let x = 1')
    expect((await w.edit('q.ts', { search: '1', replace: '2' })).code).toBe('let x = 2')
    expect(await queued).toMatchObject({ status: 'created' })
    expect(read('q.ts')).toBe('let x = 2')
    expect((await rejection(w.edit('missing.ts', { start: 0, end: 0, content: 'x' }))).code).toBe('EO_EDIT_FAILED')
    expect((await rejection(w.edit('q.ts', { search: 'nope', replace: '' }))).code).toBe('EO_EDIT_FAILED')
    expect(read('q.ts')).toBe('let x = 2')
  })
})

describe('formatter hook', () => {
  it('runs before comparing and is skipped for an input it already formatted while the file holds the result', async () => {
    const calls: string[] = []
    const format = (code: string, p: string): string => {
      calls.push(path.basename(p))
      return `${code.trim().replace(/\s+/g, ' ')};\n`
    }
    const w = writer({ format })
    expect(await w.write('f.ts', 'const   a =  1')).toMatchObject({ status: 'created' })
    expect(read('f.ts')).toBe('const a = 1;\n')
    expect(await w.write('f.ts', 'const   a =  1')).toMatchObject({ status: 'unchanged' })
    expect(calls).toEqual(['f.ts'])
    // Another input with the same formatted output: formatted, compared, not written.
    expect(await w.write('f.ts', 'const a = 1')).toMatchObject({ status: 'unchanged' })
    expect(calls).toEqual(['f.ts', 'f.ts'])
    fs.writeFileSync(file('f.ts'), 'edited')
    expect(await w.write('f.ts', 'const a = 1')).toMatchObject({ status: 'updated' })
    expect(read('f.ts')).toBe('const a = 1;\n')
    expect(calls).toHaveLength(3)
  })
})

describe('streaming', () => {
  it('streams to a temp file while writing (constant memory) and publishes on end', async () => {
    const w = writer()
    const stream = w.stream('big/data.bin')
    const chunk = Buffer.alloc(1024 * 1024, 7)
    for (let i = 0; i < 4; i++) if (!stream.write(chunk)) await once(stream, 'drain')
    await vi.waitFor(() => expect(stream.writableLength).toBe(0))
    // The bytes are on disk in the temp file already, not held in memory; the target does not exist yet.
    const temps = tempFiles(file('big'))
    expect(temps).toHaveLength(1)
    expect(fs.statSync(path.join(file('big'), temps[0]!)).size).toBe(4 * chunk.byteLength)
    expect(fs.existsSync(file('big/data.bin'))).toBe(false)
    stream.end(chunk)
    expect(await stream.result).toEqual({ status: 'created', path: 'big/data.bin' })
    expect(fs.statSync(file('big/data.bin')).size).toBe(5 * chunk.byteLength)
    expect(tempFiles()).toEqual([])

    const before = fs.statSync(file('big/data.bin'))
    const again = w.stream('big/data.bin')
    await pipeline(Readable.from([chunk, chunk, chunk, chunk, chunk]), again)
    expect(await again.result).toMatchObject({ status: 'unchanged' })
    expect(fs.statSync(file('big/data.bin')).ino).toBe(before.ino)
  })

  it('publishes nothing when aborted or when the source fails', async () => {
    fs.writeFileSync(file('out.txt'), 'previous')
    const before = snapshot()
    const w = writer()
    const aborted = w.stream('out.txt')
    aborted.write('partial ')
    aborted.destroy()
    expect((await rejection(aborted.result)).code).toBe('EO_ABORTED')
    const failing = w.stream('out.txt')
    await expect(
      pipeline(
        (async function* () {
          yield Buffer.from('half of it')
          throw new Error('source broke')
        })(),
        failing,
      ),
    ).rejects.toThrow('source broke')
    await expect(failing.result).rejects.toThrow('source broke')
    // A new path: the directories made for its temp file go too.
    const nested = w.stream('new/deep/file.bin')
    await new Promise((resolve) => nested.write(Buffer.alloc(1024), resolve))
    expect(tempFiles(file('new/deep'))).toHaveLength(1)
    const errored = once(nested, 'error')
    nested.destroy(new Error('cancelled'))
    await expect(errored).resolves.toEqual([new Error('cancelled')])
    await expect(nested.result).rejects.toThrow('cancelled')
    expect(snapshot()).toEqual(before)
    expect(tempFiles()).toEqual([])
  })
})

describe('check mode', () => {
  it('writes nothing (no file, directory or temp file) and lists what would change', async () => {
    fs.writeFileSync(file('same.ts'), 'same')
    fs.writeFileSync(file('old.ts'), 'old')
    fs.mkdirSync(file('gen'))
    fs.writeFileSync(file('gen/stale.ts'), 'stale')
    const before = snapshot()
    const w = writer({ check: true })
    expect(w.check).toBe(true)
    expect(await w.write('same.ts', 'same')).toMatchObject({ status: 'unchanged' })
    expect(await w.write('old.ts', 'new')).toMatchObject({ status: 'updated' })
    expect(await w.write('deep/new.ts', 'new')).toMatchObject({ status: 'created' })
    expect((await w.edit('same.ts', { search: 'same', replace: 'edited' })).code).toBe('edited')
    await pipeline(Readable.from(['streamed']), w.stream('streamed.txt'))
    const tx = await w.transaction((t) => t.write('gen/fresh.ts', 'fresh'), { clean: 'gen' })
    expect(tx).toMatchObject({ changed: 2, committed: false })
    // Written back to what is on disk: no longer a change.
    await w.write('old.ts', 'old')
    expect(snapshot()).toEqual(before)
    expect(w.changes()).toEqual([
      { path: 'deep/new.ts', status: 'created' },
      { path: 'same.ts', status: 'updated' },
      { path: 'streamed.txt', status: 'created' },
      { path: 'gen/fresh.ts', status: 'created' },
      { path: 'gen/stale.ts', status: 'deleted' },
    ])
  })

  it('is on by default when EMIT_OPTIMIZER_CHECK=1', () => {
    vi.stubEnv('EMIT_OPTIMIZER_CHECK', '1')
    try {
      expect(createWriter({ root }).check).toBe(true)
      expect(createWriter({ root, check: false }).check).toBe(false)
    } finally {
      vi.unstubAllEnvs()
    }
    expect(createWriter({ root }).check).toBe(false)
  })
})

describe('loop protection', () => {
  it('ignoreOwnWrites is true for events caused by the writer and false for anyone else (real files)', async () => {
    const w = writer()
    const ignore = ignoreOwnWrites(w)
    await w.write('src/routes.gen.ts', 'export const routes = []\n')
    expect(ignore(file('src/routes.gen.ts'))).toBe(true)
    expect(ignore('src/routes.gen.ts')).toBe(true)
    expect(ignore(file('src/.routes.gen.ts.0a1b2c3d4e5f.eo-tmp'))).toBe(true)
    // Unchanged rewrites keep it ours; a person's edit (even back to the same bytes) is not.
    await w.write('src/routes.gen.ts', 'export const routes = []\n')
    expect(ignore(file('src/routes.gen.ts'))).toBe(true)
    fs.writeFileSync(file('src/routes.gen.ts'), 'export const routes = []\n')
    expect(ignore(file('src/routes.gen.ts'))).toBe(false)
    fs.writeFileSync(file('src/page.ts'), 'a page')
    expect(ignore(file('src/page.ts'))).toBe(false)
    expect(ignore(path.join(os.tmpdir(), 'elsewhere.ts'))).toBe(false)
    await w.transaction((tx) => tx.delete('src/routes.gen.ts'))
    expect(ignore(file('src/routes.gen.ts'))).toBe(true)
    fs.rmSync(file('src/page.ts'))
    expect(ignore(file('src/page.ts'))).toBe(false)
  })
})
