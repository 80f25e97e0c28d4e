/**
 * Writers of different roots (so different state dirs) into one outDir: two CI checkouts
 * deploying to one web root, packages of a monorepo building into a shared dist. Only outDir's
 * own lock and owner marker (src/core/outdir-claim.ts) connect them.
 *
 * - Engine rounds: N = 3..4 child processes, each of its own root, commit two output sets each
 *   (A then B of their seed) into one outDir, some through a symlinked spelling of its parent;
 *   every strategy with clean on and off, all waiting or with short timeouts. A probe logs every
 *   acquire and release of outDir's lock: never two holders. Failures are only EO_LOCKED naming
 *   that lock and a holder. outDir must equal a model replaying the commits in lock order: a
 *   clean commit leaves exactly its set; otherwise its set over what was there, and only a
 *   writer that committed last itself deletes its own stale outputs (a manifest made stale by
 *   another root's commit deletes nothing).
 * - Real builds: 3 checkouts (copies of the vite fixture app, one variant each) `vite build`
 *   at once into one outDir outside them with emptyOutDir, 2 rounds: every build commits, outDir
 *   is exactly one variant's native build.
 * - Crash trials: a writer of root B is SIGKILLed at a seeded point of its commit over root A's
 *   output; the next writer (recover or commit, of root A, B or a third root) recovers B's
 *   interrupted commit: outDir is then exactly A's or B's output, no litter in any root.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { build } from 'vite'
import { nodeFs } from '../../src/core/fs.js'
import { outDirFiles } from '../../src/core/outdir-claim.js'
import type { Strategy } from '../../src/core/transaction-options.js'
import { recover } from '../../src/history/engine.js'
import { childScope, runCrashChild, startChild, type LineChild } from '../support/children.js'
import { commitSet, outputSets, withoutReshape, type OutputFile, type OutputSet } from '../support/outputs.js'
import { seeded, testSeed } from '../support/seeded.js'
import { defaultFileMode, diffTrees, equalTrees, expectedTree, filesOnly, listLitter, snapshot } from '../support/tree.js'
import { stagingLeftovers, tempApp } from '../support/bundler-app.js'
import type { Job } from '../fixtures/cross-root-commit.mjs'

const CHILD = fileURLToPath(new URL('../fixtures/cross-root-commit.mts', import.meta.url))
const VITE_CHILD = fileURLToPath(new URL('../fixtures/cross-root-vite.mts', import.meta.url))
const SEED = testSeed(0x0c7d1)
const STRATEGIES = ['incremental', 'swap', 'symlink'] as const satisfies readonly Strategy[]
const LONG_TIMEOUT = 60_000
const silent = { warn: () => {} }

const { children, temps, tempRoot, cleanup } = childScope()

function spawnChild(job: Job): LineChild {
  const child = startChild(CHILD, [JSON.stringify(job)])
  children.push(child)
  return child
}

/** Anything a commit should not leave, in the roots and beside outDir; the history and reports kept on purpose are not litter. */
function litter(dirs: string[]): string[] {
  return dirs.flatMap((dir) => listLitter(dir).filter((entry) => !/^node_modules\/\.cache\/emit-optimizer\/[^/]+\/(history|reports)$/.test(entry)))
}

/** The lock log as holders in order; fails unless every acquire is followed by the same process's release. */
function holdersOf(lockLog: string, label: string): number[] {
  const events = fs.readFileSync(lockLog, 'utf8').trim().split('\n').filter(Boolean)
  const holders: number[] = []
  for (let i = 0; i < events.length; i += 2) {
    const [acq, pid] = events[i]!.split(' ')
    expect(acq, `${label}: lock log ${JSON.stringify(events)}`).toBe('ACQ')
    expect(events[i + 1], `${label}: two holders at once: ${JSON.stringify(events)}`).toBe(`REL ${pid}`)
    holders.push(Number(pid))
  }
  return holders
}

type Outcome = { status: 'committed'; txId: string } | { code: string; message: string }

/**
 * What outDir must hold after `commits` (writer, set) in lock order. A file written without a
 * mode keeps the mode of the file it replaces. A writer deletes the files of its previous set
 * that its new one lacks only when it committed last itself (its manifest is outDir's).
 */
function replay(commits: Array<{ writer: number; set: OutputSet }>, clean: boolean): Map<string, OutputFile> {
  let state = new Map<string, OutputFile>()
  const previous = new Map<number, OutputSet>()
  let last: number | undefined
  for (const { writer, set } of commits) {
    const next = new Map(clean ? [] : state)
    if (!clean && last === writer) for (const file of previous.get(writer) ?? []) if (!set.some((f) => f.path === file.path)) next.delete(file.path)
    for (const file of set) {
      const mode = file.mode ?? state.get(file.path)?.mode
      next.set(file.path, { ...file, ...(mode === undefined ? {} : { mode }) })
    }
    state = next
    previous.set(writer, set)
    last = writer
  }
  return state
}

interface Round {
  strategy: Strategy
  clean: boolean
  n: number
  short: boolean
  seed: number
  previous: boolean
}

async function runRound(round: Round, rng: ReturnType<typeof seeded>): Promise<{ committed: number; locked: number; holders: number }> {
  const label = `round ${JSON.stringify(round)}`
  const shared = tempRoot('eo-xroot-')
  fs.mkdirSync(path.join(shared, 'www'))
  // A second spelling of outDir's parent: both must find the one lock.
  fs.symlinkSync('www', path.join(shared, 'alias'))
  const outDir = path.join(shared, 'www', 'dist')
  const lockLog = path.join(shared, 'lock.log')
  fs.writeFileSync(lockLog, '')
  const roots = Array.from({ length: round.n + 1 }, () => tempRoot('eo-xroot-src-'))
  const commits: Array<{ writer: number; set: OutputSet }> = []
  // Without clean, writers keep each other's files, so reshape/ (a file in B, a directory in A) is left out.
  const shaped = (set: OutputSet) => (round.clean ? set : withoutReshape(set))
  if (round.previous) {
    const set = shaped(outputSets(round.seed - 1).a)
    await commitSet(set, { outDir, root: roots[round.n]!, strategy: round.strategy, clean: round.clean, durability: 'none', logger: silent })
    commits.push({ writer: round.n, set })
  }
  const jobs = Array.from({ length: round.n }, (_, i): Job => ({
    outDir: path.join(shared, i % 2 === 1 ? 'alias' : 'www', 'dist'),
    root: roots[i]!,
    strategy: round.strategy,
    clean: round.clean,
    lockTimeoutMs: round.short ? (rng.chance(0.3) ? 0 : rng.int(1, 800)) : LONG_TIMEOUT,
    commits: [
      { seed: round.seed + i, set: 'a' },
      { seed: round.seed + i, set: 'b' },
    ],
    lockLog,
    wait: true,
  }))
  const procs = jobs.map(spawnChild)
  await Promise.all(procs.map((child) => child.waitForLine('READY')))
  for (const child of procs) child.send('GO')
  const exits = await Promise.all(procs.map((child) => child.exited))
  for (const [i, exit] of exits.entries()) expect(exit.code, `${label}: child ${i}\n${exit.stderr}`).toBe(0)
  const outcomes = await Promise.all(procs.map((child) => child.result<Outcome[]>()))

  const holders = holdersOf(lockLog, label)
  const pids = procs.map((child) => child.pid)
  const lockPath = (await outDirFiles(nodeFs, outDir)).lock
  let locked = 0
  for (const [i, list] of outcomes.entries()) {
    for (const outcome of list) {
      if ('status' in outcome) continue
      locked++
      expect(outcome.code, `${label}: child ${i}: ${outcome.message}`).toBe('EO_LOCKED')
      expect(outcome.message, label).toContain(lockPath)
      const named = /held by pid (\d+) on \S+ since /.exec(outcome.message)
      if (named) expect(holders, `${label}: ${outcome.message}`).toContain(Number(named[1]))
      else expect(outcome.message, label).toMatch(/still writing its lock file/)
    }
  }
  // Each holder's k-th hold is its k-th successful commit (a commit failing with EO_LOCKED never held the lock).
  const successes = outcomes.map((list) => list.flatMap((outcome, k) => ('status' in outcome ? [jobs[0]!.commits[k]!.set] : [])))
  const taken = pids.map(() => 0)
  expect(holders.length, label).toBe(successes.flat().length)
  for (const pid of holders) {
    const writer = pids.indexOf(pid)
    expect(writer, `${label}: holder ${pid} is no child`).toBeGreaterThanOrEqual(0)
    const which = successes[writer]![taken[writer]!++]!
    commits.push({ writer, set: shaped(outputSets(round.seed + writer)[which]) })
  }
  if (!round.short) expect(holders.length, label).toBe(round.n * 2)

  const expected = replay(commits, round.clean)
  expect(diffTrees(filesOnly(snapshot(outDir)), expectedTree([...expected.values()])), label).toEqual([])
  expect(litter([shared, ...roots]), label).toEqual([])
  return { committed: holders.length, locked, holders: new Set(holders).size }
}

describe('writers of different roots into one outDir', () => {
  it(
    'N = 3..4 roots × 2 commits, 3 strategies, clean on/off, waiting and short timeouts: one holder at a time; outDir replays the commits in lock order',
    { timeout: 300_000 },
    async () => {
      const rng = seeded(SEED)
      const rounds: Round[] = STRATEGIES.flatMap((strategy) =>
        [true, false].map((clean): Round => ({ strategy, clean, n: rng.int(3, 4), short: rng.chance(0.5), seed: rng.int(1, 1e6), previous: rng.chance(0.5) })),
      )
      // Both timeout kinds for sure, whatever the seed.
      rounds[0]!.short = false
      rounds[1]!.short = true
      const totals = { rounds: 0, processes: 0, committed: 0, locked: 0 }
      for (const round of rounds) {
        const figures = await runRound(round, rng)
        totals.rounds++
        totals.processes += round.n
        totals.committed += figures.committed
        totals.locked += figures.locked
        await cleanup()
      }
      process.stderr.write(`cross-root: ${JSON.stringify(totals)} (seed ${SEED})\n`)
      expect(totals.committed).toBeGreaterThan(0)
    },
  )

  it(
    '3 checkouts `vite build` at once into one outDir with emptyOutDir, 2 rounds: every build commits, outDir is exactly one variant’s build',
    { timeout: 300_000 },
    async () => {
      const VARIANTS = ['red', 'green', 'blue']
      const checkouts = VARIANTS.map(() => {
        const dir = tempApp('vite-app', temps)
        fs.writeFileSync(path.join(dir, 'src/settings.js'), 'export const settings = { theme: __VARIANT__, version: 1 }\n')
        return dir
      })
      // Each checkout's native build of its variant (no plugin).
      const native = new Map<string, ReturnType<typeof snapshot>>()
      for (const [i, variant] of VARIANTS.entries()) {
        const out = path.join(checkouts[i]!, 'native')
        await build({ root: checkouts[i]!, configFile: false, logLevel: 'silent', define: { __VARIANT__: JSON.stringify(variant) }, build: { outDir: out } })
        native.set(variant, snapshot(out))
        fs.rmSync(out, { recursive: true })
      }
      for (const a of VARIANTS) for (const b of VARIANTS) if (a < b) expect(diffTrees(native.get(a)!, native.get(b)!).length, `${a} vs ${b}`).toBeGreaterThan(0)

      const shared = tempRoot('eo-xroot-www-')
      const outDir = path.join(shared, 'dist')
      const lasts: string[] = []
      for (let round = 1; round <= 2; round++) {
        const procs = VARIANTS.map((variant, i) => {
          const child = startChild(VITE_CHILD, [checkouts[i]!, outDir, variant, String(LONG_TIMEOUT)])
          children.push(child)
          return child
        })
        await Promise.all(procs.map((child) => child.waitForLine('READY')))
        for (const child of procs) child.send('GO')
        const outcomes = await Promise.all(procs.map((child) => child.result<{ status?: string; code?: string; message?: string; error?: string }>()))
        for (const [i, outcome] of outcomes.entries())
          expect(outcome, `round ${round} ${VARIANTS[i]}: ${(await procs[i]!.exited).stderr}`).toMatchObject({ status: 'committed' })
        const tree = snapshot(outDir)
        const last = VARIANTS.filter((variant) => equalTrees(tree, native.get(variant)!))
        expect(
          last,
          `round ${round}: outDir vs each variant: ${VARIANTS.map((v) => `${v}: ${diffTrees(tree, native.get(v)!, 4).join('; ')}`).join(' | ')}`,
        ).toHaveLength(1)
        lasts.push(last[0]!)
        expect(stagingLeftovers(outDir), `round ${round}`).toEqual([])
        expect(litter([shared, ...checkouts]), `round ${round}`).toEqual([])
      }
      process.stderr.write(`cross-root vite: 2 rounds × 3 checkouts, all committed; last: ${lasts.join(', ')}\n`)
    },
  )
})

const runJob = (job: Job, env?: { crashAfter?: number; trace?: boolean }) => runCrashChild(CHILD, [JSON.stringify(job)], env)

type Next = 'recover A' | 'recover C' | 'commit A' | 'commit B'
const NEXT: Next[] = ['recover A', 'recover C', 'commit A', 'commit B']

describe('a writer of another root killed mid-commit', () => {
  it(
    'SIGKILL at seeded points of root B’s commit over root A’s output: the next writer of A, B or a third root recovers it to exactly A or B',
    { timeout: 300_000 },
    async () => {
      const rng = seeded(SEED ^ 0xdead)
      const setsSeed = rng.int(1, 1e6)
      const generated = outputSets(setsSeed)
      // A's files carry their mode: a file written without one keeps the mode of the one it replaces (B's deploy.sh is executable).
      const sets = { a: generated.a.map((file) => ({ ...file, mode: file.mode ?? defaultFileMode() })), b: generated.b }
      const treeA = expectedTree(sets.a)
      const treeB = expectedTree(sets.b)
      const TRIALS = 5
      const figures: Record<string, number> = {}

      for (const strategy of STRATEGIES) {
        // `alias`: B spells outDir through a symlinked parent, as another checkout's config might.
        const setup = async (alias: boolean): Promise<{ shared: string; outDir: string; roots: { a: string; b: string; c: string }; job: Job }> => {
          const shared = tempRoot('eo-xcrash-')
          fs.mkdirSync(path.join(shared, 'www'))
          fs.symlinkSync('www', path.join(shared, 'alias'))
          const outDir = path.join(shared, 'www', 'dist')
          const roots = { a: tempRoot('eo-xcrash-a-'), b: tempRoot('eo-xcrash-b-'), c: tempRoot('eo-xcrash-c-') }
          await commitSet(sets.a, { outDir, root: roots.a, strategy, clean: true, durability: 'none', logger: silent })
          const job: Job = {
            outDir: alias ? path.join(shared, 'alias', 'dist') : outDir,
            root: roots.b,
            strategy,
            clean: true,
            lockTimeoutMs: LONG_TIMEOUT,
            commits: [{ seed: setsSeed, set: 'b' }],
          }
          return { shared, outDir, roots, job }
        }
        // Where B's journal is written and removed: the crash points cluster around them.
        const calibration = await setup(false)
        const traced = await runJob(calibration.job, { trace: true })
        expect(traced.code, traced.stderr).toBe(0)
        const marks = [...traced.stdout.matchAll(/^MARK (\d+)$/gm)].map((m) => Number(m[1]))
        expect(marks.length, traced.stdout).toBeGreaterThanOrEqual(2)
        await cleanup()

        for (let trial = 0; trial < TRIALS; trial++) {
          // Before B's journal, between its prepared and committed journal writes, and past its commit point.
          const [prepared, committed, removed] = [marks[0]!, marks[1]!, marks.at(-1)!]
          const crashAt = trial === 0 ? rng.int(1, prepared) : trial < 3 ? rng.int(prepared - 1, committed) : rng.int(committed + 1, removed + 2)
          const next = NEXT[(trial + STRATEGIES.indexOf(strategy)) % NEXT.length]!
          const label = `${strategy} trial ${trial}${trial % 2 === 1 ? ' (B through alias/)' : ''}: kill at call ${crashAt} (marks ${marks.join(',')}), then ${next}`
          const { shared, outDir, roots, job } = await setup(trial % 2 === 1)
          const killed = await runJob(job, { crashAfter: crashAt })
          expect(killed.signal, `${label}: ${killed.stderr}`).toBe('SIGKILL')

          const options = { durability: 'none' as const, logger: silent }
          if (next === 'recover A' || next === 'recover C') {
            await recover(outDir, { ...options, root: next === 'recover A' ? roots.a : roots.c })
            const after = filesOnly(snapshot(outDir))
            const final = equalTrees(after, treeA) ? 'A' : equalTrees(after, treeB) ? 'B' : undefined
            expect(final, `${label}: vs A ${diffTrees(after, treeA, 5).join('; ')} | vs B ${diffTrees(after, treeB, 5).join('; ')}`).toBeDefined()
            figures[`${strategy} → ${final}`] = (figures[`${strategy} → ${final}`] ?? 0) + 1
            expect(litter([shared, roots.a, roots.b, roots.c]), label).toEqual([])
          }
          // Whoever commits next, after any recovery, gets exactly its own build.
          const writer = next === 'commit B' ? roots.b : roots.a
          const set = next === 'commit B' ? sets.b : sets.a
          await commitSet(set, { ...options, outDir, root: writer, strategy, clean: true })
          expect(diffTrees(filesOnly(snapshot(outDir)), expectedTree(set)), label).toEqual([])
          expect(litter([shared, roots.a, roots.b, roots.c]), label).toEqual([])
          await cleanup()
        }
      }
      process.stderr.write(`cross-root crash: ${TRIALS} trials per strategy; recovered to ${JSON.stringify(figures)}\n`)
    },
  )
})
