/**
 * SIGKILL at seeded random points: a child process commits B over A and kills itself (kill -9)
 * right before its n-th file system call. After every kill, before recovery, each file in outDir
 * must be a complete version (A's or B's bytes at that path); after `recover()` outDir must be
 * exactly A or exactly B (the whole tree, directories and modes included), with no litter, and a
 * following commit of B must succeed. A second set of trials also kills the recovery itself.
 *
 * Crash points: half uniform in [1, ops + 5], where `ops` is the op count of an uncrashed A → B
 * commit; half stratified over the calls between the `prepared` journal write and the journal's
 * removal (for swap and symlink: each of those few calls), which uniform sampling rarely hits.
 *
 * The output sets change the output's shape too (outputs.ts RESHAPE: directories become files
 * and files directories). For incremental, where a replaced directory is moved aside before its
 * file is put, a few more points fall between those two renames (window `reshape`).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Strategy } from '../../src/core/transaction-options.js'
import { recover } from '../../src/history/engine.js'
import { defaultStateDir } from '../../src/core/state-dir.js'
import { commitSet, outputSets } from '../support/outputs.js'
import { seeded, testSeed } from '../support/seeded.js'
import { diffTrees, equalTrees, expectedTree, filesOnly, isLockDebris, listLitter, snapshot, type Tree } from '../support/tree.js'
import { runCrashChild, type CrashChildResult } from '../support/children.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/commit-child.mts', import.meta.url))
const SEED = testSeed(0xc0ffee)
const SETS_SEED = SEED ^ 0x5eed
const sets = outputSets(SETS_SEED)
const STRATEGIES = ['incremental', 'swap', 'symlink'] as const satisfies readonly Strategy[]
/** Trials per strategy (110 in all, every one of them run: no time budget decides how many). */
const TRIALS: Record<Strategy, number> = { incremental: 56, swap: 27, symlink: 27 }
const ALL_TRIALS = Object.values(TRIALS).reduce((sum, n) => sum + n, 0)
const PARALLEL = 2
const silent = { warn: () => {} }

type ChildResult = CrashChildResult
const runChild = (args: string[], env?: { crashAfter?: number; trace?: boolean }) => runCrashChild(FIXTURE, args, env)

/** Killed by its own SIGKILL, or finished with DONE; anything else is a failure of the child. */
function childOutcome(result: ChildResult): 'killed' | 'done' {
  if (result.signal === 'SIGKILL') return 'killed'
  if (result.code === 0 && /^DONE$/m.test(result.stdout)) return 'done'
  throw new Error(`child failed (code ${result.code}, signal ${result.signal}):\n${result.stdout}\n${result.stderr}`)
}

const opsOf = (result: ChildResult): number => Number(/^OPS (\d+)$/m.exec(result.stdout)?.[1] ?? NaN)
const marksOf = (result: ChildResult): number[] => [...result.stdout.matchAll(/^MARK (\d+) /gm)].map((m) => Number(m[1]))
const shapeOf = (result: ChildResult, what: 'aside' | 'put'): number | undefined => {
  const n = new RegExp(`^SHAPE (\\d+) ${what}$`, 'm').exec(result.stdout)?.[1]
  return n === undefined ? undefined : Number(n)
}
/** Extra points for incremental between moving `reshape/chunks` aside and putting its file. */
const RESHAPE_POINTS = 6

interface Scratch {
  root: string
  outDir: string
}

const scratches: string[] = []
function scratch(): Scratch {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-crash-')))
  scratches.push(root)
  return { root, outDir: path.join(root, 'dist') }
}
function dispose(s: Scratch): void {
  fs.rmSync(s.root, { recursive: true, force: true })
}

const commitArgs = (s: Scratch, strategy: Strategy, which: 'a' | 'b'): string[] => ['commit', s.outDir, s.root, strategy, which, String(SETS_SEED)]
const recoverArgs = (s: Scratch): string[] => ['recover', s.outDir, s.root]
const inProcess = (s: Scratch, strategy: Strategy) => ({ outDir: s.outDir, root: s.root, strategy, durability: 'none' as const, logger: silent })

interface Calibration {
  /** fs calls of an uncrashed A → B commit in the child. */
  ops: number
  /** Call numbers of the journal writes (`prepared`, `committed`) and its removal. */
  marks: number[]
  /** fs calls of a recovery run on a commit killed between `prepared` and `committed` (rollback), and after `committed` (roll-forward). */
  recoverOps: { prepared: number; committed: number }
  /** incremental: the calls moving the replaced directory aside and putting the file in its place. */
  reshape: { aside: number; put: number } | undefined
  a: Tree
  b: Tree
}
const calibration = new Map<Strategy, Calibration>()

beforeAll(async () => {
  // allSettled: on a failure, the other calibrations finish before afterAll removes the scratch dirs.
  const settled = await Promise.allSettled(
    STRATEGIES.map(async (strategy) => {
      const s = scratch()
      await commitSet(sets.a, inProcess(s, strategy))
      const a = snapshot(s.outDir, { dirs: true })
      const run = await runChild(commitArgs(s, strategy, 'b'), { trace: true })
      expect(childOutcome(run)).toBe('done')
      const b = snapshot(s.outDir, { dirs: true })
      expect(diffTrees(filesOnly(a), expectedTree(sets.a))).toEqual([])
      expect(diffTrees(filesOnly(b), expectedTree(sets.b))).toEqual([])
      expect(listLitter(s.root)).toEqual([])
      const marks = marksOf(run)
      expect(marks).toHaveLength(3)
      const aside = shapeOf(run, 'aside')
      const put = shapeOf(run, 'put')
      if (strategy === 'incremental') expect(aside! > marks[0]! && put! > aside! && put! < marks[1]!, `aside ${aside}, put ${put}`).toBe(true)
      dispose(s)

      // How long a recovery takes, on a commit killed halfway through each journal state.
      const recoverOps = { prepared: 0, committed: 0 }
      for (const [state, point, expected] of [
        ['prepared', Math.floor((marks[0]! + marks[1]!) / 2) + 1, a],
        ['committed', marks[1]! + 1, b],
      ] as const) {
        const r = scratch()
        await commitSet(sets.a, inProcess(r, strategy))
        expect(childOutcome(await runChild(commitArgs(r, strategy, 'b'), { crashAfter: point }))).toBe('killed')
        const recovered = await runChild(recoverArgs(r))
        expect(childOutcome(recovered)).toBe('done')
        expect(diffTrees(snapshot(r.outDir, { dirs: true }), expected)).toEqual([])
        dispose(r)
        recoverOps[state] = opsOf(recovered)
      }
      calibration.set(strategy, { ops: opsOf(run), marks, recoverOps, reshape: strategy === 'incremental' ? { aside: aside!, put: put! } : undefined, a, b })
    }),
  )
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason
}, 600_000)

afterAll(() => {
  for (const root of scratches) fs.rmSync(root, { recursive: true, force: true })
})

/** Each file present must be complete: its bytes are A's or B's at that path. */
function partialFiles(outDir: string, cal: Calibration): string[] {
  const problems: string[] = []
  for (const [p, entry] of snapshot(outDir)) {
    const inA = cal.a.get(p)
    const inB = cal.b.get(p)
    if (!('sha256' in entry)) problems.push(`${p}: not a regular file (${JSON.stringify(entry)})`)
    else if (!(inA && 'sha256' in inA && inA.sha256 === entry.sha256) && !(inB && 'sha256' in inB && inB.sha256 === entry.sha256)) {
      problems.push(`${p}: neither A's nor B's content (${entry.size} bytes)`)
    }
  }
  return problems
}

type Before = 'A' | 'B' | 'missing' | 'mixed'

/** What a reader sees right after the kill, before recovery: A's files, B's, no outDir (swap), or a mix. */
function stateBeforeRecovery(outDir: string, cal: Calibration): Before {
  if (fs.lstatSync(outDir, { throwIfNoEntry: false }) === undefined) return 'missing'
  const tree = snapshot(outDir)
  return equalTrees(tree, filesOnly(cal.a)) ? 'A' : equalTrees(tree, filesOnly(cal.b)) ? 'B' : 'mixed'
}

type Final = 'old' | 'new'

/**
 * Recovers in-process, then checks exact equality, litter and a following commit of B.
 * `lockDebris`: where a recovery was killed while taking over the dead commit's lock, the
 * takeover claim (or the stale lock moved aside) it was holding stays behind — lock.ts only
 * removes a claim when someone claims the same stale lock again. Those files are collected
 * there instead of failing the trial (see the report); anywhere else they are litter too.
 */
async function recoverAndCheck(s: Scratch, strategy: Strategy, cal: Calibration, problems: string[], lockDebris?: string[]): Promise<{ final: Final | 'mixed'; action: string }> {
  const result = await recover(s.outDir, { root: s.root, durability: 'none', logger: silent })
  const after = snapshot(s.outDir, { dirs: true })
  const final = equalTrees(after, cal.a) ? 'old' : equalTrees(after, cal.b) ? 'new' : 'mixed'
  if (final === 'mixed') problems.push(`after recovery (${result.action}) outDir is neither A nor B: vs A ${diffTrees(after, cal.a, 6).join('; ')} | vs B ${diffTrees(after, cal.b, 6).join('; ')}`)
  let litter = listLitter(s.root)
  if (lockDebris) {
    lockDebris.push(...litter.filter(isLockDebris))
    litter = litter.filter((entry) => !isLockDebris(entry))
  }
  if (litter.length > 0) problems.push(`litter after recovery: ${litter.join(', ')}`)
  try {
    await commitSet(sets.b, inProcess(s, strategy))
    const next = snapshot(s.outDir, { dirs: true })
    if (!equalTrees(next, cal.b)) problems.push(`the commit of B after recovery left: ${diffTrees(next, cal.b, 6).join('; ')}`)
    const litterAfter = listLitter(s.root).filter((entry) => !(lockDebris && isLockDebris(entry)))
    if (litterAfter.length > 0) problems.push(`litter after the next commit: ${litterAfter.join(', ')}`)
  } catch (error) {
    problems.push(`the commit of B after recovery failed: ${(error as Error).message}`)
  }
  return { final, action: result.action }
}

interface Trial {
  strategy: Strategy
  crashAfter: number
  killed: boolean
  /** Where the kill landed: before the `prepared` journal, between prepared and committed (`reshape`: with a replaced directory moved aside and its file not yet put), after. */
  window: 'staging' | 'prepared' | 'reshape' | 'committed' | 'none'
  before: Before
  final: Final | 'mixed'
  action: string
  problems: string[]
}

function windowOf(point: number, cal: Calibration, killed: boolean): Trial['window'] {
  if (!killed) return 'none'
  const [prepared, committed, removed] = cal.marks as [number, number, number]
  if (cal.reshape && point > cal.reshape.aside && point <= cal.reshape.put) return 'reshape'
  return point <= prepared ? 'staging' : point <= committed ? 'prepared' : point <= removed ? 'committed' : 'none'
}

async function crashTrial(strategy: Strategy, crashAfter: number): Promise<Trial> {
  const cal = calibration.get(strategy)!
  const s = scratch()
  const problems: string[] = []
  try {
    await commitSet(sets.a, inProcess(s, strategy))
    const run = await runChild(commitArgs(s, strategy, 'b'), { crashAfter })
    const killed = childOutcome(run) === 'killed'
    problems.push(...partialFiles(s.outDir, cal))
    const before = stateBeforeRecovery(s.outDir, cal)
    const { final, action } = await recoverAndCheck(s, strategy, cal, problems)
    return { strategy, crashAfter, killed, window: windowOf(crashAfter, cal, killed), before, final, action, problems }
  } finally {
    dispose(s)
  }
}

/** Runs `task` over every item with `limit` in flight. */
async function pool<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!
      results.push(await task(item))
    }
  }
  await Promise.all(Array.from({ length: limit }, worker))
  return results
}

/**
 * Half of a strategy's points (all of them for the few calls of swap and symlink) fall in the
 * window from just before the `prepared` journal write to just after the journal's removal —
 * one uniform point per equal stratum, so every part of the publish (incremental: puts, then
 * deletes) is hit — and the rest are uniform over the whole commit.
 */
function crashPoints(strategy: Strategy, rng: ReturnType<typeof seeded>): number[] {
  const cal = calibration.get(strategy)!
  const lo = cal.marks[0]! - 1
  const span = cal.marks[2]! + 1 - lo + 1
  const inWindow = Math.min(span, Math.ceil(TRIALS[strategy] / 2))
  const points: number[] = []
  for (let k = 0; k < inWindow; k++) points.push(lo + Math.floor(((k + rng.next()) * span) / inWindow))
  if (cal.reshape) for (let k = 0; k < RESHAPE_POINTS; k++) points.push(rng.int(cal.reshape.aside + 1, cal.reshape.put))
  while (points.length < TRIALS[strategy]) points.push(rng.int(1, cal.ops + 5))
  return rng.shuffle(points)
}

function summarize(trials: Trial[]): string {
  return STRATEGIES.map((strategy) => {
    const mine = trials.filter((t) => t.strategy === strategy)
    const count = (f: (t: Trial) => boolean): number => mine.filter(f).length
    return `${strategy} ${mine.length} trials (killed ${count((t) => t.killed)}; staging ${count((t) => t.window === 'staging')}, prepared ${count((t) => t.window === 'prepared' || t.window === 'reshape')} (reshape ${count((t) => t.window === 'reshape')}), committed ${count((t) => t.window === 'committed')}): before recovery A/B/mixed/missing ${(['A', 'B', 'mixed', 'missing'] as const).map((b) => count((t) => t.before === b)).join('/')}; after: old ${count((t) => t.final === 'old')}, new ${count((t) => t.final === 'new')}`
  }).join(' | ')
}

describe('SIGKILL during a commit', () => {
  // The timeout only stops a hung run: 110 trials take ~40 s on a quiet 2-core machine.
  it(`recovers exactly A or exactly B after a kill -9 at ${ALL_TRIALS} seeded points`, { timeout: 900_000 }, async () => {
    const rng = seeded(SEED)
    const perStrategy = STRATEGIES.map((strategy) => crashPoints(strategy, rng).map((point) => ({ strategy, point })))
    // Round robin, so the strategies' trials interleave.
    const queue = Array.from({ length: Math.max(...perStrategy.map((list) => list.length)) }, (_, i) => perStrategy.map((list) => list[i])).flat().filter((x) => x !== undefined)
    const started = performance.now()
    const trials = await pool(queue, PARALLEL, ({ strategy, point }) => crashTrial(strategy, point))
    const failed = trials.filter((t) => t.problems.length > 0 || t.final === 'mixed')
    const mixed = trials.filter((t) => t.final === 'mixed').length
    console.log(`[crash] ${trials.length} trials in ${((performance.now() - started) / 1000).toFixed(1)} s, seed ${SEED}: ${summarize(trials)}; mixed states after recovery: ${mixed}; trials with problems: ${failed.length}`)
    expect(failed.map((t) => `${t.strategy} @${t.crashAfter} (${t.window}): ${t.problems.join(' / ')}`)).toEqual([])
    expect(trials.length).toBe(ALL_TRIALS)
    for (const strategy of STRATEGIES) {
      const mine = trials.filter((t) => t.strategy === strategy)
      // The interesting windows were hit: both outcomes occur for every strategy.
      expect(mine.some((t) => t.final === 'old')).toBe(true)
      expect(mine.some((t) => t.final === 'new')).toBe(true)
      expect(mine.some((t) => t.window === 'prepared')).toBe(true)
    }
    // A kill with a replaced directory moved aside and its file not yet in place rolls back to A.
    const reshape = trials.filter((t) => t.window === 'reshape')
    expect(reshape.length).toBeGreaterThan(0)
    expect(reshape.every((t) => t.final === 'old')).toBe(true)
  })
})

describe('SIGKILL during recovery', () => {
  const TRIALS_PER_STRATEGY = 4

  it('a recovery killed (up to twice) and run again still ends exactly at A or B', { timeout: 600_000 }, async () => {
    const rng = seeded(SEED + 1)
    let jobIndex = 0
    // Every point is drawn up front, so a run is reproducible whatever order trials finish in.
    const jobs = STRATEGIES.flatMap((strategy) =>
      Array.from({ length: TRIALS_PER_STRATEGY }, (_, i) => {
        const cal = calibration.get(strategy)!
        const [prepared, committed, removed] = cal.marks as [number, number, number]
        // Both journal states (rolled back / rolled forward), each with one and with two killed recoveries.
        const state = i % 2 === 0 ? 'prepared' : 'committed'
        const commitPoint = state === 'prepared' ? rng.int(prepared + 1, committed) : rng.int(committed + 1, removed)
        const recoverPoints = Array.from({ length: 1 + (Math.floor(i / 2) % 2) }, () => rng.int(1, cal.recoverOps[state]))
        return { index: jobIndex++, strategy, commitPoint, recoverPoints, expected: (state === 'prepared' ? 'old' : 'new') as Final }
      }),
    )
    const results = await pool(jobs, PARALLEL, async (job) => {
      const cal = calibration.get(job.strategy)!
      const s = scratch()
      const problems: string[] = []
      const kills: number[] = []
      const lockDebris: string[] = []
      try {
        await commitSet(sets.a, inProcess(s, job.strategy))
        if (childOutcome(await runChild(commitArgs(s, job.strategy, 'b'), { crashAfter: job.commitPoint })) !== 'killed') problems.push('the commit was not killed')
        const journal = path.join(defaultStateDir(s.root, s.outDir), 'journal.json')
        if (!fs.existsSync(journal)) problems.push('no journal after the killed commit')
        for (const point of job.recoverPoints) {
          if (childOutcome(await runChild(recoverArgs(s), { crashAfter: point })) === 'done') break
          kills.push(point)
          problems.push(...partialFiles(s.outDir, cal))
        }
        const { final } = await recoverAndCheck(s, job.strategy, cal, problems, lockDebris)
        if (final !== job.expected) problems.push(`expected ${job.expected === 'old' ? 'A' : 'B'} (the commit was killed ${job.expected === 'old' ? 'before' : 'after'} its commit point), got ${final}`)
        return { ...job, kills, final, problems, lockDebris: lockDebris.map((entry) => path.basename(entry)) }
      } finally {
        dispose(s)
      }
    })
    results.sort((x, y) => x.index - y.index)
    const describeJob = (r: (typeof results)[number]): string => `${r.strategy} commit@${r.commitPoint} recover killed@${r.kills.join(',') || '-'}`
    const debris = results.flatMap((r) => r.lockDebris)
    console.log(`[crash] recovery killed: ${results.length} trials, ${results.reduce((n, r) => n + r.kills.length, 0)} recoveries killed, lock takeover debris left: ${debris.length}${debris.length ? ` (${debris.join(', ')})` : ''}; ${results.map((r) => `${describeJob(r)} → ${r.final}`).join('; ')}`)
    // Debris may only come from a killed recovery; the lock file itself must never remain.
    for (const r of results) if (r.lockDebris.length > 0) expect(r.kills.length).toBeGreaterThan(0)
    expect(results.filter((r) => r.problems.length > 0).map((r) => `${describeJob(r)}: ${r.problems.join(' / ')}`)).toEqual([])
    expect(results).toHaveLength(jobs.length)
  })
})
