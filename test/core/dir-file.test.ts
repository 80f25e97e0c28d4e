/**
 * Directory ↔ file changes between two commits (an output renamed or restructured): a file where
 * the previous output had a directory of that name, and the reverse, at the top and nested, per
 * strategy. The new output must be exactly what the bundler alone would write, unchanged
 * siblings keep their inode and mtime, a failure at any publishing step leaves the previous
 * output byte for byte, and a directory holding files the commit keeps is refused.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTransaction, recover, type Strategy, type TransactionOptions } from '../../src/index.js'
import { readJournal } from '../../src/core/journal.js'
import { nodeFs } from '../../src/core/fs.js'
import { defaultStateDir } from '../../src/core/state-dir.js'
import { faultyFs, type FaultRule } from '../support/faulty-fs.js'
import { diffTrees, listLitter, snapshot, type Tree } from '../support/tree.js'

let root: string
let outDir: string
const quiet = { warn: () => {} }

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-dirfile-')))
  outDir = path.join(root, 'dist')
})
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

type Files = Record<string, string>

async function commit(files: Files, options: Partial<TransactionOptions>): Promise<string> {
  const tx = createTransaction({ outDir, root, logger: quiet, durability: 'none', ...options })
  for (const [p, c] of Object.entries(files)) tx.write(p, c)
  return (await tx.commit()).txId
}

/** The tree the bundler alone would leave for `files` (directories included, modes as created). */
function treeOf(files: Files): Tree {
  const dir = fs.mkdtempSync(path.join(root, 'expected-'))
  try {
    for (const [p, c] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true })
      fs.writeFileSync(path.join(dir, p), c)
    }
    return snapshot(dir, { dirs: true })
  } finally {
    fs.rmSync(dir, { recursive: true })
  }
}

const stamp = (rel: string): [number, number] => {
  const stats = fs.statSync(path.join(outDir, rel))
  return [stats.ino, stats.mtimeMs]
}

/** Each shape: the previous output A, the next one B, and a sibling both keep unchanged. */
const SHAPES: Array<{ name: string; a: Files; b: Files; sibling: string }> = [
  {
    name: 'directory → file (a/b.js → a)',
    a: { 'a/b.js': 'b()', 'a/c/d.js': 'd()', 'keep/x.js': 'x()', 'index.html': '<h1>1</h1>' },
    b: { a: 'now a file', 'keep/x.js': 'x()', 'index.html': '<h1>2</h1>' },
    sibling: 'keep/x.js',
  },
  {
    name: 'file → directory (a → a/b.js)',
    a: { a: 'a file', 'keep/x.js': 'x()', 'index.html': '<h1>1</h1>' },
    b: { 'a/b.js': 'b()', 'a/c/d.js': 'd()', 'keep/x.js': 'x()', 'index.html': '<h1>2</h1>' },
    sibling: 'keep/x.js',
  },
  {
    name: 'nested directory → file (x/y/z → x/y)',
    a: { 'x/y/z': 'z', 'x/y/w/v.js': 'v', 'x/sib.js': 's()', 'top.js': 't' },
    b: { 'x/y': 'y is a file', 'x/sib.js': 's()', 'top.js': 't2' },
    sibling: 'x/sib.js',
  },
  {
    name: 'nested file → directory (x/y → x/y/z)',
    a: { 'x/y': 'y is a file', 'x/sib.js': 's()', 'top.js': 't' },
    b: { 'x/y/z': 'z', 'x/y/w/v.js': 'v', 'x/sib.js': 's()', 'top.js': 't2' },
    sibling: 'x/sib.js',
  },
  {
    name: 'both ways in one commit (chunks/ → chunks, entry → entry/)',
    a: { 'chunks/a.js': 'a', 'chunks/b.js': 'b', entry: 'e', 'assets/logo.png': 'png' },
    b: { chunks: 'c', 'entry/index.js': 'e2', 'assets/logo.png': 'png' },
    sibling: 'assets/logo.png',
  },
]

const STRATEGIES: Strategy[] = ['incremental', 'swap', 'symlink']

describe.each(STRATEGIES)('strategy %s', (strategy) => {
  it.each(SHAPES)('$name: exactly the new output, the sibling untouched, no litter', async ({ a, b, sibling }) => {
    await commit(a, { strategy })
    expect(diffTrees(snapshot(outDir, { dirs: true }), treeOf(a))).toEqual([])
    const before = stamp(sibling)
    await commit(b, { strategy })
    expect(diffTrees(snapshot(outDir, { dirs: true }), treeOf(b))).toEqual([])
    expect(stamp(sibling)).toEqual(before)
    expect(listLitter(root)).toEqual([])
    // And back again.
    await commit(a, { strategy })
    expect(diffTrees(snapshot(outDir, { dirs: true }), treeOf(a))).toEqual([])
    expect(stamp(sibling)).toEqual(before)
    expect(listLitter(root)).toEqual([])
  })

  it('refuses to replace a directory holding a file it keeps (not cleaning), changing nothing; with clean it replaces it', async () => {
    await commit({ 'a/b.js': 'b', 'k.js': 'k' }, { strategy })
    fs.writeFileSync(path.join(outDir, 'a', 'user.txt'), 'mine')
    const before = snapshot(outDir, { dirs: true })
    await expect(commit({ a: 'file', 'k.js': 'k' }, { strategy })).rejects.toMatchObject({
      code: 'EO_OUTDIR_INVALID',
      path: 'a',
      message: expect.stringContaining('a/user.txt'),
    })
    expect(diffTrees(snapshot(outDir, { dirs: true }), before)).toEqual([])
    expect(listLitter(root)).toEqual([])
    await commit({ a: 'file', 'k.js': 'k' }, { strategy, clean: true })
    expect(diffTrees(snapshot(outDir, { dirs: true }), treeOf({ a: 'file', 'k.js': 'k' }))).toEqual([])
  })

  it('refuses a file and a directory of one name in one output', async () => {
    await expect(commit({ a: '1', 'a/b.js': '2' }, { strategy })).rejects.toMatchObject({ code: 'EO_OUTDIR_INVALID', path: 'a/b.js' })
    expect(fs.existsSync(outDir)).toBe(false)
  })
})

/**
 * Every rename and link a directory → file commit makes (outDir side), failed in turn with EIO:
 * the previous output stays byte for byte, no litter, and the next commit succeeds.
 */
describe.each(STRATEGIES)('faults in a directory → file commit, strategy %s', (strategy) => {
  const { a, b } = SHAPES[4]!
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

  it('each publishing call failing leaves A', async () => {
    // Count the calls of a clean A → B commit first, so every one of them is failed once.
    await commit(a, { strategy })
    const probe = faultyFs([])
    const txId = await commit(b, { strategy, fs: probe.fs })
    // Paths named after the transaction (tx-<id>/, builds/<id>) match any transaction's.
    const pattern = (p: string): RegExp => new RegExp(`^${escape(p).split(escape(txId)).join('[0-9a-z]+-[0-9a-f]{8}')}$`)
    const touching = probe.calls.filter(
      (call) => ['rename', 'link', 'symlink', 'unlink', 'rmdir', 'mkdir'].includes(call.op) && (call.path + (call.to ?? '')).includes(outDir),
    )
    expect(touching.length).toBeGreaterThan(0)
    const rules: Array<Omit<FaultRule, 'code'>> = []
    const seen = new Map<string, number>()
    for (const call of touching) {
      const key = `${call.op} ${call.path} ${call.to ?? ''}`
      const after = seen.get(key) ?? 0
      seen.set(key, after + 1)
      rules.push({ op: call.op, path: pattern(call.path), ...(call.to ? { to: pattern(call.to) } : {}), after })
    }
    let failedBeforeCommitPoint = 0
    for (const rule of rules) {
      fs.rmSync(root, { recursive: true, force: true })
      fs.mkdirSync(root)
      await commit(a, { strategy })
      const expectedA = snapshot(outDir, { dirs: true })
      const faulty = faultyFs([{ ...rule, code: 'EIO' }])
      const error = await commit(b, { strategy, fs: faulty.fs }).then(
        () => undefined,
        (e: unknown) => e,
      )
      const what = `${rule.op} ${rule.path} ${rule.to ?? ''}`
      expect(faulty.injected(), what).toHaveLength(1)
      const journal = await readJournal(nodeFs, path.join(defaultStateDir(root, outDir), 'journal.json'))
      if (error) {
        failedBeforeCommitPoint++
        expect(error, `${what}: ${(error as Error).message}`).toMatchObject({ code: 'EO_IO' })
        expect((error as Error).message, what).not.toMatch(/restoring the previous output failed/)
        expect(diffTrees(snapshot(outDir, { dirs: true }), expectedA), what).toEqual([])
        expect(listLitter(root), what).toEqual([])
      } else {
        // Past the commit point: B is published; recovery completes it.
        if (journal) expect((await recover(outDir, { root, logger: quiet })).action, what).toBe('rolled-forward')
        expect(diffTrees(snapshot(outDir, { dirs: true }), treeOf(b)), what).toEqual([])
      }
      await commit(b, { strategy })
      expect(diffTrees(snapshot(outDir, { dirs: true }), treeOf(b)), what).toEqual([])
    }
    expect(failedBeforeCommitPoint).toBeGreaterThan(0)
  })
})
