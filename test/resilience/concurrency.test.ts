/**
 * Concurrency: several processes committing into one outDir at the same moment, and many
 * concurrent writer calls.
 *
 * Engine rounds (N = 2..8 child processes, one outDir, each child commits its own complete
 * output set; the sets share some paths and differ in others): every child either commits,
 * serialised by the outDir's lock, or fails with EO_LOCKED naming the holder. The lock is
 * observed through a probe in each child's fs (test/fixtures/concurrency-commit.mts) that logs
 * every acquire and release in order, so the test sees the serialisation itself and which child
 * committed last. That child is cross-checked against the txId in the engine's manifest, and
 * outDir must then be exactly its output set (files, bytes, modes, directories), with no litter.
 * Three kinds of rounds:
 * - `all-wait`: a long lock timeout; all N commit, one after the other.
 * - `short-timeouts`: 0–1500 ms timeouts; who commits and who gets EO_LOCKED is up to the race.
 * - `held`: one child stops right after taking the lock until the children with a short
 *   timeout have failed with EO_LOCKED (so that error occurs for sure, naming that holder);
 *   children with a long timeout wait and commit after it.
 *
 * Real builds: 3 concurrent `vite build` processes of three variants of one app into its dist/
 * → dist/ is exactly one variant's complete clean build, and no staging dir is left.
 *
 * Writer: 1000 concurrent writes to distinct paths plus 200 to 20 shared paths in one process,
 * and 4 processes × (250 own + 25 shared paths) at once into one root → nothing lost, shared
 * paths hold one writer's complete content, no temp files.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { build } from 'vite'
import { readManifest } from '../../src/core/manifest.js'
import { nodeFs } from '../../src/core/fs.js'
import { outDirFiles } from '../../src/core/outdir-claim.js'
import type { Durability, Strategy } from '../../src/core/transaction-options.js'
import { defaultStateDir } from '../../src/core/state-dir.js'
import { createWriter } from '../../src/index.js'
import { childScope, startChild, type LineChild } from '../support/children.js'
import { ownFile, sharedFile } from '../support/concurrent-writes.js'
import { commitSet, outputSets, type OutputSet } from '../support/outputs.js'
import { seeded, testSeed, type Rng } from '../support/seeded.js'
import { diffTrees, expectedTree, filesOnly, listLitter, snapshot } from '../support/tree.js'
import { stagingLeftovers, tempApp } from '../support/bundler-app.js'

const COMMIT_CHILD = fileURLToPath(new URL('../fixtures/concurrency-commit.mts', import.meta.url))
const VITE_CHILD = fileURLToPath(new URL('../fixtures/concurrency-vite.mts', import.meta.url))
const WRITER_CHILD = fileURLToPath(new URL('../fixtures/concurrency-writer.mts', import.meta.url))
const SEED = testSeed(0xc0c0a)
const silent = { warn: () => {} }

const { children, temps, tempRoot, cleanup } = childScope()

function spawnChild(fixture: string, args: string[]): LineChild {
  const child = startChild(fixture, args)
  children.push(child)
  return child
}

/**
 * listLitter, except what the plugin and the engine keep in the state dir on purpose: the build
 * reports (`reports/`) and the build-history store (`history/`).
 */
function litter(root: string): string[] {
  return listLitter(root).filter((entry) => !/^node_modules\/\.cache\/emit-optimizer\/[^/]+\/(history|reports)$/.test(entry))
}

type Mode = 'all-wait' | 'short-timeouts' | 'held'

interface Round {
  n: number
  mode: Mode
  strategy: Strategy
  durability: Durability
  /** Child i commits `outputSets(seed + i).a`. */
  seed: number
  /**
   * outDir already holds an earlier build (`outputSets(seed - 1).a`) that must vanish. Set A,
   * not B: B makes scripts/deploy.sh executable, and a file written without an explicit mode
   * keeps the mode of the file it replaces (documented), which would carry over.
   */
  previous: boolean
}

type CommitOutcome = { status: 'committed'; txId: string } | { code: string; message: string }

interface RoundFigures {
  committed: number
  locked: number
  /** EO_LOCKED errors that named the holder's pid (the others found its lock file still empty). */
  named: number
}

const LONG_TIMEOUT = 60_000

/** Lock timeouts per child and, in `held` rounds, the holder. */
function timeouts(round: Round, rng: Rng): { timeouts: number[]; holder: number | undefined } {
  if (round.mode === 'all-wait') return { timeouts: Array(round.n).fill(LONG_TIMEOUT), holder: undefined }
  if (round.mode === 'short-timeouts') return { timeouts: Array.from({ length: round.n }, () => (rng.chance(0.3) ? 0 : rng.int(1, 1500))), holder: undefined }
  const holder = rng.int(0, round.n - 1)
  const others = Array.from({ length: round.n }, (_, i) => i).filter((i) => i !== holder)
  // At least one short timeout (fails for sure); the rest at random.
  const shortOnes = new Set([others[0]!, ...others.slice(1).filter(() => rng.chance(0.5))])
  return { timeouts: Array.from({ length: round.n }, (_, i) => (i === holder ? LONG_TIMEOUT : shortOnes.has(i) ? rng.int(50, 300) : LONG_TIMEOUT)), holder }
}

async function runRound(round: Round, rng: Rng): Promise<RoundFigures> {
  const label = `round ${JSON.stringify(round)}`
  const root = tempRoot('eo-conc-')
  const outDir = path.join(root, 'dist')
  const lockLog = path.join(root, 'lock.log')
  fs.writeFileSync(lockLog, '')
  const base = { outDir, root, strategy: round.strategy, durability: 'none' as const, logger: silent }
  if (round.previous) await commitSet(outputSets(round.seed - 1).a, base)
  const sets: OutputSet[] = Array.from({ length: round.n }, (_, i) => outputSets(round.seed + i).a)
  const { timeouts: limits, holder } = timeouts(round, rng)

  const procs = limits.map((limit, i) =>
    spawnChild(COMMIT_CHILD, [outDir, root, round.strategy, round.durability, String(round.seed + i), String(limit), lockLog, i === holder ? '1' : '0']),
  )
  await Promise.all(procs.map((child) => child.waitForLine('READY')))
  if (holder === undefined) {
    for (const child of procs) child.send('GO')
  } else {
    procs[holder]!.send('GO')
    await procs[holder]!.waitForLine('HOLDING')
    for (const [i, child] of procs.entries()) if (i !== holder) child.send('GO')
    // The short-timeout children give up while the holder still holds the lock.
    await Promise.all(procs.filter((_, i) => limits[i]! < LONG_TIMEOUT).map((child) => child.exited))
    procs[holder]!.send('CONTINUE')
  }
  const exits = await Promise.all(procs.map((child) => child.exited))
  const outcomes = await Promise.all(procs.map((child) => child.result<CommitOutcome>()))
  for (const [i, exit] of exits.entries()) {
    const expectedCode = 'status' in outcomes[i]! ? 0 : 2
    expect(exit.code, `${label}: child ${i} exit\n${exit.stderr}`).toBe(expectedCode)
  }

  // The lock log: strictly alternating acquire/release by the same process.
  const events = fs.readFileSync(lockLog, 'utf8').trim().split('\n').filter(Boolean).map((line) => line.split(' ') as ['ACQ' | 'REL', string])
  const holders: number[] = []
  for (let i = 0; i < events.length; i += 2) {
    const [acq, rel] = [events[i]!, events[i + 1]]
    expect(acq[0], `${label}: lock log ${JSON.stringify(events)}`).toBe('ACQ')
    expect(rel, `${label}: lock log ${JSON.stringify(events)}`).toEqual(['REL', acq[1]])
    holders.push(Number(acq[1]))
  }

  const pids = procs.map((child) => child.pid)
  const committed = outcomes.flatMap((outcome, i) => ('status' in outcome ? [i] : []))
  // Exactly the committed children held the lock, each once.
  expect([...holders].sort(), label).toEqual(committed.map((i) => pids[i]!).sort())
  expect(committed.length, label).toBeGreaterThan(0)

  const stateDir = defaultStateDir(root, outDir)
  // Every writer takes outDir's own lock first (src/core/outdir-claim.ts): that is the one they wait for.
  const lockPath = (await outDirFiles(nodeFs, outDir)).lock
  let locked = 0
  let namedCount = 0
  for (const [i, outcome] of outcomes.entries()) {
    if ('status' in outcome) continue
    locked++
    expect(outcome.code, `${label}: child ${i}: ${outcome.message}`).toBe('EO_LOCKED')
    expect(outcome.message, label).toContain(lockPath)
    expect(outcome.message, label).toContain(`outDir: ${outDir}`)
    const named = /held by pid (\d+) on \S+ since /.exec(outcome.message)
    if (named) {
      namedCount++
      // Named a sibling that held the lock (in `held` rounds: the holder).
      expect(holders, `${label}: ${outcome.message}`).toContain(Number(named[1]))
      if (holder !== undefined) expect(Number(named[1]), outcome.message).toBe(pids[holder])
    } else {
      // Found the lock file just created, its content not yet written.
      expect(outcome.message, label).toMatch(/still writing its lock file/)
    }
  }
  if (round.mode === 'all-wait') expect(committed, label).toHaveLength(round.n)
  if (holder !== undefined) {
    expect(holders[0], `${label}: the holder took the lock first`).toBe(pids[holder])
    for (const [i, limit] of limits.entries()) expect('status' in outcomes[i]!, `${label}: child ${i} (timeout ${limit})`).toBe(limit === LONG_TIMEOUT)
  }

  // The last holder is the last committer, as the engine's own manifest says.
  const last = pids.indexOf(holders.at(-1)!)
  const manifest = await readManifest(nodeFs, path.join(stateDir, 'manifest.json'))
  expect(manifest?.txId, label).toBe((outcomes[last] as { txId: string }).txId)

  // outDir is that child's complete build and nothing else: compared with the set itself
  // (files) and with the same set committed into a fresh outDir (directories too).
  expect(diffTrees(filesOnly(snapshot(outDir)), expectedTree(sets[last]!)), label).toEqual([])
  const reference = tempRoot('eo-conc-ref-')
  await commitSet(sets[last]!, { ...base, root: reference, outDir: path.join(reference, 'dist') })
  expect(diffTrees(snapshot(outDir, { dirs: true }), snapshot(path.join(reference, 'dist'), { dirs: true })), label).toEqual([])
  expect(litter(root), label).toEqual([])
  return { committed: committed.length, locked, named: namedCount }
}

describe('concurrent commits into one outDir', () => {
  it('N = 2..8 processes at once: serialised by the lock or EO_LOCKED naming the holder; outDir is exactly the last committer’s build', { timeout: 900_000 }, async () => {
    const rng = seeded(SEED)
    const strategies: Strategy[] = ['incremental', 'swap', 'symlink']
    const modes = ['all-wait', 'short-timeouts', 'held'] as const
    // N = 2 and 8 in every mode; N = 3..7 in two modes each, the left-out mode rotating (16
    // rounds, 80 processes). Every round runs: no time budget decides how many.
    const plan: Array<[number, readonly Mode[]]> = [
      [2, modes],
      [8, modes],
      ...rng.shuffle([3, 4, 5, 6, 7]).map((n, i): [number, Mode[]] => [n, modes.filter((_, m) => m !== i % 3)]),
    ]
    const rounds: Round[] = plan.flatMap(([n, roundModes]) => {
      // A different strategy for each mode of one N.
      const order = rng.shuffle(strategies)
      return roundModes.map((mode, m) => ({ n, mode, strategy: order[m]!, durability: rng.chance(0.5) ? ('none' as const) : ('commit' as const), seed: rng.int(1, 1e6), previous: rng.chance(0.5) }))
    })
    const started = performance.now()
    const totals: Record<Mode, RoundFigures & { rounds: number }> = { 'all-wait': { rounds: 0, committed: 0, locked: 0, named: 0 }, 'short-timeouts': { rounds: 0, committed: 0, locked: 0, named: 0 }, held: { rounds: 0, committed: 0, locked: 0, named: 0 } }
    for (const round of rounds) {
      const figures = await runRound(round, rng)
      const total = totals[round.mode]
      total.rounds++
      total.committed += figures.committed
      total.locked += figures.locked
      total.named += figures.named
      await cleanup()
    }
    const ran = Object.values(totals).reduce((sum, total) => sum + total.rounds, 0)
    process.stderr.write(`concurrency: ${ran}/${rounds.length} rounds in ${Math.round(performance.now() - started)} ms (seed ${SEED}): ${JSON.stringify(totals)}\n`)
    expect(ran).toBe(rounds.length)
    expect(totals.held.locked).toBeGreaterThan(0)
  })

  it('3 concurrent real vite builds of different variants into one dist/: dist/ is exactly one variant’s clean build, no staging dir left', { timeout: 180_000 }, async () => {
    const VARIANTS = ['red', 'green', 'blue']
    // The variant is compiled in (define): each has its own settings chunk, hashes and entry.
    const variantApp = (): string => {
      const dir = tempApp('vite-app', temps)
      fs.writeFileSync(path.join(dir, 'src/settings.js'), 'export const settings = { theme: __VARIANT__, version: 1 }\n')
      return dir
    }
    // Native builds of each variant at the root the children build (Vite ≥ 8.4 hashes depend on it).
    const root = variantApp()
    const clean = new Map<string, ReturnType<typeof snapshot>>()
    for (const variant of VARIANTS) {
      await build({ root, configFile: false, logLevel: 'silent', define: { __VARIANT__: JSON.stringify(variant) }, build: { sourcemap: true } })
      clean.set(variant, snapshot(path.join(root, 'dist')))
      fs.rmSync(path.join(root, 'dist'), { recursive: true })
    }
    // The variants really differ, so "equals one of them" says which.
    for (const a of VARIANTS) for (const b of VARIANTS) if (a < b) expect(diffTrees(clean.get(a)!, clean.get(b)!).length, `${a} vs ${b}`).toBeGreaterThan(0)

    const procs = VARIANTS.map((variant) => spawnChild(VITE_CHILD, [root, variant, String(LONG_TIMEOUT)]))
    await Promise.all(procs.map((child) => child.waitForLine('READY')))
    for (const child of procs) child.send('GO')
    const outcomes = await Promise.all(procs.map((child) => child.result<{ status?: string; txId?: string; code?: string; error?: string }>()))
    for (const [i, outcome] of outcomes.entries()) expect(outcome, `${VARIANTS[i]}: ${(await procs[i]!.exited).stderr}`).toMatchObject({ status: 'committed' })

    const dist = path.join(root, 'dist')
    const manifest = await readManifest(nodeFs, path.join(defaultStateDir(root, dist), 'manifest.json'))
    const last = outcomes.findIndex((outcome) => outcome.txId === manifest?.txId)
    expect(last, `manifest txId ${manifest?.txId} vs ${JSON.stringify(outcomes)}`).toBeGreaterThanOrEqual(0)
    expect(diffTrees(snapshot(dist), clean.get(VARIANTS[last]!)!)).toEqual([])
    expect(stagingLeftovers(dist)).toEqual([])
    expect(litter(root)).toEqual([])
    process.stderr.write(`concurrency: vite variants ${VARIANTS.join(', ')} built at once; ${VARIANTS[last]} committed last\n`)
  })
})

describe('1000 concurrent writer calls lose nothing', () => {
  const tempFiles = (root: string): string[] => (fs.readdirSync(root, { recursive: true }) as string[]).filter((name) => name.endsWith('.eo-tmp'))

  it('one process: 1000 distinct paths and 200 writes to 20 shared paths, all in flight at once', async () => {
    const root = tempRoot('eo-conc-writer-')
    const rng = seeded(SEED ^ 0x1000)
    const writer = createWriter({ root, check: false, logger: silent })
    const calls = [
      ...Array.from({ length: 1000 }, (_, k) => ({ path: `gen/p${k % 16}/f${k}.ts`, content: `export const f${k} = ${JSON.stringify(rng.bytes(rng.int(1, 200)).join(','))}\n` })),
      ...Array.from({ length: 200 }, (_, k) => ({ path: `gen/hot/h${k % 20}.ts`, content: `export const version = ${k} // ${'x'.repeat(rng.int(0, 4000))}\n` })),
    ]
    const order = rng.shuffle(calls)
    // Every call is made before any is awaited.
    const results = await Promise.all(order.map((call) => writer.write(call.path, call.content)))
    await writer.flush()

    const expected = new Map<string, string>()
    for (const call of order) expected.set(call.path, call.content) // the last call to a path wins
    const onDisk = (fs.readdirSync(path.join(root, 'gen'), { recursive: true }) as string[]).filter((rel) => fs.statSync(path.join(root, 'gen', rel)).isFile())
    expect(onDisk).toHaveLength(1020)
    for (const [rel, content] of expected) expect(fs.readFileSync(path.join(root, rel), 'utf8'), rel).toBe(content)
    expect(results.filter((result, i) => order[i]!.path.startsWith('gen/p') && result.status !== 'created')).toEqual([])
    expect(tempFiles(root)).toEqual([])
    expect(litter(root)).toEqual([])
  })

  it('4 processes at once into one root: 4 × 250 own files + 25 shared paths each', { timeout: 120_000 }, async () => {
    const root = tempRoot('eo-conc-writers-')
    const WRITERS = 4
    const OWN = 250
    const SHARED = 25
    const procs = Array.from({ length: WRITERS }, (_, i) => spawnChild(WRITER_CHILD, [root, String(i), String(OWN), String(SHARED)]))
    await Promise.all(procs.map((child) => child.waitForLine('READY')))
    for (const child of procs) child.send('GO')
    const exits = await Promise.all(procs.map((child) => child.exited))
    for (const exit of exits) expect(exit.code, exit.stderr).toBe(0)
    const results = await Promise.all(procs.map((child) => child.result<{ statuses: Record<string, number> }>()))
    // Own files are new to every writer: all created.
    for (const result of results) expect(result.statuses.created).toBeGreaterThanOrEqual(OWN)

    for (let w = 0; w < WRITERS; w++) {
      for (let k = 0; k < OWN; k++) {
        const file = ownFile(w, k)
        expect(fs.readFileSync(path.join(root, file.path), 'utf8'), file.path).toBe(file.content)
      }
    }
    const winners: number[] = []
    for (let k = 0; k < SHARED; k++) {
      const content = fs.readFileSync(path.join(root, sharedFile(0, k).path), 'utf8')
      const by = Array.from({ length: WRITERS }, (_, w) => w).filter((w) => sharedFile(w, k).content === content)
      expect(by, `shared ${k} must be one writer's complete content (${content.length} bytes)`).toHaveLength(1)
      winners.push(by[0]!)
    }
    const files = (fs.readdirSync(path.join(root, 'gen'), { recursive: true }) as string[]).filter((rel) => fs.statSync(path.join(root, 'gen', rel)).isFile())
    expect(files).toHaveLength(WRITERS * OWN + SHARED)
    expect(tempFiles(root)).toEqual([])
    expect(litter(root)).toEqual([])
    process.stderr.write(`concurrency: 4 writer processes, ${WRITERS * (OWN + SHARED)} calls; shared paths won by writers ${JSON.stringify(winners.reduce<Record<number, number>>((acc, w) => ({ ...acc, [w]: (acc[w] ?? 0) + 1 }), {}))}\n`)
  })
})
