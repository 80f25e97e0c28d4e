/**
 * Build history (src/history/): versions recorded per commit, content-addressed objects shared
 * between versions, the index (O(1) listing, rebuilt when lost), retention and gc, rollback as one
 * transaction, and what a damaged store does. Real files in temp dirs; faults through faulty-fs.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTransaction, diffVersions, gcHistory, listHistory, rebuildHistory, recover, rollback, showVersion, type TransactionOptions } from '../../src/index.js'
import { nodeFs, type EngineFs } from '../../src/core/fs.js'
import { hashContents } from '../../src/core/hash.js'
import { defaultStateDir } from '../../src/core/state-dir.js'
import { applyRetention } from '../../src/history/retention.js'
import { historyPaths } from '../../src/history/paths.js'
import { INDEX_FORMAT, type VersionSummary } from '../../src/history/versions.js'
import { runCli } from '../../src/cli/run.js'
import { faultyFs } from '../support/faulty-fs.js'
import { seeded, testSeed } from '../support/seeded.js'
import { diffTrees, listLitter, snapshot, type Tree } from '../support/tree.js'

const silent = { warn: () => {} }
const SEED = testSeed(0x4157)
let root: string
let outDir: string

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-history-')))
  outDir = path.join(root, 'dist')
})
afterEach(() => fs.rmSync(root, { recursive: true, force: true }))

const store = () => historyPaths(defaultStateDir(root, outDir))

async function commit(files: Record<string, string | Buffer>, extra: Partial<TransactionOptions> = {}) {
  const tx = createTransaction({ outDir, root, logger: silent, durability: 'none', ...extra })
  for (const [rel, contents] of Object.entries(files)) tx.write(rel, contents)
  return tx.commit()
}

/** `n` seeded files of 1–16 KiB under a few directories. */
function site(n: number, seed: number): Record<string, Buffer> {
  const rng = seeded(seed)
  const files: Record<string, Buffer> = {}
  for (let i = 0; i < n; i++) files[`${['assets', 'chunks', 'img'][i % 3]}/f${i}.js`] = Buffer.from(Array.from({ length: rng.int(1024, 16 * 1024) }, () => rng.int(0, 255)))
  return files
}

function objectsOnDisk(): Array<{ sha: string; size: number; ino: number }> {
  const dir = store().objects
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir).map((name) => ({ sha: name, ...fs.statSync(path.join(dir, name)) }))
}

describe('recording versions', () => {
  it('each commit that changes outDir is a version with its files (size, sha256, mode); an identical build adds none', async () => {
    const a = await commit({ 'index.html': '<h1>1</h1>', 'app.js': 'one' })
    await commit({ 'index.html': '<h1>1</h1>', 'app.js': 'one' })
    const b = await commit({ 'index.html': '<h1>2</h1>', 'app.js': 'one', 'new.css': 'x' }, { bundler: 'vite' })
    const view = await listHistory('dist', { root })
    expect(view.versions.map((v) => v.id)).toEqual([a.txId, b.txId])
    expect(view.current).toBe(b.txId)
    expect(view.versions[1]).toMatchObject({ bundler: 'vite', files: 3, bytes: 10 + 3 + 1 })
    const shown = await showVersion('dist', b.txId, { root })
    expect(shown.current).toBe(true)
    expect(shown.files['index.html']).toEqual({ size: 10, sha256: hashContents(Buffer.from('<h1>2</h1>')), mode: fs.statSync(path.join(outDir, 'index.html')).mode & 0o7777 })
    expect(listLitter(root)).toEqual([])
  })

  it('ten builds of a 300-file app store each distinct content once: objects = files of one build + what changed', async () => {
    const files = site(300, SEED)
    const rng = seeded(SEED + 1)
    let changedBytes = 0
    const distinct = new Set(Object.values(files).map((c) => hashContents(c)))
    await commit(files)
    for (let build = 1; build < 10; build++) {
      for (const rel of rng.shuffle(Object.keys(files)).slice(0, 3)) {
        files[rel] = Buffer.concat([files[rel]!, Buffer.from(`/* build ${build} */`)])
        changedBytes += files[rel]!.byteLength
        distinct.add(hashContents(files[rel]!))
      }
      await commit(files)
    }
    const objects = objectsOnDisk()
    expect((await listHistory('dist', { root })).versions).toHaveLength(10)
    expect(new Set(objects.map((o) => o.sha))).toEqual(distinct)
    const oneBuild = Object.values(site(300, SEED)).reduce((sum, c) => sum + c.byteLength, 0)
    expect(objects.reduce((sum, o) => sum + o.size, 0)).toBeLessThanOrEqual(oneBuild + changedBytes)
    // Objects are copies (or reflinks): none shares an inode with a published file, so edits there cannot reach them.
    const published = new Set(Object.keys(files).map((rel) => fs.statSync(path.join(outDir, rel)).ino))
    expect(objects.filter((o) => published.has(o.ino))).toEqual([])
    expect(objects.every((o) => fs.statSync(store().object(o.sha)).nlink === 1)).toBe(true)
  })

  it('records the git commit and branch of the project', async () => {
    const git = path.join(root, '.git')
    fs.mkdirSync(path.join(git, 'refs', 'heads'), { recursive: true })
    fs.writeFileSync(path.join(git, 'HEAD'), 'ref: refs/heads/main\n')
    fs.writeFileSync(path.join(git, 'packed-refs'), `# pack-refs\n${'c'.repeat(40)} refs/heads/main\n`)
    await commit({ 'a.js': '1' }, { allowDangerousOutDir: true })
    fs.writeFileSync(path.join(git, 'refs', 'heads', 'main'), `${'d'.repeat(40)}\n`)
    await commit({ 'a.js': '2' }, { allowDangerousOutDir: true })
    fs.writeFileSync(path.join(git, 'HEAD'), `${'e'.repeat(40)}\n`)
    await commit({ 'a.js': '3' }, { allowDangerousOutDir: true })
    expect((await listHistory('dist', { root })).versions.map((v) => v.git)).toEqual([
      { commit: 'c'.repeat(40), branch: 'main' },
      { commit: 'd'.repeat(40), branch: 'main' },
      { commit: 'e'.repeat(40), branch: null },
    ])
  })

  it('durability full fsyncs the object directory and the version record; commit fsyncs neither', async () => {
    for (const durability of ['commit', 'full'] as const) {
      outDir = path.join(root, `dist-${durability}`)
      const synced: string[] = []
      const atomic: Array<{ file: string; fsync: boolean }> = []
      const recording: EngineFs = {
        ...nodeFs,
        fsyncPath: (p) => (synced.push(p), nodeFs.fsyncPath(p)),
        writeFileAtomic: (p, data, o) => (atomic.push({ file: p, fsync: o.fsync }), nodeFs.writeFileAtomic(p, data, o)),
      }
      const result = await commit({ 'a.js': `a ${durability}`, 'b/c.js': `c ${durability}`, 'd.html': `d ${durability}` }, { durability, fs: recording })
      const version = await showVersion(path.basename(outDir), result.txId, { root })
      const objectDirs = new Set(Object.values(version.files).map((f) => path.dirname(historyPaths(defaultStateDir(root, outDir)).object(f.sha256))))
      expect(objectDirs.size).toBe(1)
      const record = atomic.find((w) => w.file.endsWith(`/history/versions/${result.txId}.json`))
      if (durability === 'full') {
        for (const dir of objectDirs) expect(synced).toContain(dir)
        expect(record?.fsync).toBe(true)
      } else {
        expect(synced.filter((p) => p.includes('/history/'))).toEqual([])
        expect(record?.fsync).toBe(false)
      }
    }
  })

  it('history: false records nothing; turning it on records the current output even when nothing changes', async () => {
    await commit({ 'a.js': '1' }, { history: false })
    expect(fs.existsSync(store().dir)).toBe(false)
    const on = await commit({ 'a.js': '1' })
    expect(on.stats.written).toBe(0)
    const view = await listHistory('dist', { root })
    expect(view.versions.map((v) => v.id)).toEqual([on.txId])
    expect(view.current).toBe(on.txId)
    expect(listLitter(root)).toEqual([])
  })
})

describe('the index', () => {
  it('listing reads at most two files however many versions there are', async () => {
    for (let i = 0; i < 12; i++) await commit({ 'a.js': String(i) }, { history: { keep: 20 } })
    const reads: string[] = []
    const counting: EngineFs = { ...nodeFs, readFile: (p) => (reads.push(p), nodeFs.readFile(p)) }
    const view = await listHistory('dist', { root, fs: counting })
    expect(view.versions).toHaveLength(12)
    // The index, and the manifest unless this process has it cached from its own commit (one lstat).
    expect(reads.map((p) => path.basename(p)).filter((name) => name !== 'manifest.json')).toEqual(['index.json'])
    expect(reads.length).toBeLessThanOrEqual(2)
  })

  it('a lost or corrupt index is rebuilt from the version records, same order', async () => {
    for (let i = 0; i < 4; i++) await commit({ 'a.js': String(i), [`f${i}.js`]: 'x' })
    const before = await listHistory('dist', { root })
    for (const damage of [() => fs.rmSync(store().index), () => fs.writeFileSync(store().index, '{"format": "emit-optimizer/history-index@1", "versions": [{"id": 5}')]) {
      damage()
      const rebuilt = await listHistory('dist', { root })
      expect(rebuilt.rebuilt).toBe(true)
      expect(rebuilt.versions).toEqual(before.versions)
      expect(await rebuildHistory('dist', { root, logger: silent })).toEqual({ versions: 4 })
      expect((await listHistory('dist', { root })).rebuilt).toBe(false)
    }
    // The next commit also repairs a lost index by itself.
    fs.rmSync(store().index)
    const next = await commit({ 'a.js': 'next' })
    expect((await listHistory('dist', { root })).versions.map((v) => v.id)).toEqual([...before.versions.map((v) => v.id), next.txId])
  })
})

describe('retention and gc', () => {
  const summary = (id: string, daysAgo: number, now: number): VersionSummary => ({ id, committedAt: new Date(now - daysAgo * 86_400_000).toISOString(), bundler: null, git: null, files: 1, bytes: 1 })

  it('keeps the newest `keep`, drops older than maxAgeDays, never the latest or the current one', () => {
    const now = Date.parse('2026-11-22T12:00:00Z')
    const versions = [9, 8, 7, 5, 3, 2, 1].map((days, i) => summary(`v${i}`, days, now))
    const index = { format: INDEX_FORMAT as typeof INDEX_FORMAT, versions }
    const ids = (r: { kept: VersionSummary[] }) => r.kept.map((v) => v.id)
    expect(ids(applyRetention(index, { keep: 3, maxAgeDays: null }, 'v6', now))).toEqual(['v4', 'v5', 'v6'])
    expect(ids(applyRetention(index, { keep: 3, maxAgeDays: null }, 'v0', now))).toEqual(['v0', 'v4', 'v5', 'v6'])
    expect(ids(applyRetention(index, { keep: 10, maxAgeDays: 4 }, 'v6', now))).toEqual(['v4', 'v5', 'v6'])
    expect(ids(applyRetention({ format: INDEX_FORMAT as typeof INDEX_FORMAT, versions: versions.slice(0, 3) }, { keep: 10, maxAgeDays: 1 }, undefined, now))).toEqual(['v2'])
  })

  it('keep: 3 over 6 builds leaves 3 versions and only the objects they use', async () => {
    const rng = seeded(SEED + 2)
    const builds: Array<Record<string, string>> = []
    for (let i = 0; i < 6; i++) {
      const files = { 'shared.js': 'same in every build', [`only-${i}.js`]: `build ${i} ${rng.int(0, 1e9)}`, 'app.js': `app ${i % 2}` }
      builds.push(files)
      await commit(files, { history: { keep: 3 } })
    }
    const view = await listHistory('dist', { root })
    expect(view.versions).toHaveLength(3)
    const expected = new Set(builds.slice(3).flatMap((files) => Object.values(files).map((c) => hashContents(Buffer.from(c)))))
    expect(new Set(objectsOnDisk().map((o) => o.sha))).toEqual(expected)
    expect(fs.readdirSync(store().versions).sort()).toEqual(view.versions.map((v) => `${v.id}.json`).sort())
    expect(listLitter(root)).toEqual([])
  })

  it('recovery removes what a crash outside a journal leaves in the store: an unlisted record with its objects, temp files', async () => {
    await commit({ 'a.js': 'one' })
    const kept = objectsOnDisk().map((o) => o.sha).sort()
    // What a kill between writing a record and listing it leaves (history turned on over an unchanged output).
    const orphanSha = hashContents(Buffer.from('only the orphan'))
    fs.writeFileSync(store().object(orphanSha), 'only the orphan')
    fs.writeFileSync(store().version('zzzz-0000abcd'), JSON.stringify({ format: 'emit-optimizer/version@1', id: 'zzzz-0000abcd', committedAt: new Date().toISOString(), bundler: null, git: null, outDir, files: { 'o.js': { size: 15, sha256: orphanSha, mode: 420 }, 'a.js': { size: 3, sha256: kept[0], mode: 420 } } }))
    fs.writeFileSync(`${store().index}.123`, '{')
    fs.writeFileSync(`${store().version('zzzz-0000abcd')}.456`, '{')
    expect(listLitter(root).length).toBe(4)
    const result = await recover('dist', { root, logger: silent })
    expect(result.leftoversRemoved).toBe(4)
    expect(listLitter(root)).toEqual([])
    expect(objectsOnDisk().map((o) => o.sha).sort()).toEqual(kept)
  })

  it('gc removes unreferenced objects and temp files of copies, and nothing a version uses (unlisted records go at recovery, above)', async () => {
    await commit({ 'a.js': 'one', 'b.js': 'two' })
    await commit({ 'a.js': 'three', 'b.js': 'two' })
    const kept = objectsOnDisk().map((o) => o.sha).sort()
    const stray = hashContents(Buffer.from('nobody uses this'))
    fs.mkdirSync(path.dirname(store().object(stray)), { recursive: true })
    fs.writeFileSync(store().object(stray), 'nobody uses this')
    fs.writeFileSync(`${store().object(kept[0]!)}.123.tmp`, 'half a copy')
    const result = await gcHistory('dist', { root, logger: silent })
    expect(result).toEqual({ objectsRemoved: 1, versionsRemoved: 0, tempsRemoved: 1, bytesFreed: 'nobody uses this'.length })
    expect(objectsOnDisk().map((o) => o.sha).sort()).toEqual(kept)
    expect(listLitter(root)).toEqual([])
  })
})

describe('rollback', () => {
  async function threeBuilds(): Promise<{ ids: string[]; trees: Tree[] }> {
    const ids: string[] = []
    const trees: Tree[] = []
    const sets: Array<Record<string, string>> = [
      { 'index.html': 'v1', 'assets/a.js': 'a1', 'assets/old.css': 'gone later' },
      { 'index.html': 'v2', 'assets/a.js': 'a1', 'assets/b.js': 'b2', 'img/new.svg': '<svg/>' },
      { 'index.html': 'v3', 'assets/a.js': 'a3', 'assets/b.js': 'b2' },
    ]
    for (const files of sets) {
      const tx = createTransaction({ outDir, root, logger: silent, durability: 'none' })
      for (const [rel, contents] of Object.entries(files)) tx.write(rel, contents, rel.endsWith('.js') ? { mode: 0o644 } : {})
      if (files['img/new.svg']) tx.write('bin/run.sh', '#!/bin/sh\n', { mode: 0o755 })
      ids.push((await tx.commit()).txId)
      trees.push(snapshot(outDir, { dirs: true }))
    }
    return { ids, trees }
  }

  it('restores the previous version by default, then older ones, exactly (files, modes, directories)', async () => {
    const { ids, trees } = await threeBuilds()
    const unchanged = fs.statSync(path.join(outDir, 'assets/b.js'))
    const first = await rollback('dist', { root, logger: silent })
    expect(first).toMatchObject({ status: 'committed', from: ids[2], to: ids[1] })
    expect(diffTrees(snapshot(outDir, { dirs: true }), trees[1]!)).toEqual([])
    // Only what differs is rewritten: b.js is the same in both versions.
    const after = fs.statSync(path.join(outDir, 'assets/b.js'))
    expect([after.ino, after.mtimeMs]).toEqual([unchanged.ino, unchanged.mtimeMs])
    expect((await listHistory('dist', { root })).current).toBe(ids[1])
    const second = await rollback('dist', { root, logger: silent })
    expect(second).toMatchObject({ from: ids[1], to: ids[0] })
    expect(diffTrees(snapshot(outDir, { dirs: true }), trees[0]!)).toEqual([])
    await expect(rollback('dist', { root, logger: silent })).rejects.toMatchObject({ code: 'EO_HISTORY_NOT_FOUND', message: expect.stringContaining('no previous version') })
    // Forward again, by a unique id prefix; the history itself is unchanged by rollbacks.
    await rollback('dist', { root, logger: silent, to: ids[2]!.slice(0, ids[2]!.length - 2) })
    expect(diffTrees(snapshot(outDir, { dirs: true }), trees[2]!)).toEqual([])
    expect((await listHistory('dist', { root })).versions.map((v) => v.id)).toEqual(ids)
    expect(listLitter(root)).toEqual([])
  })

  it('a build after a rollback is a new version; the restored one stays kept', async () => {
    const { ids } = await threeBuilds()
    await rollback('dist', { root, logger: silent, to: ids[0] })
    const next = await commit({ 'index.html': 'v4' }, { history: { keep: 2 } })
    const view = await listHistory('dist', { root })
    expect(view.versions.map((v) => v.id)).toEqual([ids[2], next.txId])
    expect(view.current).toBe(next.txId)
  })

  it('works for every strategy, keeping the strategy outDir was committed with', async () => {
    for (const strategy of ['swap', 'symlink'] as const) {
      outDir = path.join(root, `dist-${strategy}`)
      const a = await commit({ 'a.js': 'A', 'x/y.css': 'Y' }, { strategy })
      const aTree = snapshot(outDir)
      await commit({ 'a.js': 'B', 'z.js': 'Z' }, { strategy })
      const result = await rollback(path.basename(outDir), { root, logger: silent })
      expect(result).toMatchObject({ strategy, to: a.txId })
      expect(diffTrees(snapshot(outDir), aTree)).toEqual([])
      expect(fs.lstatSync(outDir).isSymbolicLink()).toBe(strategy === 'symlink')
    }
    expect(listLitter(root)).toEqual([])
  })

  it('an altered or missing stored file is refused with EO_HISTORY_CORRUPT before outDir is touched', async () => {
    const { ids, trees } = await threeBuilds()
    const old = await showVersion('dist', ids[0]!, { root })
    // assets/old.css exists only in the first version: its object is no longer a published file.
    const object = store().object(old.files['assets/old.css']!.sha256)
    fs.chmodSync(object, 0o644) // objects are read-only
    fs.writeFileSync(object, 'tampered')
    await expect(rollback('dist', { root, logger: silent, to: ids[0] })).rejects.toMatchObject({ code: 'EO_HISTORY_CORRUPT', path: object, message: expect.stringContaining('assets/old.css') })
    fs.rmSync(object)
    await expect(rollback('dist', { root, logger: silent, to: ids[0] })).rejects.toMatchObject({ code: 'EO_HISTORY_CORRUPT', message: expect.stringContaining('missing') })
    expect(diffTrees(snapshot(outDir, { dirs: true }), trees[2]!)).toEqual([])
  })

  it('is one transaction: a fault while publishing leaves outDir as it was, and the history unchanged', async () => {
    const { ids, trees } = await threeBuilds()
    const faulty = faultyFs([{ op: 'rename', to: new RegExp(`^${outDir}/`), after: 1, code: 'EIO' }])
    await expect(rollback('dist', { root, logger: silent, to: ids[0], fs: faulty.fs })).rejects.toMatchObject({ code: 'EO_IO' })
    expect(faulty.injected()).toHaveLength(1)
    expect(diffTrees(snapshot(outDir, { dirs: true }), trees[2]!)).toEqual([])
    expect(await listHistory('dist', { root })).toMatchObject({ current: ids[2], versions: ids.map((id) => expect.objectContaining({ id })) })
    expect(listLitter(root)).toEqual([])
  })
})

describe('a fault while recording the version', () => {
  it.each([
    ['writing an object into the store', { op: 'writeFile' as const, path: /\/history\/objects\/[0-9a-f]{64}$/, after: 1 }],
    ['writing the version record', { op: 'writeFileAtomic' as const, path: /\/history\/versions\/[^/]+\.json$/ }],
    ['creating the object directory', { op: 'mkdir' as const, path: /\/history\/objects$/ }],
  ])('%s rolls the commit back: outDir and history as before, no litter', async (_name, rule) => {
    const a = await commit({ 'index.html': 'A', 'a.js': 'A' })
    const before = snapshot(outDir, { dirs: true })
    const faulty = faultyFs([{ ...rule, code: 'ENOSPC' }])
    await expect(commit({ 'index.html': 'B', 'a.js': 'B', 'c.js': 'C' }, { fs: faulty.fs })).rejects.toMatchObject({ code: 'EO_NO_SPACE' })
    expect(faulty.injected()).toHaveLength(1)
    expect(diffTrees(snapshot(outDir, { dirs: true }), before)).toEqual([])
    expect(await listHistory('dist', { root })).toMatchObject({ current: a.txId, versions: [expect.objectContaining({ id: a.txId })] })
    expect(listLitter(root)).toEqual([])
  })
})

describe('the CLI', () => {
  function io() {
    const out: string[] = []
    const err: string[] = []
    return { io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) }, out, err }
  }

  it('history list | show | diff, rollback, gc; unknown versions and subcommands are clear errors', async () => {
    const a = await commit({ 'index.html': 'A', 'a.js': 'A' })
    const b = await commit({ 'index.html': 'B', 'a.js': 'A', 'b.js': 'B' })
    const list = io()
    expect(await runCli(['history', 'list', '--out', 'dist'], list.io, root)).toBe(0)
    expect(list.out[0]).toBe('dist: 2 versions, newest first; * = what outDir holds')
    expect(list.out[1]).toMatch(new RegExp(`^\\*  ${b.txId}  .*  3 files  3 B$`))
    expect(list.out[2]).toMatch(new RegExp(`^   ${a.txId}  `))
    const diff = io()
    expect(await runCli(['history', 'diff', a.txId, 'latest', '--out', 'dist'], diff.io, root)).toBe(0)
    expect(diff.out).toEqual([`${a.txId} → ${b.txId}: 1 added, 1 changed, 0 removed, 1 unchanged; +1 B`, 'A b.js (1 B)', 'M index.html (1 B → 1 B)'])
    const show = io()
    expect(await runCli(['history', 'show', 'current', '--out', 'dist'], show.io, root)).toBe(0)
    expect(show.out[0]).toBe(`version ${b.txId} (what outDir holds)`)
    expect(show.out.slice(-3).map((line) => line.split(/\s+/).at(-1))).toEqual(['a.js', 'b.js', 'index.html'])
    const back = io()
    expect(await runCli(['rollback', '--out', 'dist'], back.io, root)).toBe(0)
    expect(back.out).toEqual([`rolled back dist to version ${a.txId} (from ${b.txId}): 1 written, 1 deleted, 1 unchanged`])
    const gc = io()
    expect(await runCli(['history', 'gc', '--out', 'dist'], gc.io, root)).toBe(0)
    expect(gc.out[0]).toMatch(/^gc: 0 unreferenced objects/)
    const missing = io()
    expect(await runCli(['rollback', 'nope-nope', '--out', 'dist'], missing.io, root)).toBe(2)
    expect(missing.err[0]).toMatch(/^error EO_HISTORY_NOT_FOUND: no version "nope-nope"/)
    const usage = io()
    expect(await runCli(['history', 'shw', '--out', 'dist'], usage.io, root)).toBe(2)
    expect(usage.err[0]).toBe('error: unknown history command "shw"; use one of: list, show, diff, gc, repair, rebuild')
    const arity = io()
    expect(await runCli(['history', 'diff', a.txId, '--out', 'dist'], arity.io, root)).toBe(2)
    expect(arity.err[0]).toBe(`error: history diff takes <a> <b>, got '${a.txId}'`)
  })
})
