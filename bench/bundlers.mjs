#!/usr/bin/env node
// End-to-end benchmark: each supported bundler builds a generated app (≥ 600 output files) through
// its JS API, natively and with unplugin-emit-optimizer, in three scenarios (cold, no-op rebuild,
// one-module change).
//
//   npm run bench:bundlers                 # build dist/, then 1 warm-up + 5 measured rounds
//   node bench/bundlers.mjs --quick        # smoke run: no warm-up, 2 measured rounds
//   node bench/bundlers.mjs --rounds 7 --warmup 2 --modules 600 --only vite,rollup --keep --no-sync
//
// A benchmark, not a test: targets are printed as PASS/MISS and never fail the process. The exit
// code is non-zero only when a build crashes (recorded under `errors` in results.json first).
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, median, mergeResults, mountNote, removeDir, rotate, round2, setSync, settle, table } from './measure.mjs'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const workDir = path.join(benchDir, '.work')
const bundlersDir = path.join(workDir, 'bundlers')
const resultsFile = path.join(benchDir, 'results.json')

const BUNDLERS = ['vite', 'rollup', 'rolldown', 'webpack', 'rspack', 'esbuild']
const VARIANTS = ['native', 'plugin']
const SCENARIOS = ['cold', 'noop', 'change']

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const args = { quick: false, rounds: undefined, warmup: undefined, modules: 600, only: BUNDLERS, sync: true, keep: false }
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
    else if (a === '--modules') args.modules = num()
    else if (a === '--only') {
      args.only = String(argv[++i] ?? '').split(',').filter(Boolean)
      const bad = args.only.filter((b) => !BUNDLERS.includes(b))
      if (bad.length || !args.only.length) throw new Error(`--only takes a comma-separated subset of ${BUNDLERS.join(',')}`)
    } else if (a === '--no-sync') args.sync = false
    else if (a === '--keep') args.keep = true
    else if (a === '--help' || a === '-h') {
      console.log(`usage: node bench/bundlers.mjs [--quick] [--rounds N] [--warmup N] [--modules N] [--only ${BUNDLERS.join(',')}] [--no-sync] [--keep]`)
      process.exit(0)
    } else throw new Error(`unknown argument ${a} (try --help)`)
  }
  args.rounds ??= args.quick ? 2 : 5
  args.warmup ??= args.quick ? 0 : 1
  if (args.rounds < 1) throw new Error('--rounds must be ≥ 1')
  if (args.modules < 1) throw new Error('--modules must be ≥ 1')
  return args
}

// ---------------------------------------------------------------------------------------------
// Generated app: src/main.js dynamically imports every src/m/mNNN.js, so each module becomes its
// own output chunk. Written once per bundler (untimed) into bench/.work/bundlers/<bundler>/app.
// ---------------------------------------------------------------------------------------------

const modName = (i) => `m${String(i).padStart(3, '0')}`

function moduleSource(i, variant = 0) {
  // ~600 bytes of plain code; `variant` changes one string literal (the one-module change).
  const name = modName(i)
  const lines = [`// generated module ${name}`, `export const id = ${i}`, `export const label = '${name} v${variant}'`]
  for (let k = 0; k < 6; k++) {
    lines.push(`export function f${k}(x) {`, `  const y = x * ${i + 1} + ${k}`, `  return { id, k: ${k}, y, text: label + ':' + String(y) }`, '}')
  }
  lines.push(`export default function run(x) { return [f0(x), f1(x), f2(x), f3(x), f4(x), f5(x)] }`, '')
  return lines.join('\n')
}

function writeApp(appDir, modules) {
  fs.mkdirSync(path.join(appDir, 'src', 'm'), { recursive: true })
  const loaders = Array.from({ length: modules }, (_, i) => `  () => import('./m/${modName(i)}.js'),`).join('\n')
  fs.writeFileSync(
    path.join(appDir, 'src', 'main.js'),
    `const loaders = [\n${loaders}\n]\nexport async function load(i, x) {\n  const mod = await loaders[i % loaders.length]()\n  return mod.default(x)\n}\nload(0, 1).then((r) => console.log(r))\n`,
  )
  for (let i = 0; i < modules; i++) fs.writeFileSync(path.join(appDir, 'src', 'm', `${modName(i)}.js`), moduleSource(i))
  fs.writeFileSync(path.join(appDir, 'index.html'), '<!doctype html>\n<html><head><title>bench</title></head><body><script type="module" src="/src/main.js"></script></body></html>\n')
}

// ---------------------------------------------------------------------------------------------
// Builds. Each takes (appDir, outDir, plugin | undefined) and resolves once the output is on disk.
// The config is the same for both variants; the plugin variant only adds the plugin. Minifiers
// and sourcemaps are off to keep the run short (and to make the plugin's share of the time larger,
// not smaller). Output cleaning follows examples/*: Vite empties outDir, Rolldown `cleanDir`,
// webpack/Rspack `output.clean`; Rollup and esbuild do not clean.
// ---------------------------------------------------------------------------------------------

const BUILDS = {
  vite: {
    api: "vite build({ configFile: false, root, build: { outDir, emptyOutDir: true, minify: false, reportCompressedSize: false } })",
    async build(appDir, outDir, plugin) {
      const { build } = await import('vite')
      await build({
        configFile: false,
        root: appDir,
        logLevel: 'silent',
        // outDir is outside root, so emptyOutDir is set to what Vite does by default for an outDir inside root.
        build: { outDir, emptyOutDir: true, minify: false, sourcemap: false, reportCompressedSize: false, write: true },
        plugins: plugin ? [plugin] : [],
      })
    },
  },
  rollup: {
    api: "rollup({ input }) → bundle.write({ dir, format: 'es', chunkFileNames: 'chunks/[name]-[hash].js' }) → bundle.close()",
    async build(appDir, outDir, plugin) {
      const { rollup } = await import('rollup')
      const bundle = await rollup({ input: { main: path.join(appDir, 'src', 'main.js') }, plugins: plugin ? [plugin] : [], onwarn() {} })
      try {
        await bundle.write({ dir: outDir, format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' })
      } finally {
        await bundle.close()
      }
    },
  },
  rolldown: {
    api: "rolldown({ input, cwd }) → bundle.write({ dir, format: 'es', cleanDir: true, chunkFileNames: 'chunks/[name]-[hash].js' }) → bundle.close()",
    async build(appDir, outDir, plugin) {
      const { rolldown } = await import('rolldown')
      const bundle = await rolldown({ input: { main: path.join(appDir, 'src', 'main.js') }, cwd: appDir, logLevel: 'silent', plugins: plugin ? [plugin] : [] })
      try {
        await bundle.write({ dir: outDir, format: 'es', cleanDir: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' })
      } finally {
        await bundle.close()
      }
    },
  },
  webpack: {
    api: "webpack({ mode: 'production', cache: false, optimization.minimize: false, output.clean: true, [contenthash] names }) → compiler.run → compiler.close",
    async build(appDir, outDir, plugin) {
      const { default: webpack } = await import('webpack')
      await runCompiler(webpack, webpackLikeConfig(appDir, outDir, plugin))
    },
  },
  rspack: {
    api: "rspack({ mode: 'production', cache: false, optimization.minimize: false, output.clean: true, [contenthash] names }) → compiler.run → compiler.close",
    async build(appDir, outDir, plugin) {
      const { rspack } = await import('@rspack/core')
      await runCompiler(rspack, webpackLikeConfig(appDir, outDir, plugin))
    },
  },
  esbuild: {
    api: "esbuild.build({ bundle, splitting, format: 'esm', absWorkingDir, outdir, chunkNames: 'chunks/[name]-[hash]' })",
    async build(appDir, outDir, plugin) {
      const esbuild = await import('esbuild')
      const result = await esbuild.build({
        absWorkingDir: appDir,
        entryPoints: ['src/main.js'],
        bundle: true,
        splitting: true,
        format: 'esm',
        outdir: outDir,
        entryNames: '[dir]/[name]',
        chunkNames: 'chunks/[name]-[hash]',
        logLevel: 'silent',
        plugins: plugin ? [plugin] : [],
      })
      if (result.errors.length) throw new Error(`esbuild: ${result.errors.map((e) => e.text).join('; ')}`)
    },
  },
}

function webpackLikeConfig(appDir, outDir, plugin) {
  return {
    mode: 'production',
    context: appDir,
    entry: './src/main.js',
    cache: false,
    devtool: false,
    stats: 'none',
    infrastructureLogging: { level: 'none' },
    performance: { hints: false },
    optimization: { minimize: false },
    output: { path: outDir, filename: '[name].[contenthash:8].js', chunkFilename: '[id].[contenthash:8].js', clean: true },
    plugins: plugin ? [plugin] : [],
  }
}

function runCompiler(factory, config) {
  return new Promise((resolve, reject) => {
    const compiler = factory(config)
    compiler.run((err, stats) => {
      compiler.close((closeErr) => {
        if (err || closeErr) return reject(err ?? closeErr)
        if (stats?.hasErrors()) return reject(new Error(stats.toString({ all: false, errors: true })))
        resolve()
      })
    })
  })
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

async function benchBundler(name, args, emitOptimizer) {
  const spec = BUILDS[name]
  const base = path.join(bundlersDir, name)
  const appDir = path.join(base, 'app')
  writeApp(appDir, args.modules)

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
      let report
      const plugin =
        variant === 'plugin'
          ? emitOptimizer[name]({ summary: false, stateDir: path.join(dir, 'state'), onReport: (rep) => void (report = rep) })
          : undefined
      const before = scenario === 'cold' ? new Map() : snapshot(outDir)
      settle()
      const start = performance.now()
      try {
        await spec.build(appDir, outDir, plugin)
      } catch (error) {
        ok[variant] = false
        errors.push(`round ${r} ${scenario} ${variant}: ${String(error?.stack ?? error).slice(0, 2000)}`)
        console.error(`  ! ${name} r${r} ${scenario} ${variant}: ${String(error?.message ?? error).split('\n')[0]}`)
        return
      }
      const ms = performance.now() - start
      ;(measured ? e.runsMs : e.warmupMs).push(round2(ms))
      // Untimed checks.
      const after = snapshot(outDir)
      const d = diffSnapshots(before, after)
      if (scenario === 'cold') {
        trees[variant] = after
        if (measured) outputFiles[variant].push(after.size)
      }
      if (variant === 'plugin') {
        if (!report) errors.push(`round ${r} ${scenario} plugin: no report received before the build resolved`)
        e.reportStatus.push(report?.status ?? 'none')
        e.writtenPerRun.push(report?.result?.stats?.written ?? null)
        ;(e.statsPerRun ??= []).push(report?.result?.stats ? { written: report.result.stats.written, unchanged: report.result.stats.unchanged, deleted: report.result.stats.deleted, durationMs: round2(report.result.stats.durationMs) } : null)
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
    const idx = (7 + 37 * r) % args.modules
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
    modules: args.modules,
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

async function main() {
  const args = parseArgs(process.argv.slice(2))
  setSync(args.sync)
  if (!fs.existsSync(path.join(benchDir, '..', 'dist', 'index.js'))) throw new Error('dist/ is missing: run "npm run build" first (or use "npm run bench:bundlers").')
  const emitOptimizer = {}
  for (const b of args.only) emitOptimizer[b] = (await import(`unplugin-emit-optimizer/${b}`)).default

  removeWorkDir('start')
  fs.mkdirSync(bundlersDir, { recursive: true })
  console.log(`bundlers: ${args.only.join(', ')}; app: ${args.modules} dynamically imported modules (+ entry)`)
  console.log(`rounds: ${args.warmup} warm-up + ${args.rounds} measured; sync between runs: ${args.sync ? 'yes' : 'no'}${args.rounds < 5 ? '  (fewer than 5 measured rounds: smoke run, numbers are rough)' : ''}`)

  const started = performance.now()
  const results = {}
  for (const b of args.only) {
    results[b] = await benchBundler(b, args, emitOptimizer)
    console.log(`${b} done in ${results[b].seconds.toFixed(1)} s${results[b].errors.length ? ` (${results[b].errors.length} error(s))` : ''}`)
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
      modules: args.modules,
      warmupRounds: args.warmup,
      measuredRounds: args.rounds,
      syncBetweenRuns: args.sync,
      gcBetweenRuns: true,
      versions,
      app: 'src/main.js holds one `() => import(./m/mNNN.js)` per module (≈ 600 B of plain code each), so every module is its own chunk; Vite also gets index.html',
      config: 'same config for both variants, the plugin variant adds only the plugin ({ summary: false, stateDir: <run dir>/state, onReport }); minify and sourcemaps off; cleaning as in examples/* (Vite emptyOutDir, Rolldown cleanDir, webpack/Rspack output.clean; Rollup, esbuild none)',
      runs: 'in-process through each bundler\'s JS API (no CLI); each round gives every variant a fresh dir bench/.work/bundlers/<bundler>/r<round>/<variant>; cold builds into the empty dist there, noop rebuilds into that output, change rebuilds after one module changed (a different one per round, reverted after the round)',
      interleaving: 'per round and scenario native and plugin run once each; the order alternates by round',
      timing: 'wall clock around the whole build call (compiler creation/bundle close included), plugin commit included (builds resolve after the commit)',
      checks: 'written = the plugin report\'s result.stats.written; filesTouched = output files whose mtime moved or that are new (snapshot of every output file before/after); mtimesKept = every file with the same bytes before and after kept its mtime; sameOutputAsNative = cold outputs of both variants have the same paths and bytes',
      benchSeconds: round2(benchSeconds),
    },
    results,
    generatedAt: new Date().toISOString(),
  }

  mergeResults(resultsFile, { bundlers: section })

  // ---- print
  const rows = []
  for (const [b, res] of Object.entries(results)) for (const s of SCENARIOS) rows.push({ b, s, res, sc: res.scenarios[s] })
  table(`bundlers: native vs plugin, ${args.modules}-module app (median of ${args.rounds}; ms)`, rows, [
    { label: 'bundler', align: 'left', get: (r) => (r.s === 'cold' ? r.b : '') },
    { label: 'scenario', align: 'left', get: (r) => r.s },
    { label: 'files', get: (r) => (r.s === 'cold' ? r.res.outputFiles.plugin : '') },
    { label: 'native med', get: (r) => fmt(r.sc.native.medianMs) },
    { label: 'native min', get: (r) => fmt(r.sc.native.minMs) },
    { label: 'plugin med', get: (r) => fmt(r.sc.plugin.medianMs) },
    { label: 'plugin min', get: (r) => fmt(r.sc.plugin.minMs) },
    { label: 'ratio', get: (r) => fmt(r.sc.ratio, 2) },
    { label: 'written', get: (r) => uniq(r.sc.plugin.writtenPerRun) },
    { label: 'touched n/p', get: (r) => (r.s === 'cold' ? '' : `${uniq(r.sc.native.filesTouchedPerRun)} / ${uniq(r.sc.plugin.filesTouchedPerRun)}`) },
    { label: 'mtimesKept', get: (r) => (r.s === 'cold' ? '' : String(r.sc.plugin.mtimesKept)) },
    { label: 'errors', get: (r) => (r.s === 'cold' ? r.res.errors.length : '') },
  ])
  const trows = Object.entries(results).flatMap(([b, res]) => res.targets.map((t) => ({ b, ...t })))
  table('targets (medians; written/mtimes over every run, warm-ups included)', trows, [
    { label: 'bundler', align: 'left', get: (t) => t.b },
    { label: 'scenario', align: 'left', get: (t) => t.scenario },
    { label: 'check', align: 'left', get: (t) => t.what },
    { label: 'value', get: (t) => (typeof t.value === 'number' ? fmt(t.value, 2) : String(t.value)) },
    { label: 'target', get: (t) => t.target },
    { label: 'result', align: 'left', get: (t) => (t.pass ? 'PASS' : 'MISS') },
  ])
  const notSame = Object.entries(results).filter(([, r]) => !r.sameOutputAsNative).map(([b]) => b)
  if (notSame.length) console.log(`\nnote: cold output with the plugin differs from native for: ${notSame.join(', ')} (see sameOutputPerRound)`)
  console.log(`\nwrote bundlers into ${path.relative(process.cwd(), resultsFile)}; benchmark took ${benchSeconds.toFixed(0)} s`)

  const errors = Object.values(results).reduce((n, r) => n + r.errors.length, 0)
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
