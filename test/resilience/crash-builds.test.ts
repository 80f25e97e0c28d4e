/**
 * SIGKILL during real builds. A generated Vite app and a generated webpack app (real config
 * files importing the plugin by name from a copy of dist/ installed for the run, so run
 * `npm run build` first) are built at version A; their sources are then edited to version B
 * (outputs added, changed in place, deleted, a mode changed, a directory removed and one added).
 * Each trial restores A's outDir and state (a copy of what the real A build left), runs the B
 * build in a child process and kills it with SIGKILL:
 * - at the child's n-th fs call on outDir, its `.dist.*` siblings or the state dir (the child
 *   wraps `node:fs`, see test/fixtures/crash-build-child.mjs): for half of these uniform over
 *   the build's calls, for the other half stratified over the publish window, which uniform
 *   sampling rarely hits (a third each: up to the `prepared` journal, up to `committed`, up to
 *   the journal's removal); for Vite also over the renames that adopt its staged files into the
 *   engine's staging (zero copy: they are moved, never written again);
 * - or from this process, on watch events: once the journal appears, after a seeded number of
 *   further events in outDir or the state dir.
 * While the child runs, a reader woken by watch events on outDir checks every file it can read;
 * right after the kill every file must again be A's or B's version at that path. Then recovery
 * (alternately `recover()` and `emit-optimizer recover`) must leave exactly A or exactly B (files,
 * bytes, modes, directories) — the one the journal left on disk implies — with no litter, and
 * a following B build must give exactly B.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recover } from '../../src/history/engine.js'
import { appVersions, installPackage, makeApp, writeSources, type Bundler, type Sources } from '../support/crash-apps.js'
import { seeded, testSeed } from '../support/seeded.js'
import { diffTrees, equalTrees, listLitter, sha256, snapshot, type Tree } from '../support/tree.js'

const CHILD = fileURLToPath(new URL('../fixtures/crash-build-child.mjs', import.meta.url))
const DIST = fileURLToPath(new URL('../../dist', import.meta.url))
const SEED = testSeed(0xb1d5)
const BUNDLERS = ['vite', 'webpack'] as const satisfies readonly Bundler[]
const PARALLEL = 2
/** Trials per bundler: the seeded points by kind. */
const KINDS = { uniform: 20, window: 20, external: 8, adopt: 6 } as const
/** Bundlers whose files the commit adopts (renames out of the bundler's staging dir). */
const ADOPTING: readonly Bundler[] = ['vite']
/**
 * The first MIN_TRIALS of each bundler always run (with the 122 engine trials of crash.test.ts,
 * over 200 in all); the rest only until BUDGET_MS has passed. Measured on the shared 2-core
 * machine: a trial (two builds and a recovery) takes 3–5 s with Vite, 5–8 s with webpack.
 */
const MIN_TRIALS = 45
const BUDGET_MS = 180_000
/** External kills: after 0..MAX_EVENTS watch events following the journal's appearance. */
const MAX_EVENTS = 6
const silent = { warn: () => {} }

type Kind = keyof typeof KINDS

interface ChildResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** The child's environment: vitest's NODE_ENV=test would change what the bundlers build. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  delete env.NODE_ENV
  for (const key of Object.keys(env)) if (key.startsWith('VITEST')) delete env[key]
  return env
}

function run(args: string[], cwd: string, extra: Record<string, string> = {}): { kill: () => void; done: Promise<ChildResult> } {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv(extra) })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const done = new Promise<ChildResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return { kill: () => void child.kill('SIGKILL'), done }
}

const build = (app: Pick<App, 'bundler' | 'dir'>, env: { crashAfter?: number; trace?: boolean } = {}) =>
  run([CHILD, app.bundler, app.dir], app.dir, { EO_CRASH_AFTER: String(env.crashAfter ?? 0), EO_TRACE: env.trace ? '1' : '0' })

function outcome(result: ChildResult): 'killed' | 'done' {
  if (result.signal === 'SIGKILL') return 'killed'
  if (result.code === 0 && /^DONE$/m.test(result.stdout)) return 'done'
  throw new Error(`build child failed (code ${result.code}, signal ${result.signal}):\n${result.stdout}\n${result.stderr}`)
}

interface App {
  bundler: Bundler
  dir: string
  outDir: string
  stateRoot: string
  /** This outDir's state dir (one per outDir under the state root). */
  stateDir: string
  /** Copies of outDir and the state root as the A build left them. */
  saved: { outDir: string; stateRoot: string }
  a: Tree
  b: Tree
  /** Counted fs calls of an uncrashed A → B build. */
  ops: number
  /** Call numbers: first journal temp write, `prepared` rename, `committed` rename, journal removal. */
  marks: { start: number; prepared: number; committed: number; removed: number }
  /** Call numbers of the renames adopting the bundler's staged files, and of files written into the engine's staging. */
  adopted: number[]
  stagedWrites: number[]
}

const made: string[] = []
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
})

const copy = (from: string, to: string): void => fs.cpSync(from, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true })

/** Journal calls of a traced build → the publish window's marks. */
function marksOf(stdout: string): App['marks'] {
  const calls = [...stdout.matchAll(/^TRACE (\d+) (\S+) (\S+)$/gm)].map((m) => ({ n: Number(m[1]), call: m[2]!, file: m[3]! }))
  const temps = calls.filter((c) => /^journal\.json\.\d+$/.test(c.file))
  const renames = temps.filter((c) => c.call.includes('rename'))
  const removal = calls.find((c) => c.file === 'journal.json' && c.call.includes('unlink'))
  if (temps.length === 0 || renames.length !== 2 || !removal) throw new Error(`unexpected journal calls in the calibration build:\n${stdout}`)
  return { start: temps[0]!.n, prepared: renames[0]!.n, committed: renames[1]!.n, removed: removal.n }
}

/**
 * A real app built at A (saved) and then at B once, uncrashed: A's and B's trees, the op count
 * and the journal's marks of the A → B build. The app is left with B's sources.
 */
async function prepareApp(bundler: Bundler, versions: { a: Sources; b: Sources }, pkg: string): Promise<App> {
  const dir = makeApp(bundler, versions.a, pkg)
  made.push(dir)
  const outDir = path.join(dir, 'dist')
  const stateRoot = path.join(dir, 'node_modules', '.cache', 'emit-optimizer')
  expect(outcome(await build({ bundler, dir }).done)).toBe('done')
  const a = snapshot(outDir, { dirs: true })
  const stateDirs = fs.readdirSync(stateRoot)
  expect(stateDirs).toHaveLength(1)
  const saved = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `eo-crashbuild-saved-${bundler}-`)))
  made.push(saved)
  copy(outDir, path.join(saved, 'dist'))
  copy(stateRoot, path.join(saved, 'state'))
  writeSources(dir, versions.b, versions.a)
  const app: App = { bundler, dir, outDir, stateRoot, stateDir: path.join(stateRoot, stateDirs[0]!), saved: { outDir: path.join(saved, 'dist'), stateRoot: path.join(saved, 'state') }, a, b: new Map(), ops: 0, marks: { start: 0, prepared: 0, committed: 0, removed: 0 }, adopted: [], stagedWrites: [] }
  expect(litterOf(app)).toEqual([])
  const traced = await build(app, { trace: true }).done
  expect(outcome(traced)).toBe('done')
  app.b = snapshot(outDir, { dirs: true })
  app.ops = Number(/^OPS (\d+)$/m.exec(traced.stdout)?.[1])
  app.marks = marksOf(traced.stdout)
  app.adopted = [...traced.stdout.matchAll(/^ADOPT (\d+)$/gm)].map((m) => Number(m[1]))
  app.stagedWrites = [...traced.stdout.matchAll(/^STAGED (\d+)$/gm)].map((m) => Number(m[1]))
  expect(litterOf(app)).toEqual([])
  return app
}

/** Outputs B adds, changes at the same path, and deletes, relative to A. */
function changeSummary(app: App): { added: string[]; changed: string[]; deleted: string[] } {
  const files = (tree: Tree) => [...tree].filter(([, entry]) => !('dir' in entry))
  return {
    added: files(app.b).filter(([p]) => !app.a.has(p)).map(([p]) => p),
    changed: files(app.b).filter(([p, entry]) => app.a.has(p) && JSON.stringify(app.a.get(p)) !== JSON.stringify(entry)).map(([p]) => p),
    deleted: files(app.a).filter(([p]) => !app.b.has(p)).map(([p]) => p),
  }
}

/**
 * Litter after a build or a recovery: tree.ts's listLitter (journal, lock, tx-*, siblings,
 * atomic temps) except the plugin's `history/` and `reports/` in the state dir, plus temp files
 * left in `reports/` and Vite staging dirs (`.dist.eo-staging-<pid>`) next to outDir.
 */
function litterOf(app: App): string[] {
  const owned = /^node_modules\/\.cache\/emit-optimizer\/[^/]+\/(history|reports)(\/|$)/
  const litter = listLitter(app.dir).filter((entry) => !owned.test(entry))
  const reports = path.join(app.stateDir, 'reports')
  if (fs.existsSync(reports)) for (const name of fs.readdirSync(reports)) if (/\.\d+$/.test(name)) litter.push(path.relative(app.dir, path.join(reports, name)))
  for (const name of fs.readdirSync(app.dir)) if (name.includes('.eo-staging-')) litter.push(name)
  return litter.sort()
}

/** Puts A's outDir and state back exactly as the A build left them (and nothing else next to outDir). */
function restoreA(app: App): void {
  fs.rmSync(app.outDir, { recursive: true, force: true })
  fs.rmSync(app.stateRoot, { recursive: true, force: true })
  for (const name of fs.readdirSync(app.dir)) if (name.startsWith('.dist.')) fs.rmSync(path.join(app.dir, name), { recursive: true, force: true })
  copy(app.saved.outDir, app.outDir)
  copy(app.saved.stateRoot, app.stateRoot)
  const restored = snapshot(app.outDir, { dirs: true })
  if (!equalTrees(restored, app.a)) throw new Error(`restoring A failed: ${diffTrees(restored, app.a, 5).join('; ')}`)
}

/** A file whose bytes are neither A's nor B's at its path (or that is not a regular file). */
function badFile(app: App, rel: string, data: Buffer): string | undefined {
  const hash = sha256(data)
  const inA = app.a.get(rel)
  const inB = app.b.get(rel)
  if ((inA && 'sha256' in inA && inA.sha256 === hash) || (inB && 'sha256' in inB && inB.sha256 === hash)) return undefined
  return `${rel}: neither A's nor B's content (${data.byteLength} bytes${inA || inB ? '' : ', a path of neither'})`
}

/** Every file in outDir now: each must be A's or B's version at its path. */
function partialFiles(app: App): string[] {
  const problems: string[] = []
  for (const [rel, entry] of snapshot(app.outDir)) {
    if (!('sha256' in entry)) problems.push(`${rel}: not a regular file (${JSON.stringify(entry)})`)
    else {
      const bad = badFile(app, rel, fs.readFileSync(path.join(app.outDir, rel)))
      if (bad) problems.push(bad)
    }
  }
  return problems
}

/**
 * Reads outDir whenever a watch event arrives from outDir (and its subdirectories), the state
 * dir or outDir's parent, until stopped: a reader racing the build. Files that vanish between
 * listing and reading are skipped.
 */
function watchAndRead(app: App, onEvent: (dir: string, file: string | null) => void): { stop: () => { passes: number; problems: string[] } } {
  const problems = new Set<string>()
  let passes = 0
  let pending = false
  let stopped = false
  const pass = (): void => {
    pending = false
    if (stopped) return
    passes++
    const visit = (abs: string, rel: string): void => {
      let entries: fs.Dirent[]
      try {
        entries = fs.readdirSync(abs, { withFileTypes: true })
      } catch {
        return
      }
      for (const entry of entries) {
        const childRel = rel ? `${rel}/${entry.name}` : entry.name
        if (entry.isDirectory()) visit(path.join(abs, entry.name), childRel)
        else {
          let data: Buffer
          try {
            data = fs.readFileSync(path.join(abs, entry.name))
          } catch {
            continue
          }
          const bad = badFile(app, childRel, data)
          if (bad) problems.add(`while the build ran: ${bad}`)
        }
      }
    }
    visit(app.outDir, '')
  }
  const dirs = [app.dir, app.outDir, app.stateDir, ...[...app.a].filter(([, entry]) => 'dir' in entry).map(([rel]) => path.join(app.outDir, rel))]
  const watchers = dirs.map((dir) => {
    const watcher = fs.watch(dir, (_type, file) => {
      onEvent(dir, file)
      if (!pending) {
        pending = true
        setImmediate(pass)
      }
    })
    // A watched directory that is removed ends its watcher; that is no failure of the reader.
    watcher.on('error', () => {})
    return watcher
  })
  return {
    stop: () => {
      stopped = true
      for (const watcher of watchers) watcher.close()
      return { passes, problems: [...problems] }
    },
  }
}

type JournalState = 'none' | 'prepared' | 'committed'
function journalState(app: App): JournalState {
  const file = path.join(app.stateDir, 'journal.json')
  if (!fs.existsSync(file)) return 'none'
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { state: 'prepared' | 'committed' }).state
}

type Shape = 'A' | 'B' | 'mixed'
const shapeOf = (app: App, tree: Tree): Shape => (equalTrees(tree, app.a) ? 'A' : equalTrees(tree, app.b) ? 'B' : 'mixed')

interface Spec {
  bundler: Bundler
  kind: Kind
  /** Position in [0, 1): over the whole build (uniform) or over the publish window (window). */
  u: number
  /** External kills: watch events to let pass after the journal appeared. */
  events: number
  recoveredBy: 'api' | 'cli'
}

interface Trial extends Spec {
  point: number
  killed: boolean
  window: 'staging' | 'prepared' | 'committed' | 'after' | 'none'
  journal: JournalState
  before: Shape
  final: Shape
  passes: number
  partial: number
  problems: string[]
  /** Milliseconds: restoring A, the killed build, the recovery, the following build. */
  ms?: { restore: number; killed: number; recovery: number; following: number }
}

function pointOf(spec: Spec, app: App): number {
  if (spec.kind === 'uniform') return 1 + Math.floor(spec.u * (app.ops + 5))
  if (spec.kind === 'window') {
    // Three equal shares: staging to the `prepared` journal, publish to `committed`, the roll-forward to the journal's removal.
    const { start, prepared, committed, removed } = app.marks
    const bounds = [start - 1, prepared + 1, committed + 1, removed + 2]
    const third = Math.min(2, Math.floor(spec.u * 3))
    const lo = bounds[third]!
    return lo + Math.floor((spec.u * 3 - third) * (bounds[third + 1]! - lo))
  }
  // Right before one of the adopting renames: part of the bundler's files moved, the rest not.
  if (spec.kind === 'adopt') return app.adopted[Math.floor(spec.u * app.adopted.length)]!
  return 0
}

/** Where a kill before call `point` landed, by the calibration build's journal calls. */
function windowOf(point: number, app: App, killed: boolean): Trial['window'] {
  if (!killed) return 'none'
  if (point === 0) return 'after'
  const { prepared, committed, removed } = app.marks
  return point <= prepared ? 'staging' : point <= committed ? 'prepared' : point <= removed ? 'committed' : 'after'
}

async function crashTrial(spec: Spec, app: App): Promise<Trial> {
  const t0 = performance.now()
  restoreA(app)
  const t1 = performance.now()
  const point = pointOf(spec, app)
  const problems: string[] = []
  let child: ReturnType<typeof build> | undefined
  let armed = false
  let events = 0
  const reader = watchAndRead(app, (dir, file) => {
    if (spec.kind !== 'external') return
    if (!armed && dir === app.stateDir && file === 'journal.json') armed = true
    else if (armed) events++
    if (armed && events >= spec.events) child?.kill()
  })
  child = build(app, { crashAfter: point })
  const result = await child.done
  const t2 = performance.now()
  const seen = reader.stop()
  const killed = outcome(result) === 'killed'
  const partial = [...seen.problems, ...partialFiles(app)]
  problems.push(...partial)

  const journal = journalState(app)
  const before = shapeOf(app, snapshot(app.outDir, { dirs: true }))
  // Without a journal no commit is under way: outDir must already be one whole version.
  if (journal === 'none' && before === 'mixed') problems.push(`no journal, yet outDir is neither A nor B: vs A ${diffTrees(snapshot(app.outDir, { dirs: true }), app.a, 5).join('; ')} | vs B ${diffTrees(snapshot(app.outDir, { dirs: true }), app.b, 5).join('; ')}`)

  if (spec.recoveredBy === 'api') await recover(app.outDir, { root: app.dir, logger: silent })
  else {
    const cli = await run([path.join(app.dir, 'node_modules', 'unplugin-emit-optimizer', 'dist', 'cli.js'), 'recover', '--root', app.dir, '--out', 'dist'], app.dir).done
    if (cli.code !== 0) problems.push(`emit-optimizer recover exited ${cli.code}: ${cli.stdout}${cli.stderr}`)
  }
  const t3 = performance.now()
  const after = snapshot(app.outDir, { dirs: true })
  const final = shapeOf(app, after)
  if (final === 'mixed') problems.push(`after recovery outDir is neither A nor B: vs A ${diffTrees(after, app.a, 5).join('; ')} | vs B ${diffTrees(after, app.b, 5).join('; ')}`)
  // The commit point is the `committed` journal: before it the old output comes back, after it the new one.
  const implied = journal === 'prepared' ? 'A' : journal === 'committed' ? 'B' : before
  if (final !== implied) problems.push(`the journal on disk was ${journal} (outDir ${before} before recovery), so recovery should give ${implied}, got ${final}`)
  const litter = litterOf(app)
  if (litter.length > 0) problems.push(`litter after recovery: ${litter.join(', ')}`)

  const t4 = performance.now()
  const next = await build(app).done
  const ms = { restore: t1 - t0, killed: t2 - t1, recovery: t3 - t2, following: performance.now() - t4 }
  if (outcome(next) !== 'done') problems.push('the following B build was killed')
  const rebuilt = snapshot(app.outDir, { dirs: true })
  if (!equalTrees(rebuilt, app.b)) problems.push(`the following B build left: ${diffTrees(rebuilt, app.b, 6).join('; ')}`)
  const litterNext = litterOf(app)
  if (litterNext.length > 0) problems.push(`litter after the following build: ${litterNext.join(', ')}`)
  return { ...spec, point, killed, window: windowOf(point, app, killed), journal, before, final, passes: seen.passes, partial: partial.length, problems, ms }
}

/** A trial that could not run to its end (a build child failing on its own, a broken restore). */
function failedTrial(spec: Spec, error: unknown): Trial {
  return { ...spec, point: pointOf(spec, workers[0]![spec.bundler]), killed: false, window: 'none', journal: 'none', before: 'mixed', final: 'mixed', passes: 0, partial: 0, problems: [`the trial failed: ${error instanceof Error ? error.message : String(error)}`] }
}

/** Each bundler's seeded trials; window points stratified so every part of the publish is hit. */
function specsFor(bundler: Bundler, rng: ReturnType<typeof seeded>): Spec[] {
  const specs: Array<Omit<Spec, 'recoveredBy'>> = []
  for (let k = 0; k < KINDS.window; k++) specs.push({ bundler, kind: 'window', u: (k + rng.next()) / KINDS.window, events: 0 })
  for (let k = 0; k < KINDS.uniform; k++) specs.push({ bundler, kind: 'uniform', u: rng.next(), events: 0 })
  for (let k = 0; k < KINDS.external; k++) specs.push({ bundler, kind: 'external', u: 0, events: rng.int(0, MAX_EVENTS) })
  if (ADOPTING.includes(bundler)) for (let k = 0; k < KINDS.adopt; k++) specs.push({ bundler, kind: 'adopt', u: (k + rng.next()) / KINDS.adopt, events: 0 })
  // Recovery alternates between the API and the CLI on each worker.
  return rng.shuffle(specs).map((spec, i) => ({ ...spec, recoveredBy: Math.floor(i / PARALLEL) % 2 === 0 ? 'api' : 'cli' }))
}

function summary(bundler: Bundler, trials: Trial[]): string {
  const mine = trials.filter((t) => t.bundler === bundler)
  const count = (f: (t: Trial) => boolean): number => mine.filter(f).length
  const timed = mine.filter((t) => t.ms !== undefined)
  const mean = (key: keyof NonNullable<Trial['ms']>): string => (timed.reduce((n, t) => n + t.ms![key], 0) / Math.max(1, timed.length) / 1000).toFixed(2)
  const windows = (['staging', 'prepared', 'committed', 'after'] as const).map((w) => `${w} ${count((t) => t.window === w)}`).join(', ')
  return `[crash-builds] ${bundler}: ${mine.length} trials (killed ${count((t) => t.killed)}, of them ${count((t) => t.killed && t.kind === 'external')} from outside; ${windows}; journal on disk prepared ${count((t) => t.journal === 'prepared')}, committed ${count((t) => t.journal === 'committed')}); before recovery A/B/mixed ${(['A', 'B', 'mixed'] as const).map((s) => count((t) => t.before === s)).join('/')}, partial files ${mine.reduce((n, t) => n + t.partial, 0)}, reader passes ${mine.reduce((n, t) => n + t.passes, 0)}; after recovery: ended A ${count((t) => t.final === 'A')}, ended B ${count((t) => t.final === 'B')}, mixed ${count((t) => t.final === 'mixed')}; trials with problems ${count((t) => t.problems.length > 0)}; mean s: restore ${mean('restore')}, killed build ${mean('killed')}, recovery ${mean('recovery')}, following build ${mean('following')}`
}

/** One app per bundler per worker, so two trials never share an outDir. */
const workers: Array<Record<Bundler, App>> = []

beforeAll(async () => {
  if (!fs.existsSync(path.join(DIST, 'cli.js'))) throw new Error(`${DIST} is incomplete: run "npm run build" first (the apps load the plugin from dist/)`)
  const pkg = installPackage()
  made.push(path.dirname(path.dirname(pkg)))
  const versions = Object.fromEntries(BUNDLERS.map((bundler) => [bundler, appVersions(bundler, SEED, seeded)])) as Record<Bundler, { a: Sources; b: Sources }>
  // allSettled: on a failure the other worker finishes before afterAll removes the dirs.
  const settled = await Promise.allSettled(
    Array.from({ length: PARALLEL }, async () => {
      const apps = {} as Record<Bundler, App>
      for (const bundler of BUNDLERS) apps[bundler] = await prepareApp(bundler, versions[bundler], pkg)
      return apps
    }),
  )
  for (const result of settled) if (result.status === 'rejected') throw result.reason
  workers.push(...settled.map((result) => (result as PromiseFulfilledResult<Record<Bundler, App>>).value))
}, 240_000)

describe('SIGKILL during real Vite and webpack builds', () => {
  it('B builds of real Vite and webpack apps differ from A by added, changed and deleted outputs', () => {
    for (const apps of workers) {
      for (const bundler of BUNDLERS) {
        const app = apps[bundler]
        const changes = changeSummary(app)
        expect(app.a.size, bundler).toBeGreaterThanOrEqual(30)
        expect(changes.added.length, bundler).toBeGreaterThan(0)
        expect(changes.changed.length, bundler).toBeGreaterThan(0)
        expect(changes.deleted.length, bundler).toBeGreaterThan(0)
        expect(app.marks.start).toBeLessThan(app.marks.removed)
        // Zero copy: every file the B build publishes was moved out of Vite's staging, none written again.
        if (ADOPTING.includes(bundler)) {
          expect(app.adopted.length, bundler).toBeGreaterThanOrEqual(changes.added.length + changes.changed.length)
          expect(app.stagedWrites, bundler).toEqual([])
        }
      }
    }
  })

  it(`recovers exactly A or exactly B after a kill -9 at ≥ ${MIN_TRIALS} seeded points per bundler`, { timeout: 900_000 }, async () => {
    const rng = seeded(SEED + 1)
    const perBundler = BUNDLERS.map((bundler) => specsFor(bundler, rng))
    // Worker w takes every PARALLEL-th trial of each bundler, alternating bundlers, so each spec
    // always runs on the same app and the budget cuts the last trials of both bundlers.
    const queues = Array.from({ length: PARALLEL }, (_, w) => {
      const mine = perBundler.map((specs) => specs.filter((_, i) => i % PARALLEL === w))
      return Array.from({ length: Math.max(...mine.map((list) => list.length)) }, (_, i) => mine.map((list) => list[i])).flat().filter((spec) => spec !== undefined)
    })
    const started = performance.now()
    const deadline = started + BUDGET_MS
    const trials: Trial[] = []
    const begun: Record<Bundler, number> = { vite: 0, webpack: 0 }
    await Promise.all(
      queues.map(async (queue, w) => {
        for (const spec of queue) {
          if (performance.now() >= deadline && begun[spec.bundler] >= MIN_TRIALS) continue
          begun[spec.bundler]++
          trials.push(await crashTrial(spec, workers[w]![spec.bundler]).catch((error: unknown) => failedTrial(spec, error)))
        }
      }),
    )
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    for (const bundler of BUNDLERS) console.error(`${summary(bundler, trials)} — seed ${SEED}, ${seconds} s for all trials`)
    const failed = trials.filter((t) => t.problems.length > 0)
    expect(failed.map((t) => `${t.bundler} ${t.kind} @${t.kind === 'external' ? `+${t.events} events` : t.point} (${t.window}, journal ${t.journal}, recovered by ${t.recoveredBy}): ${t.problems.join(' / ')}`)).toEqual([])
    for (const bundler of BUNDLERS) {
      const mine = trials.filter((t) => t.bundler === bundler)
      expect(mine.length, bundler).toBeGreaterThanOrEqual(MIN_TRIALS)
      expect(mine.filter((t) => t.final === 'mixed' || t.partial > 0), bundler).toEqual([])
      // The interesting windows were hit: both outcomes, a kill with a `prepared` journal on disk, and outside kills.
      expect(mine.some((t) => t.final === 'A'), bundler).toBe(true)
      expect(mine.some((t) => t.final === 'B'), bundler).toBe(true)
      expect(mine.some((t) => t.journal === 'prepared'), bundler).toBe(true)
      expect(mine.some((t) => t.kind === 'external' && t.killed), bundler).toBe(true)
      if (ADOPTING.includes(bundler)) expect(mine.some((t) => t.kind === 'adopt' && t.killed), bundler).toBe(true)
    }
  })
})
