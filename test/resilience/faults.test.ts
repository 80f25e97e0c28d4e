/**
 * Fault-injection matrix: for every strategy, every phase of a commit and every errno, commit A
 * cleanly, then commit B through a file system that fails one chosen call (faulty-fs.ts: real
 * files underneath). Before the commit point the commit must reject with the documented
 * EmitOptimizerError code and leave outDir exactly as A (directories and modes included) with no
 * litter. After the commit point (manifest, cleanup) the new output is already published and
 * durable: the commit resolves with a warning, the `committed` journal stays, and recovery rolls
 * it forward to exactly B. Either way a later commit of B with the real fs must succeed and
 * produce exactly B. B changes directories into files and files into directories too
 * (outputs.ts RESHAPE), with phases of their own. Plus: first commits into a missing outDir, a rollback that fails too,
 * EMFILE back-off.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { readJournal } from '../../src/core/journal.js'
import type { Strategy, TransactionOptions } from '../../src/core/transaction-options.js'
import { recover } from '../../src/history/engine.js'
import { defaultStateDir } from '../../src/core/state-dir.js'
import { EmitOptimizerError, type EmitOptimizerErrorCode } from '../../src/errors.js'
import { nodeFs } from '../../src/core/fs.js'
import { faultyFs, type FaultCode, type FaultRule, type FaultyFs } from '../support/faulty-fs.js'
import { commitSet, outputSets, type OutputSet } from '../support/outputs.js'
import { testSeed } from '../support/seeded.js'
import { diffTrees, expectedTree, filesOnly, listLitter, snapshot, type Tree } from '../support/tree.js'

const STRATEGIES = ['incremental', 'swap', 'symlink'] as const satisfies readonly Strategy[]
/** EROFS is what any write gets in a read-only directory or filesystem. EMFILE has its own rows below. */
const ERRNOS = ['ENOSPC', 'EIO', 'EACCES', 'EPERM', 'EXDEV', 'ENAMETOOLONG', 'EROFS'] as const satisfies readonly FaultCode[]

/** The mapping documented in toEmitOptimizerError (src/errors.ts). */
const EXPECTED_CODE: Record<(typeof ERRNOS)[number], EmitOptimizerErrorCode> = {
  ENOSPC: 'EO_NO_SPACE',
  EIO: 'EO_IO',
  EACCES: 'EO_PERMISSION',
  EPERM: 'EO_PERMISSION',
  EXDEV: 'EO_CROSS_DEVICE',
  ENAMETOOLONG: 'EO_NAME_TOO_LONG',
  EROFS: 'EO_PERMISSION',
}

const SEED = testSeed(0xe0f1)
const sets = outputSets(SEED)
/** A third output set, committed before A when a phase needs a build older than A (symlink cleanup). */
const older = outputSets(SEED + 1).a
/** Writes (puts) of the A → B commit: changed + added + the mode change. */
const PUTS = sets.changes.changed.length + sets.changes.added.length + 1

const silent = { warn: () => {} }
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

interface Env {
  root: string
  outDir: string
  stateDir: string
}

interface Phase {
  name: string
  strategies: readonly Strategy[]
  /** After the commit point: the commit is durable, recovery rolls it forward. */
  postCommit: boolean
  /** Commit `older` before A, so that B's commit has a build to discard. */
  prelude?: boolean
  /** The strategy A is committed with (default: the one under test), e.g. a plain outDir that symlink migrates. */
  base?: Strategy
  /** Errors the engine works around here by design: the commit succeeds with exactly B. */
  absorbs?: readonly FaultCode[]
  rule(env: Env, strategy: Strategy): Omit<FaultRule, 'code'>
}

const STAGED: Record<Strategy, RegExp> = {
  incremental: /\/tx-[^/]+\/s\//,
  swap: /\.eo-next\//,
  symlink: /\/builds\/[^/]+\//,
}

const PHASES: Phase[] = [
  // Staging: nothing in outDir has changed yet, there is no journal.
  { name: 'stage: writeFile of a staged file', strategies: STRATEGIES, postCommit: false, rule: (_env, s) => ({ op: 'writeFile', path: STAGED[s], after: 3 }) },
  { name: 'stage: link of an unchanged file into the new tree', strategies: ['swap', 'symlink'], postCommit: false, rule: (_env, s) => ({ op: 'link', to: STAGED[s], after: 2 }) },
  // The journal: `prepared` (first write) and the `committed` marker (second write).
  { name: 'journal: writing `prepared`', strategies: STRATEGIES, postCommit: false, rule: () => ({ op: 'writeFileAtomic', path: /\/journal\.json$/ }) },
  { name: 'journal: writing `committed`', strategies: STRATEGIES, postCommit: false, rule: () => ({ op: 'writeFileAtomic', path: /\/journal\.json$/, after: 1 }) },
  // Publishing.
  { name: 'apply: first rename into outDir', strategies: ['incremental'], postCommit: false, rule: (env) => ({ op: 'rename', to: new RegExp(`^${escapeRe(env.outDir)}/`) }) },
  { name: 'apply: middle rename into outDir', strategies: ['incremental'], postCommit: false, rule: (env) => ({ op: 'rename', to: new RegExp(`^${escapeRe(env.outDir)}/`), after: Math.floor(PUTS / 2) }) },
  { name: 'apply: the rename that publishes', strategies: ['swap', 'symlink'], postCommit: false, rule: (env) => ({ op: 'rename', to: new RegExp(`^${escapeRe(env.outDir)}$`) }) },
  { name: 'apply: moving the old outDir aside', strategies: ['swap'], postCommit: false, rule: (env) => ({ op: 'rename', path: new RegExp(`^${escapeRe(env.outDir)}$`), to: /\.eo-prev$/ }) },
  // The first symlink commit over a plain outDir (A committed by incremental) moves it into builds/.
  { name: 'apply: moving a plain outDir into builds/', strategies: ['symlink'], postCommit: false, base: 'incremental', rule: (env) => ({ op: 'rename', path: new RegExp(`^${escapeRe(env.outDir)}$`), to: /\/builds\/[^/]+-initial$/ }) },
  { name: 'apply: the rename that publishes, after moving a plain outDir', strategies: ['symlink'], postCommit: false, base: 'incremental', rule: (env) => ({ op: 'rename', to: new RegExp(`^${escapeRe(env.outDir)}$`) }) },
  { name: 'backup: link of a replaced file into the backup dir', strategies: ['incremental'], postCommit: false, rule: () => ({ op: 'link', to: /\/tx-[^/]+\/b\/\d+$/, after: 2 }) },
  { name: 'delete: rename of a stale file into the backup dir', strategies: ['incremental'], postCommit: false, rule: () => ({ op: 'rename', to: /\/tx-[^/]+\/b\/d\d+$/, after: 1 }) },
  // Directory ↔ file changes (outputs.ts RESHAPE). Incremental moves what is in the way aside first.
  { name: 'reshape: moving a directory aside for a file (1st)', strategies: ['incremental'], postCommit: false, rule: () => ({ op: 'rename', to: /\/tx-[^/]+\/b\/r\d+$/ }) },
  { name: 'reshape: moving a directory aside for a file (2nd)', strategies: ['incremental'], postCommit: false, rule: () => ({ op: 'rename', to: /\/tx-[^/]+\/b\/r\d+$/, after: 1 }) },
  { name: 'reshape: moving a file aside for a directory', strategies: ['incremental'], postCommit: false, rule: () => ({ op: 'rename', path: /\/reshape\/(entry|deep\/p)$/, to: /\/tx-[^/]+\/b\/d\d+$/ }) },
  {
    name: 'reshape: creating the directory where a file was',
    strategies: STRATEGIES,
    postCommit: false,
    rule: (env, s) => ({ op: 'mkdir', path: s === 'incremental' ? new RegExp(`^${escapeRe(env.outDir)}/reshape/entry$`) : new RegExp(`${STAGED[s].source}reshape/entry$`) }),
  },
  {
    name: 'reshape: putting the file where a directory was',
    strategies: STRATEGIES,
    postCommit: false,
    rule: (env, s) =>
      s === 'incremental' ? { op: 'rename', to: new RegExp(`^${escapeRe(env.outDir)}/reshape/chunks$`) } : { op: 'writeFile', path: new RegExp(`${STAGED[s].source}reshape/chunks$`) },
  },
  // The build history: objects and the version record are written before the commit point.
  // EXDEV: a store mounted on another filesystem gets copies instead of hard links (objects.ts).
  { name: 'history: linking a file into the object store', strategies: STRATEGIES, postCommit: false, absorbs: ['EXDEV'], rule: () => ({ op: 'link', to: /\/history\/objects\/[0-9a-f]{64}$/, after: 2 }) },
  { name: 'history: creating the object directory', strategies: STRATEGIES, postCommit: false, rule: () => ({ op: 'mkdir', path: /\/history\/objects$/ }) },
  { name: 'history: writing the version record', strategies: STRATEGIES, postCommit: false, rule: () => ({ op: 'writeFileAtomic', path: /\/history\/versions\/[^/]+\.json$/ }) },
  // After the commit point.
  { name: 'history: writing the index', strategies: STRATEGIES, postCommit: true, rule: () => ({ op: 'writeFileAtomic', path: /\/history\/index\.json$/ }) },
  { name: 'manifest: writing manifest.json', strategies: STRATEGIES, postCommit: true, rule: () => ({ op: 'writeFileAtomic', path: /\/manifest\.json$/ }) },
  { name: 'cleanup: rm of the tx dir', strategies: ['incremental'], postCommit: true, rule: () => ({ op: 'rm', path: /\/tx-[^/]+$/ }) },
  // rm(prev) also runs twice before the commit point (leftover sweep, then stage): fail the third.
  { name: 'cleanup: rm of the previous outDir', strategies: ['swap'], postCommit: true, rule: () => ({ op: 'rm', path: /\.eo-prev$/, after: 2 }) },
  { name: 'cleanup: rm of a build no longer referenced', strategies: ['symlink'], postCommit: true, prelude: true, rule: () => ({ op: 'rm', path: /\/builds\/[^/]+$/ }) },
  // unlink(.eo-link) runs in the leftover sweep and before the new link is made: fail the third.
  { name: 'cleanup: unlink of the temporary link', strategies: ['symlink'], postCommit: true, rule: () => ({ op: 'unlink', path: /\.eo-link$/, after: 2 }) },
]

let env: Env

beforeEach(() => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-faults-')))
  const outDir = path.join(root, 'dist')
  env = { root, outDir, stateDir: defaultStateDir(root, outDir) }
})

afterEach(() => {
  fs.rmSync(env.root, { recursive: true, force: true })
})

function options(strategy: Strategy, extra: Partial<TransactionOptions> = {}): TransactionOptions {
  return { outDir: env.outDir, root: env.root, strategy, logger: silent, ...extra }
}

/** outDir after a clean A → B commit, per strategy (directories included), to compare against. */
const reference = new Map<Strategy, { a: Tree; b: Tree }>()

beforeAll(async () => {
  for (const strategy of STRATEGIES) {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-faults-ref-')))
    try {
      const outDir = path.join(root, 'dist')
      const opts = { outDir, root, strategy, logger: silent }
      await commitSet(sets.a, opts)
      const a = snapshot(outDir, { dirs: true })
      await commitSet(sets.b, opts)
      const b = snapshot(outDir, { dirs: true })
      expect(diffTrees(filesOnly(a), expectedTree(sets.a))).toEqual([])
      expect(diffTrees(filesOnly(b), expectedTree(sets.b))).toEqual([])
      expect(listLitter(root)).toEqual([])
      reference.set(strategy, { a, b })
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  }
  // Every strategy produces the same tree, directories included (B's emptied `legacy/` is gone).
  for (const strategy of STRATEGIES) {
    expect(diffTrees(reference.get(strategy)!.a, reference.get('incremental')!.a), `${strategy}: A`).toEqual([])
    expect(diffTrees(reference.get(strategy)!.b, reference.get('incremental')!.b), `${strategy}: B`).toEqual([])
  }
  expect([...reference.get('incremental')!.b.keys()].some((p) => p.startsWith('legacy'))).toBe(false)
})

function expectTree(actual: Tree, expected: Tree, what: string): void {
  expect(diffTrees(actual, expected), `outDir should equal ${what}`).toEqual([])
}

async function commitFaulty(strategy: Strategy, set: OutputSet, rules: FaultRule[]): Promise<{ faulty: FaultyFs; error: unknown; warnings: string[] }> {
  const faulty = faultyFs(rules)
  const warnings: string[] = []
  try {
    await commitSet(set, options(strategy, { fs: faulty.fs, logger: { warn: (message) => warnings.push(message) } }))
    return { faulty, error: undefined, warnings }
  } catch (error) {
    return { faulty, error, warnings }
  }
}

/** A later commit of B with the real fs succeeds and leaves exactly B (and nothing else). */
async function expectCleanCommitOfB(strategy: Strategy): Promise<void> {
  const result = await commitSet(sets.b, options(strategy, { durability: 'none' }))
  expect(result.recovered).toBe('none')
  expectTree(snapshot(env.outDir, { dirs: true }), reference.get(strategy)!.b, 'B after a clean commit')
  expect(listLitter(env.root)).toEqual([])
}

const cases = PHASES.flatMap((phase) => phase.strategies.map((strategy) => ({ strategy, phase })))

describe.each(STRATEGIES)('strategy %s', (strategy) => {
  const phases = cases.filter((c) => c.strategy === strategy).map((c) => c.phase)
  const rows = phases.flatMap((phase) => ERRNOS.map((errno) => ({ phase: phase.name, errno, spec: phase })))

  it.each(rows)('$phase fails with $errno', async ({ spec, errno }) => {
    if (spec.prelude) await commitSet(older, options(strategy, { durability: 'none' }))
    await commitSet(sets.a, options(spec.base ?? strategy, { durability: 'none' }))
    const before = snapshot(env.outDir, { dirs: true })
    const wasLink = fs.lstatSync(env.outDir).isSymbolicLink()
    expectTree(before, reference.get(strategy)!.a, 'A')

    const { faulty, error, warnings } = await commitFaulty(strategy, sets.b, [{ ...spec.rule(env, strategy), code: errno }])
    // The rule must have hit exactly one call: otherwise this row tests nothing.
    expect(faulty.injected().map((call) => `${call.op} ${call.path}`)).toHaveLength(1)

    if (spec.absorbs?.includes(errno)) {
      expect(error, `${errno} is worked around here`).toBeUndefined()
      expect(warnings).toEqual([])
      expectTree(snapshot(env.outDir, { dirs: true }), reference.get(strategy)!.b, 'B')
      expect(listLitter(env.root)).toEqual([])
      await expectCleanCommitOfB(strategy)
      return
    }

    if (!spec.postCommit) {
      expect(error, 'the commit must reject').toBeInstanceOf(EmitOptimizerError)
      expect((error as EmitOptimizerError).code).toBe(EXPECTED_CODE[errno])
      expect((error as EmitOptimizerError).cause).toMatchObject({ code: errno })
      expect((error as EmitOptimizerError).path, 'the error names a path').toBeTruthy()
      expectTree(snapshot(env.outDir, { dirs: true }), before, 'A, unchanged, after the failed commit')
      expect(fs.lstatSync(env.outDir).isSymbolicLink(), 'outDir is a symlink exactly when it was one').toBe(wasLink)
      expect(listLitter(env.root)).toEqual([])
      await expectCleanCommitOfB(strategy)
      return
    }

    // Past the commit point (transaction.ts): the new output is published and durable, so the
    // commit resolves; the failure is only logged, and the `committed` journal stays so that
    // recovery (or the next commit) completes the manifest and the cleanup.
    expect(error, 'a failure after the commit point must not reject the commit').toBeUndefined()
    const [committedWrite] = faulty.matching('writeFileAtomic', /\/journal\.json$/).slice(1)
    expect(committedWrite, 'the `committed` journal was written').toBeDefined()
    expect(faulty.injected()[0]!.seq).toBeGreaterThan(committedWrite!.seq)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/is complete, but finishing it failed/)
    expect(warnings[0]).toContain(errno)
    expectTree(filesOnly(snapshot(env.outDir, { dirs: true })), expectedTree(sets.b), 'B (the commit point was passed)')
    expect((await readJournal(nodeFs, path.join(env.stateDir, 'journal.json')))?.state).toBe('committed')

    const recovered = await recover(env.outDir, { root: env.root, logger: silent })
    expect(recovered.action).toBe('rolled-forward')
    expectTree(snapshot(env.outDir, { dirs: true }), reference.get(strategy)!.b, 'B after recovery')
    expect(listLitter(env.root)).toEqual([])
    await expectCleanCommitOfB(strategy)
  })

  // EMFILE is transient by nature: calls made through the I/O queue back off and retry (queue.ts),
  // the others fail with EO_TOO_MANY_FILES. Which one a call is shows in the trace: the same call
  // made again right after the failure.
  it.each(phases.filter((phase) => !phase.postCommit).map((phase) => ({ phase: phase.name, spec: phase })))('$phase fails with EMFILE once: retried to exactly B, or refused with EO_TOO_MANY_FILES and A intact', async ({ spec }) => {
    if (spec.prelude) await commitSet(older, options(strategy, { durability: 'none' }))
    await commitSet(sets.a, options(spec.base ?? strategy, { durability: 'none' }))
    const before = snapshot(env.outDir, { dirs: true })
    const { faulty, error } = await commitFaulty(strategy, sets.b, [{ ...spec.rule(env, strategy), code: 'EMFILE' }])
    const [failed] = faulty.injected()
    expect(faulty.injected()).toHaveLength(1)
    const retried = faulty.calls.some((call) => call.seq > failed!.seq && call.op === failed!.op && call.path === failed!.path && call.to === failed!.to && !call.failed)
    if (retried) {
      expect(error, 'a retried EMFILE must not fail the commit').toBeUndefined()
      expectTree(snapshot(env.outDir, { dirs: true }), reference.get(strategy)!.b, 'B')
    } else {
      expect(error).toBeInstanceOf(EmitOptimizerError)
      expect((error as EmitOptimizerError).code).toBe('EO_TOO_MANY_FILES')
      expectTree(snapshot(env.outDir, { dirs: true }), before, 'A, unchanged')
    }
    expect(listLitter(env.root)).toEqual([])
    await expectCleanCommitOfB(strategy)
  })

  it.each([
    { phase: 'journal: writing `committed`', rule: (): Omit<FaultRule, 'code'> => ({ op: 'writeFileAtomic', path: /\/journal\.json$/, after: 1 }) },
    // Every strategy publishes a first output with one rename onto outDir (incremental renames its staged tree).
    { phase: 'apply: the publishing rename', rule: (): Omit<FaultRule, 'code'> => ({ op: 'rename', to: new RegExp(`^${escapeRe(env.outDir)}$`) }) },
  ])('first commit into a missing outDir: $phase fails with EIO → still no outDir', async ({ rule }) => {
    const { faulty, error } = await commitFaulty(strategy, sets.a, [{ ...rule(), code: 'EIO' }])
    expect(faulty.injected()).toHaveLength(1)
    expect(error).toBeInstanceOf(EmitOptimizerError)
    expect((error as EmitOptimizerError).code).toBe('EO_IO')
    expect(fs.existsSync(env.outDir) || fs.lstatSync(env.outDir, { throwIfNoEntry: false }) !== undefined, 'outDir must not exist').toBe(false)
    expect(listLitter(env.root)).toEqual([])
    await commitSet(sets.a, options(strategy, { durability: 'none' }))
    expectTree(snapshot(env.outDir, { dirs: true }), reference.get(strategy)!.a, 'A')
    expect(listLitter(env.root)).toEqual([])
  })

  it('the commit fails after publishing and its rollback fails too: the journal stays, recover() restores A', async () => {
    await commitSet(sets.a, options(strategy, { durability: 'none' }))
    const before = snapshot(env.outDir, { dirs: true })
    const outDirRe = new RegExp(`^${escapeRe(env.outDir)}$`)
    const rollbackFault: Record<Strategy, Omit<FaultRule, 'code'>> = {
      // Restoring the 4th replaced file from its backup.
      incremental: { op: 'rename', path: /\/tx-[^/]+\/b\/\d+$/, after: 3 },
      // Moving the old output back into place (the new one has already been moved out).
      swap: { op: 'rename', path: /\.eo-prev$/, to: outDirRe },
      // Re-pointing outDir at the previous build (the first rename onto outDir published B).
      symlink: { op: 'rename', to: outDirRe, after: 1 },
    }
    const { faulty, error } = await commitFaulty(strategy, sets.b, [
      { op: 'writeFileAtomic', path: /\/journal\.json$/, after: 1, code: 'EIO' },
      { ...rollbackFault[strategy], code: 'EACCES' },
    ])
    expect(faulty.injected().map((call) => call.failed)).toEqual(['EIO', 'EACCES'])
    expect(error).toBeInstanceOf(EmitOptimizerError)
    expect((error as EmitOptimizerError).code).toBe('EO_IO')
    expect((error as EmitOptimizerError).message).toMatch(/restoring the previous output failed too/)
    expect((await readJournal(nodeFs, path.join(env.stateDir, 'journal.json')))?.state).toBe('prepared')
    // Whatever is visible now, each file is a complete version.
    const a = expectedTree(sets.a)
    const b = expectedTree(sets.b)
    for (const [p, entry] of snapshot(env.outDir)) {
      const sha = 'sha256' in entry ? entry.sha256 : undefined
      expect([a.get(p), b.get(p)].some((e) => e && 'sha256' in e && e.sha256 === sha), `${p} is A's or B's`).toBe(true)
    }

    const recovered = await recover(env.outDir, { root: env.root, logger: silent })
    expect(recovered.action).toBe('rolled-back')
    expectTree(snapshot(env.outDir, { dirs: true }), before, 'A after recovery')
    expect(listLitter(env.root)).toEqual([])
    await expectCleanCommitOfB(strategy)
  })

  it('EMFILE on the first 3 staged writes: the queue backs off and the commit succeeds', async () => {
    await commitSet(sets.a, options(strategy, { durability: 'none' }))
    const faulty = faultyFs([{ op: 'writeFile', path: STAGED[strategy], code: 'EMFILE', times: 3 }])
    const result = await commitSet(sets.b, options(strategy, { fs: faulty.fs }))
    expect(faulty.injected()).toHaveLength(3)
    expect(result.stats.written).toBe(PUTS)
    expectTree(snapshot(env.outDir, { dirs: true }), reference.get(strategy)!.b, 'B')
    expect(listLitter(env.root)).toEqual([])
  })

  it('a commit after a failed post-commit step rolls the interrupted one forward by itself', async () => {
    await commitSet(sets.a, options(strategy, { durability: 'none' }))
    const { error, warnings } = await commitFaulty(strategy, sets.b, [{ op: 'writeFileAtomic', path: /\/manifest\.json$/, code: 'EIO' }])
    expect(error).toBeUndefined()
    expect(warnings).toHaveLength(1)
    const result = await commitSet(sets.b, options(strategy))
    expect(result.recovered).toBe('rolled-forward')
    expect(result.stats.written).toBe(0)
    expectTree(snapshot(env.outDir, { dirs: true }), reference.get(strategy)!.b, 'B')
    expect(listLitter(env.root)).toEqual([])
  })
})

describe('incremental, directory → file', () => {
  const strategy = 'incremental' as const

  it('a directory moved aside for a file cannot be restored at first: the journal stays, recover() restores it', async () => {
    await commitSet(sets.a, options(strategy, { durability: 'none' }))
    const before = snapshot(env.outDir, { dirs: true })
    const { faulty, error } = await commitFaulty(strategy, sets.b, [
      { op: 'writeFileAtomic', path: /\/journal\.json$/, after: 1, code: 'EIO' },
      { op: 'rename', path: /\/tx-[^/]+\/b\/r\d+$/, code: 'EACCES' },
    ])
    expect(faulty.injected().map((call) => call.failed)).toEqual(['EIO', 'EACCES'])
    expect(error).toMatchObject({ code: 'EO_IO', message: expect.stringMatching(/restoring the previous output failed too/) })
    expect((await readJournal(nodeFs, path.join(env.stateDir, 'journal.json')))?.state).toBe('prepared')
    expect((await recover(env.outDir, { root: env.root, logger: silent })).action).toBe('rolled-back')
    expectTree(snapshot(env.outDir, { dirs: true }), before, 'A after recovery')
    expect(listLitter(env.root)).toEqual([])
    await expectCleanCommitOfB(strategy)
  })
})
