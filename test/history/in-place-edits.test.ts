/**
 * The build history survives what post-build steps do to outDir: stored objects never share an
 * inode with a published file, a published file edited in place (write, truncate, chmod, touch,
 * or a same-size write with its mtime put back) is re-compared and rewritten at the next commit,
 * and every kept version rolls back byte for byte and mode for mode. A store damaged for real
 * (objects corrupted, removed, hard-linked) is reported by `history list` and `verify --deep`
 * and fixed by `history repair`. Real files in temp dirs, every strategy.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkHistory, createTransaction, listHistory, repairHistory, rollback, showVersion, type Strategy } from '../../src/index.js'
import { defaultStateDir } from '../../src/core/state-dir.js'
import { historyPaths } from '../../src/history/paths.js'
import { runCli } from '../../src/cli/run.js'
import { seeded, testSeed, type Rng } from '../support/seeded.js'
import { diffTrees, listLitter, snapshot, type Tree } from '../support/tree.js'

const silent = { warn: () => {} }
const SEED = testSeed(0x1d0e)
const STRATEGIES: Strategy[] = ['incremental', 'swap', 'symlink']
let root: string

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-inplace-')))
})
afterEach(() => fs.rmSync(root, { recursive: true, force: true }))

type Build = Record<string, { contents: Buffer; mode?: number }>

/** Three builds of one app: most files stay the same from build to build, a few change, one goes, one comes. */
function builds(rng: Rng): Build[] {
  const text = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => String.fromCharCode(rng.int(32, 126))).join(''))
  const first: Build = {}
  for (let i = 0; i < 12; i++) first[`${['assets', 'chunks'][i % 2]}/f${i}.js`] = { contents: text(rng.int(64, 4096)), ...(i % 3 === 0 ? { mode: 0o644 } : {}) }
  first['index.html'] = { contents: text(300) }
  first['bin/run.sh'] = { contents: Buffer.from('#!/bin/sh\necho 1\n'), mode: 0o755 }
  const second: Build = {
    ...first,
    'index.html': { contents: text(300) },
    'assets/f0.js': { contents: text(900), mode: 0o644 },
    'extra.css': { contents: text(77) },
  }
  delete second['chunks/f1.js']
  const third: Build = { ...second, 'assets/f2.js': { contents: text(1500) }, 'bin/run.sh': { contents: Buffer.from('#!/bin/sh\necho 3\n'), mode: 0o700 } }
  return [first, second, third]
}

const MUTATIONS = ['write', 'same-size-mtime-restored', 'truncate', 'chmod', 'touch'] as const
type Mutation = (typeof MUTATIONS)[number]

/** What post-build steps do to published files, each to a different file (through the symlink, for that strategy). */
function mutate(outDir: string, rng: Rng): Map<string, Mutation> {
  const files = snapshot(outDir)
  const picked = rng.shuffle([...files.keys()]).slice(0, MUTATIONS.length)
  const applied = new Map<string, Mutation>()
  picked.forEach((rel, i) => {
    const file = path.join(outDir, rel)
    const mutation = MUTATIONS[i]!
    const before = fs.statSync(file)
    if (mutation === 'write') fs.writeFileSync(file, `/* injected config ${rng.int(0, 1e9)} */`)
    else if (mutation === 'same-size-mtime-restored') {
      // A same-length edit with its mtime put back (`touch -r`, `cp -p`): only ctime tells.
      const bytes = fs.readFileSync(file)
      bytes[0] = bytes[0] === 0x41 ? 0x42 : 0x41
      const fd = fs.openSync(file, 'r+')
      fs.writeSync(fd, bytes, 0, bytes.length, 0)
      fs.closeSync(fd)
      fs.utimesSync(file, before.atime, before.mtime)
    } else if (mutation === 'truncate') fs.truncateSync(file, Math.floor(before.size / 2))
    else if (mutation === 'chmod') fs.chmodSync(file, (before.mode & 0o7777) ^ 0o111)
    else fs.utimesSync(file, new Date(before.mtimeMs + 5000), new Date(before.mtimeMs + 5000))
    applied.set(rel, mutation)
  })
  return applied
}

async function commit(outDir: string, strategy: Strategy, build: Build) {
  const tx = createTransaction({ outDir, root, logger: silent, durability: 'none', strategy })
  for (const [rel, file] of Object.entries(build)) tx.write(rel, file.contents, file.mode === undefined ? {} : { mode: file.mode })
  return tx.commit()
}

/** outDir holds exactly the build's bytes, and the modes it asked for. */
function expectBuild(outDir: string, build: Build): void {
  const tree = snapshot(outDir)
  expect([...tree.keys()].sort()).toEqual(Object.keys(build).sort())
  for (const [rel, file] of Object.entries(build)) {
    const onDisk = fs.readFileSync(path.join(outDir, rel))
    expect(onDisk.equals(file.contents), `${rel} holds the build's bytes`).toBe(true)
    if (file.mode !== undefined) expect(fs.statSync(path.join(outDir, rel)).mode & 0o7777, `${rel} mode`).toBe(file.mode)
  }
}

describe.each(STRATEGIES)('strategy %s: in-place edits of published files', (strategy) => {
  it('never reach a stored version: every kept version rolls back byte for byte (and mode), edits between every step', async () => {
    const rng = seeded(SEED + strategy.length)
    const outDir = path.join(root, 'dist')
    const sets = builds(rng)
    const ids: string[] = []
    const trees: Tree[] = []
    for (const build of sets) {
      const result = await commit(outDir, strategy, build)
      // The mutated files of the previous round were rewritten, not trusted.
      expectBuild(outDir, build)
      ids.push(result.txId)
      trees.push(snapshot(outDir, { dirs: true }))
      const paths = historyPaths(defaultStateDir(root, outDir))
      const published = new Set([...snapshot(outDir).keys()].map((rel) => fs.statSync(path.join(outDir, rel)).ino))
      for (const name of fs.readdirSync(paths.objects)) {
        const stats = fs.statSync(path.join(paths.objects, name))
        expect(published.has(stats.ino) || stats.nlink !== 1, `object ${name} is an independent file`).toBe(false)
      }
      mutate(outDir, rng)
    }
    expect((await listHistory('dist', { root })).versions.map((v) => v.id)).toEqual(ids)
    expect(await checkHistory('dist', { root, deep: true })).toMatchObject({ ok: true, damaged: [] })
    // Every kept version, in an order that crosses back and forth, with outDir edited in place before each rollback.
    for (const at of [0, 2, 1, 0, 1, 2]) {
      const result = await rollback('dist', { root, logger: silent, to: ids[at] })
      expect(result.to).toBe(ids[at])
      expect(diffTrees(snapshot(outDir, { dirs: true }), trees[at]!)).toEqual([])
      mutate(outDir, rng)
    }
    expect(await checkHistory('dist', { root, deep: true })).toMatchObject({ ok: true })
    expect(listLitter(root)).toEqual([])
  })

  it('a commit of the same build re-compares each edited file: changed bytes are rewritten, a touched or chmod-ed file is compared and kept', async () => {
    const rng = seeded(SEED + 7 * strategy.length)
    const outDir = path.join(root, 'dist')
    const [build] = builds(rng)
    await commit(outDir, strategy, build!)
    const applied = mutate(outDir, rng)
    const result = await commit(outDir, strategy, build!)
    expectBuild(outDir, build!)
    const written = new Set(result.files.filter((f) => f.status === 'written').map((f) => f.path))
    for (const [rel, mutation] of applied) {
      const bytesChanged = mutation === 'write' || mutation === 'same-size-mtime-restored' || mutation === 'truncate'
      // A mode the build asks for is restored; otherwise a chmod by hand is kept, like the mode of any replaced file.
      const modeRestored = mutation === 'chmod' && build![rel]!.mode !== undefined
      expect(written.has(rel), `${rel} after ${mutation}`).toBe(bytesChanged || modeRestored)
    }
    // The version recorded is what outDir holds now, modes included.
    const version = await showVersion('dist', 'current', { root })
    for (const [rel, file] of Object.entries(version.files)) expect(file.mode, rel).toBe(fs.statSync(path.join(outDir, rel)).mode & 0o7777)
  })
})

describe('a damaged store', () => {
  function io() {
    const out: string[] = []
    const err: string[] = []
    return { io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) }, out, err }
  }

  it('is reported by history list and verify --deep, naming the file and the fix; history repair restores what outDir holds and drops the rest', async () => {
    const rng = seeded(SEED + 99)
    const outDir = path.join(root, 'dist')
    const sets = builds(rng)
    const ids: string[] = []
    const trees: Tree[] = []
    for (const build of sets) {
      ids.push((await commit(outDir, 'incremental', build)).txId)
      trees.push(snapshot(outDir, { dirs: true }))
    }
    const paths = historyPaths(defaultStateDir(root, outDir))
    const [v1, v2, v3] = await Promise.all(ids.map((id) => showVersion('dist', id, { root })))
    // Only in the first version (outDir no longer has it): altered in place, same size, so only a re-hash sees it.
    const onlyFirst = v1!.files['chunks/f1.js']!.sha256
    // In every version and in outDir: removed from the store, then truncated.
    const everywhere = v3!.files['assets/f4.js']!.sha256
    const alsoEverywhere = v3!.files['chunks/f3.js']!.sha256
    expect([v1, v2].every((v) => v!.files['assets/f4.js']!.sha256 === everywhere)).toBe(true)
    const corrupt = (sha: string, how: (file: string) => void): void => {
      fs.chmodSync(paths.object(sha), 0o644)
      how(paths.object(sha))
    }
    corrupt(onlyFirst, (file) => {
      const bytes = fs.readFileSync(file)
      bytes[0] = bytes[0]! ^ 1
      fs.writeFileSync(file, bytes)
    })
    fs.rmSync(paths.object(everywhere))
    corrupt(alsoEverywhere, (file) => fs.truncateSync(file, 3))

    const list = io()
    expect(await runCli(['history', 'list', '--out', 'dist'], list.io, root)).toBe(1)
    const broken = list.out.filter((line) => line.startsWith('!'))
    expect(broken).toHaveLength(3)
    for (const id of ids) expect(broken.find((line) => line.startsWith(`! ${id} cannot be restored: `))).toMatch(/assets\/f4\.js \(stored content missing\)/)
    expect(broken.join('\n')).toMatch(/chunks\/f3\.js \(stored content altered\)/)
    // A same-size alteration needs a re-hash: the cheap check of list does not claim the first version broken for it...
    expect(broken[2]).not.toMatch(/chunks\/f1\.js/)
    expect(list.out.at(-1)).toBe(
      'run "emit-optimizer history repair --out dist": it stores again what outDir still holds, copies hard-linked objects, and drops the versions it cannot restore',
    )
    // ...verify --deep does.
    const verify = io()
    expect(await runCli(['verify', '--deep', '--out', 'dist'], verify.io, root)).toBe(1)
    expect(verify.out).toContain(
      'history: 3 versions, ' + `${new Set([v1, v2, v3].flatMap((v) => Object.values(v!.files).map((f) => f.sha256))).size} stored files hashed, damaged`,
    )
    expect(verify.out.find((line) => line.startsWith(`! ${ids[0]} `))).toMatch(/chunks\/f1\.js \(stored content altered\)/)
    await expect(rollback('dist', { root, logger: silent, to: ids[1] })).rejects.toMatchObject({
      code: 'EO_HISTORY_CORRUPT',
      message: expect.stringContaining('history repair'),
    })
    expect(diffTrees(snapshot(outDir, { dirs: true }), trees[2]!)).toEqual([])

    // outDir still holds f4 and f3 as built: they are stored again; chunks/f1.js is nowhere, so the first version goes.
    const repair = io()
    expect(await runCli(['history', 'repair', '--out', 'dist'], repair.io, root)).toBe(0)
    expect(repair.out).toEqual([
      'repair: 2 stored files restored from outDir, 0 hard-linked objects copied, 1 unrestorable version dropped; 2 versions kept, all restorable',
      `dropped ${ids[0]}`,
    ])
    expect(fs.existsSync(paths.object(onlyFirst))).toBe(false)
    expect(await checkHistory('dist', { root, deep: true })).toMatchObject({ ok: true, damaged: [], versions: 2 })
    const clean = io()
    expect(await runCli(['verify', '--deep', '--out', 'dist'], clean.io, root)).toBe(0)
    await rollback('dist', { root, logger: silent, to: ids[1] })
    expect(diffTrees(snapshot(outDir, { dirs: true }), trees[1]!)).toEqual([])
    expect(await repairHistory('dist', { root, logger: silent })).toEqual({ objectsRestored: 0, linksBroken: 0, versionsDropped: [], versionsKept: 2 })
    expect(listLitter(root)).toEqual([])
  })

  it('an object hard-linked with a published file (a store written before objects were copies) is at risk: listed, and repair copies it', async () => {
    const outDir = path.join(root, 'dist')
    const [build] = builds(seeded(SEED + 5))
    const { txId } = await commit(outDir, 'incremental', build!)
    const paths = historyPaths(defaultStateDir(root, outDir))
    const sha = (await showVersion('dist', txId, { root })).files['index.html']!.sha256
    fs.rmSync(paths.object(sha))
    fs.linkSync(path.join(outDir, 'index.html'), paths.object(sha))
    const list = io()
    expect(await runCli(['history', 'list', '--out', 'dist'], list.io, root)).toBe(0)
    expect(list.out).toContain(`! ${txId} is at risk: index.html (stored content hard-linked with another file)`)
    expect(await repairHistory('dist', { root, logger: silent })).toEqual({ objectsRestored: 0, linksBroken: 1, versionsDropped: [], versionsKept: 1 })
    expect(fs.statSync(paths.object(sha)).nlink).toBe(1)
    // Now an edit of the published file leaves the version intact.
    fs.writeFileSync(path.join(outDir, 'index.html'), 'edited after the build')
    expect(await checkHistory('dist', { root, deep: true })).toMatchObject({ ok: true, damaged: [] })
    expect(listLitter(root)).toEqual([])
  })
})
