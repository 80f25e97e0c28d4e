#!/usr/bin/env node
// End-to-end benchmark: each supported bundler builds generated apps of three sizes, natively and
// with unplugin-emit-optimizer, each build a whole Node process as a user runs it (bench/build-once.mjs:
// import the bundler and the plugin by name, build, exit), in three scenarios (cold, no-op rebuild,
// one-module change).
//
//   npm run bench:bundlers                 # build dist/, then 1 warm-up + 5 measured rounds per size
//   node bench/bundlers.mjs --quick        # smoke run: no warm-up, 2 measured rounds
//   node bench/bundlers.mjs --rounds 7 --warmup 2 --sizes 11,150,600 --only vite,rollup --keep --no-sync
//
// A benchmark, not a test: targets are printed as PASS/MISS and never fail the process. The exit
// code is non-zero only when a build crashes (recorded under `errors` in results.json first).
import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { BUILDS, modName, moduleSource, writeApp } from './bundler-builds.mjs'
import { fmt, median, mergeResults, mountNote, removeDir, rotate, round2, setSync, settle, table } from './measure.mjs'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const workDir = path.join(benchDir, '.work')
const bundlersDir = path.join(workDir, 'bundlers')
const resultsFile = path.join(benchDir, 'results.json')
const buildOnce = path.join(benchDir, 'build-once.mjs')

const BUNDLERS = Object.keys(BUILDS)
const VARIANTS = ['native', 'plugin']
const SCENARIOS = ['cold', 'noop', 'change']

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const args = { quick: false, rounds: undefined, warmup: undefined, sizes: [11, 150, 600], only: BUNDLERS, sync: true, keep: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const num = () => {
      const v = Number(argv[++i])
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`)
      return v
    }
    if (a === '--quick') args.quick = true
    else if (a === '--rounds') args.rounds = num()
    else if (a === '--warmup') args.warmup = num()
    else if (a === '--sizes' || a === '--modules') {
      args.sizes = String(argv[++i] ?? '').split(',').map(Number)
      if (!args.sizes.length || args.sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${a} takes comma-separated module counts ≥ 1`)
    }
    else if (a === '--only') {
      args.only = String(argv[++i] ?? '').split(',').filter(Boolean)
      const bad = args.only.filter((b) => !BUNDLERS.includes(b))
      if (bad.length || !args.only.length) throw new Error(`--only takes a comma-separated subset of ${BUNDLERS.join(',')}`)
    } else if (a === '--no-sync') args.sync = false
    else if (a === '--keep') args.keep = true
    else if (a === '--help' || a === '-h') {
      console.log(`usage: node bench/bundlers.mjs [--quick] [--rounds N] [--warmup N] [--sizes 11,150,600] [--only ${BUNDLERS.join(',')}] [--no-sync] [--keep]`)
      process.exit(0)
    } else throw new Error(`unknown argument ${a} (try --help)`)
  }
  args.rounds ??= args.quick ? 2 : 5
  args.warmup ??= args.quick ? 0 : 1
  if (args.rounds < 1) throw new Error('--rounds must be ≥ 1')
  return args
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers (as in bench/run.mjs)
// ---------------------------------------------------------------------------------------------

/** rel path → { mtimeNs, sha1 } of every file under dir. */
function snapshot(dir) {
  const map = new Map()
  const walk = (d) => {
    let entries
    try {
      entries = fs.readdirSync(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile()) {
        const rel = path.relative(dir, p).split(path.sep).join('/')
        map.set(rel, { mtimeNs: fs.statSync(p, { bigint: true }).mtimeNs, sha1: crypto.createHash('sha1').update(fs.readFileSync(p)).digest('hex') })
      }
    }
  }
  walk(dir)
  return map
}

/** Compares two snapshots of one outDir: files whose mtime moved / were added / removed, and
 *  whether every file present before and after with the same bytes kept its mtime. */
function diffSnapshots(before, after) {
  let moved = 0
  let added = 0
  let unchangedBytes = 0
  let unchangedBytesMoved = 0
  for (const [rel, a] of after) {
    const b = before.get(rel)
    if (!b) {
      added++
      continue
    }
    if (a.mtimeNs !== b.mtimeNs) moved++
    if (a.sha1 === b.sha1) {
      unchangedBytes++
      if (a.mtimeNs !== b.mtimeNs) unchangedBytesMoved++
    }
  }
  const removed = [...before.keys()].filter((rel) => !after.has(rel)).length
  return { touched: moved + added, moved, added, removed, unchangedBytes, unchangedBytesMoved, mtimesKept: unchangedBytesMoved === 0 }
}

const sameTree = (a, b) => a.size === b.size && [...a].every(([rel, x]) => b.get(rel)?.sha1 === x.sha1)

function removeWorkDir(label) {
  removeDir(bundlersDir, label)
  // bench/.work itself may be shared with bench/run.mjs; remove it only when it is now empty.
  try {
    fs.rmdirSync(workDir)
  } catch {
    // not empty or gone
  }
}

const uniq = (xs) => [...new Set(xs)].join('/') || '-'

// ---------------------------------------------------------------------------------------------
// One bundler: rounds × (cold, noop, change) × (native, plugin), interleaved.
// ---------------------------------------------------------------------------------------------

async function benchBundler(name, args, modules) {
  const spec = BUILDS[name]
  const base = path.join(bundlersDir, `${name}-${modules}`)
  const appDir = path.join(base, 'app')
  writeApp(appDir, modules)

  const entry = () => ({ runsMs: [], warmupMs: [], writtenPerRun: [], touchedPerRun: [], mtimesKeptPerRun: [], reportStatus: [] })
  const data = Object.fromEntries(SCENARIOS.map((s) => [s, { native: entry(), plugin: entry() }]))
  const errors = []
  const outputFiles = { native: [], plugin: [] }
  const sameOutputPerRound = []
  const changedModules = []

  const totalRounds = args.warmup + args.rounds
  const t0 = performance.now()
  for (let r = 0; r < totalRounds; r++) {
    const measured = r >= args.warmup
    const runDir = (v) => path.join(base, `r${r}`, v)
    const ok = { native: true, plugin: true }
    const trees = {}

    const step = async (scenario, variant) => {
      const e = data[scenario][variant]
      const dir = runDir(variant)
      const outDir = path.join(dir, 'dist')
      const before = scenario === 'cold' ? new Map() : snapshot(outDir)
      settle()
      const start = performance.now()
      const child = spawnSync(process.execPath, [buildOnce, name, variant, appDir, outDir, path.join(dir, 'state')], { encoding: 'utf8', maxBuffer: 64 << 20 })
      const ms = performance.now() - start
      const line = child.stdout?.split('\n').find((l) => l.startsWith('RESULT '))
      if (child.status !== 0 || !line) {
        ok[variant] = false
        errors.push(`round ${r} ${scenario} ${variant}: exit ${child.status} ${child.signal ?? ''}\n${String(child.stderr).slice(0, 2000)}`)
        console.error(`  ! ${name} r${r} ${scenario} ${variant}: ${String(child.stderr).trim().split('\n')[0]}`)
        return
      }
      const report = JSON.parse(line.slice('RESULT '.length))
      ;(measured ? e.runsMs : e.warmupMs).push(round2(ms))
      // Untimed checks.
      const after = snapshot(outDir)
      const d = diffSnapshots(before, after)
      if (scenario === 'cold') {
        trees[variant] = after
        if (measured) outputFiles[variant].push(after.size)
      }
      if (variant === 'plugin') {
        if (report.status === 'none') errors.push(`round ${r} ${scenario} plugin: no report received before the build resolved`)
        e.reportStatus.push(report.status)
        e.writtenPerRun.push(report.written)
        ;(e.statsPerRun ??= []).push({ written: report.written, unchanged: report.unchanged, deleted: report.deleted, durationMs: round2(report.commitMs) })
      }
      if (scenario !== 'cold') {
        e.touchedPerRun.push(d.touched)
        e.mtimesKeptPerRun.push(d.mtimesKept)
        ;(e.diffPerRun ??= []).push(d)
      }
    }

    for (const v of rotate(VARIANTS, r)) await step('cold', v)
    if (ok.native && ok.plugin) sameOutputPerRound.push(sameTree(trees.native, trees.plugin))
    for (const v of rotate(VARIANTS, r)) if (ok[v]) await step('noop', v)
    // One-module change: a different module each round, reverted afterwards (untimed).
    const idx = (7 + 37 * r) % modules
    const modFile = path.join(appDir, 'src', 'm', `${modName(idx)}.js`)
    changedModules.push(modName(idx))
    fs.writeFileSync(modFile, moduleSource(idx, r + 1))
    try {
      for (const v of rotate(VARIANTS, r)) if (ok[v]) await step('change', v)
    } finally {
      fs.writeFileSync(modFile, moduleSource(idx))
    }
  }
  const seconds = (performance.now() - t0) / 1000

  // ---- summary
  const summary = {}
  for (const s of SCENARIOS) {
    summary[s] = {}
    for (const v of VARIANTS) {
      const e = data[s][v]
      summary[s][v] = {
        medianMs: round2(median(e.runsMs)),
        minMs: e.runsMs.length ? round2(Math.min(...e.runsMs)) : null,
        runsMs: e.runsMs,
        warmupMs: e.warmupMs,
        ...(s !== 'cold' ? { filesTouchedPerRun: e.touchedPerRun, mtimesKeptPerRun: e.mtimesKeptPerRun, mtimesKept: e.mtimesKeptPerRun.length > 0 && e.mtimesKeptPerRun.every(Boolean), diffPerRun: e.diffPerRun } : {}),
        ...(v === 'plugin' ? { writtenPerRun: e.writtenPerRun, statsPerRun: e.statsPerRun, reportStatus: e.reportStatus } : {}),
      }
    }
    summary[s].ratio = round2(summary[s].plugin.medianMs / summary[s].native.medianMs)
  }
  const written = (s) => data[s].plugin.writtenPerRun
  const targets = []
  const target = (scenario, what, value, targetText, pass) => targets.push({ scenario, what, value, target: targetText, pass: Boolean(pass) })
  const coldR = summary.cold.ratio
  target('cold', 'time plugin/native', coldR, '<= 1.05', coldR !== null && coldR <= 1.05)
  const noopR = summary.noop.ratio
  const noopW = written('noop')
  target('noop', 'files written (plugin report)', uniq(noopW), '0', noopW.length > 0 && noopW.every((n) => n === 0))
  target('noop', 'time plugin/native', noopR, '<= 1.0', noopR !== null && noopR <= 1.0)
  const chW = written('change')
  target('change', 'files written (plugin report)', uniq(chW), '<= 5', chW.length > 0 && chW.every((n) => n !== null && n <= 5))
  target('change', 'mtimes of unchanged files kept', summary.change.plugin.mtimesKept, 'true', summary.change.plugin.mtimesKept)

  return {
    api: spec.api,
    modules,
    outputFiles: { native: uniq(outputFiles.native), plugin: uniq(outputFiles.plugin) },
    sameOutputAsNative: sameOutputPerRound.length > 0 && sameOutputPerRound.every(Boolean),
    sameOutputPerRound,
    changedModules,
    scenarios: summary,
    ratios: { cold: coldR, noop: noopR, change: summary.change.ratio },
    targets,
    pass: targets.every((t) => t.pass),
    errors,
    seconds: round2(seconds),
  }
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

/** Median wall time of `node -e "await import(entry)"` per entry, whole process, interleaved with a bare `node -e ""`. */
function importTimes(entries, rounds) {
  const runs = Object.fromEntries(['(node alone)', ...entries].map((e) => [e, []]))
  for (let r = 0; r < rounds + 1; r++) {
    for (const entry of rotate(Object.keys(runs), r)) {
      const code = entry === '(node alone)' ? '' : `await import(${JSON.stringify(entry)})`
      const start = performance.now()
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: path.join(benchDir, '..'), encoding: 'utf8' })
      const ms = performance.now() - start
      if (child.status !== 0) throw new Error(`import of ${entry} failed: ${child.stderr}`)
      if (r > 0) runs[entry].push(round2(ms))
    }
  }
  const bare = median(runs['(node alone)'])
  return Object.fromEntries(entries.map((e) => [e, { medianMs: round2(median(runs[e])), importMs: round2(median(runs[e]) - bare), runsMs: runs[e] }]).concat([['(node alone)', { medianMs: round2(bare), runsMs: runs['(node alone)'] }]]))
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  setSync(args.sync)
  if (!fs.existsSync(path.join(benchDir, '..', 'dist', 'index.js'))) throw new Error('dist/ is missing: run "npm run build" first (or use "npm run bench:bundlers").')

  removeWorkDir('start')
  fs.mkdirSync(bundlersDir, { recursive: true })
  console.log(`bundlers: ${args.only.join(', ')}; apps: ${args.sizes.join(', ')} dynamically imported modules (+ entry); every build is a whole process`)
  console.log(`rounds: ${args.warmup} warm-up + ${args.rounds} measured; sync between runs: ${args.sync ? 'yes' : 'no'}${args.rounds < 5 ? '  (fewer than 5 measured rounds: smoke run, numbers are rough)' : ''}`)

  const started = performance.now()
  const entries = ['unplugin-emit-optimizer', ...args.only.map((b) => `unplugin-emit-optimizer/${b}`)]
  const imports = importTimes(entries, Math.max(args.rounds, 5))
  table('import time of each entry, whole process (median; ms; import = minus a bare node start)', entries, [
    { label: 'entry', align: 'left', get: (e) => e },
    { label: 'process', get: (e) => fmt(imports[e].medianMs) },
    { label: 'import', get: (e) => fmt(imports[e].importMs) },
    { label: 'target ≤ 20', align: 'left', get: (e) => (imports[e].importMs <= 20 ? 'PASS' : 'MISS') },
  ])
  const results = {}
  for (const modules of args.sizes) {
    results[modules] = {}
    for (const b of args.only) {
      results[modules][b] = await benchBundler(b, args, modules)
      console.log(`${b} (${modules} modules) done in ${results[modules][b].seconds.toFixed(1)} s${results[modules][b].errors.length ? ` (${results[modules][b].errors.length} error(s))` : ''}`)
    }
  }
  const benchSeconds = (performance.now() - started) / 1000

  const versions = {}
  for (const [b, pkg] of [['vite', 'vite'], ['rollup', 'rollup'], ['rolldown', 'rolldown'], ['webpack', 'webpack'], ['rspack', '@rspack/core'], ['esbuild', 'esbuild']]) {
    try {
      versions[b] = JSON.parse(fs.readFileSync(path.join(benchDir, '..', 'node_modules', pkg, 'package.json'), 'utf8')).version
    } catch {
      versions[b] = 'unknown'
    }
  }

  const section = {
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      platform: `${process.platform} ${os.release()} ${process.arch}`,
      fs: mountNote(bundlersDir),
    },
    params: {
      quick: args.quick,
      sizes: args.sizes,
      warmupRounds: args.warmup,
      measuredRounds: args.rounds,
      syncBetweenRuns: args.sync,
      versions,
      app: 'src/main.js holds one `() => import(./m/mNNN.js)` per module (≈ 600 B of plain code each), so every module is its own chunk; Vite also gets index.html',
      config: 'same config for both variants, the plugin variant adds only the plugin ({ summary: false, stateDir: <run dir>/state, onReport }); minify and sourcemaps off; cleaning as in examples/* (Vite emptyOutDir, Rolldown cleanDir, webpack/Rspack output.clean; Rollup, esbuild none)',
      runs: 'every build is a fresh Node process (bench/build-once.mjs: imports the bundler and, for the plugin variant, unplugin-emit-optimizer/<bundler> by name, builds through the JS API, exits); each round gives every variant a fresh dir bench/.work/bundlers/<bundler>-<modules>/r<round>/<variant>; cold builds into the empty dist there, noop rebuilds into that output, change rebuilds after one module changed (a different one per round, reverted after the round)',
      interleaving: 'per round and scenario native and plugin run once each; the order alternates by round',
      timing: 'wall clock from spawn to exit of the build process (Node start, imports, build, plugin commit)',
      checks: 'written = the plugin report\'s result.stats.written; filesTouched = output files whose mtime moved or that are new (snapshot of every output file before/after); mtimesKept = every file with the same bytes before and after kept its mtime; sameOutputAsNative = cold outputs of both variants have the same paths and bytes',
      benchSeconds: round2(benchSeconds),
    },
    imports,
    results,
    generatedAt: new Date().toISOString(),
  }

  mergeResults(resultsFile, { bundlers: section })

  // ---- print
  const rows = []
  for (const [modules, bySize] of Object.entries(results)) for (const [b, res] of Object.entries(bySize)) for (const s of SCENARIOS) rows.push({ modules, b, s, res, sc: res.scenarios[s] })
  table(`bundlers: native vs plugin, whole-process builds (median of ${args.rounds}; ms)`, rows, [
    { label: 'modules', get: (r) => (r.s === 'cold' ? r.modules : '') },
    { label: 'bundler', align: 'left', get: (r) => (r.s === 'cold' ? r.b : '') },
    { label: 'scenario', align: 'left', get: (r) => r.s },
    { label: 'files', get: (r) => (r.s === 'cold' ? r.res.outputFiles.plugin : '') },
    { label: 'native med', get: (r) => fmt(r.sc.native.medianMs) },
    { label: 'plugin med', get: (r) => fmt(r.sc.plugin.medianMs) },
    { label: 'ratio', get: (r) => fmt(r.sc.ratio, 2) },
    { label: 'commit ms', get: (r) => fmt(median((r.sc.plugin.statsPerRun ?? []).map((x) => x?.durationMs).filter((x) => x != null))) },
    { label: 'written', get: (r) => uniq(r.sc.plugin.writtenPerRun) },
    { label: 'touched n/p', get: (r) => (r.s === 'cold' ? '' : `${uniq(r.sc.native.filesTouchedPerRun)} / ${uniq(r.sc.plugin.filesTouchedPerRun)}`) },
    { label: 'mtimesKept', get: (r) => (r.s === 'cold' ? '' : String(r.sc.plugin.mtimesKept)) },
    { label: 'errors', get: (r) => (r.s === 'cold' ? r.res.errors.length : '') },
  ])
  const trows = Object.entries(results).flatMap(([modules, bySize]) => Object.entries(bySize).flatMap(([b, res]) => res.targets.map((t) => ({ modules, b, ...t }))))
  table('targets (medians; written/mtimes over every run, warm-ups included)', trows, [
    { label: 'modules', get: (t) => t.modules },
    { label: 'bundler', align: 'left', get: (t) => t.b },
    { label: 'scenario', align: 'left', get: (t) => t.scenario },
    { label: 'check', align: 'left', get: (t) => t.what },
    { label: 'value', get: (t) => (typeof t.value === 'number' ? fmt(t.value, 2) : String(t.value)) },
    { label: 'target', get: (t) => t.target },
    { label: 'result', align: 'left', get: (t) => (t.pass ? 'PASS' : 'MISS') },
  ])
  const notSame = Object.entries(results).flatMap(([modules, bySize]) => Object.entries(bySize).filter(([, r]) => !r.sameOutputAsNative).map(([b]) => `${b} (${modules})`))
  if (notSame.length) console.log(`\nnote: cold output with the plugin differs from native for: ${notSame.join(', ')} (see sameOutputPerRound)`)
  console.log(`\nwrote bundlers into ${path.relative(process.cwd(), resultsFile)}; benchmark took ${benchSeconds.toFixed(0)} s`)

  const errors = Object.values(results).flatMap((bySize) => Object.values(bySize)).reduce((n, r) => n + r.errors.length, 0)
  if (!args.keep) removeWorkDir('end')
  else console.log(`kept ${bundlersDir} (--keep)`)
  if (errors > 0) {
    console.error(`\n${errors} build(s) failed; see "bundlers.results.<bundler>.errors" in results.json`)
    process.exitCode = 1
  }
}

main().catch((error) => {
  console.error(error?.stack ?? error)
  process.exitCode = 1
})
