#!/usr/bin/env node
// Benchmark of unplugin-emit-optimizer's transactional writer against plain and atomic writers.
//
//   npm run bench                 # build, then 2 warm-up + 5 measured rounds, 2000 files
//   npm run bench -- --quick      # smoke run: 500 files, 1 warm-up + 3 measured rounds
//   node bench/run.mjs --rounds 7 --warmup 2 --files 2000 --seed 42 --keep --no-sync
//
// A benchmark, not a test: targets are printed as PASS/MISS and never fail the process. The exit
// code is non-zero only when something crashes (a contender throwing counts, after results.json
// has been written with the error).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import writeFileAtomic from 'write-file-atomic'
import { fmt, median, mergeResults, mountNote, mulberry32, removeDir, rotate, round2, setSync, settle, table } from './measure.mjs'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const workDir = path.join(benchDir, '.work')
const resultsFile = path.join(benchDir, 'results.json')

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const args = { quick: false, rounds: undefined, warmup: undefined, files: undefined, seed: 0x5eed, sync: true, keep: false }
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
    else if (a === '--files') args.files = num()
    else if (a === '--seed') args.seed = num()
    else if (a === '--no-sync') args.sync = false
    else if (a === '--keep') args.keep = true
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/run.mjs [--quick] [--rounds N] [--warmup N] [--files N] [--seed N] [--no-sync] [--keep]')
      process.exit(0)
    } else throw new Error(`unknown argument ${a} (try --help)`)
  }
  args.files ??= args.quick ? 500 : 2000
  args.rounds ??= args.quick ? 3 : 5
  args.warmup ??= args.quick ? 1 : 2
  if (args.rounds < 1) throw new Error('--rounds must be ≥ 1')
  return args
}

// ---------------------------------------------------------------------------------------------
// Workload (generated once, in memory, from a seeded PRNG)
// ---------------------------------------------------------------------------------------------


const EXTENSIONS = [
  // [extension, weight]: roughly what a web bundle emits; html/manifest exercise the publish order.
  ['js', 50], ['css', 10], ['js.map', 15], ['json', 4], ['png', 9], ['svg', 6], ['woff2', 4], ['html', 1], ['webmanifest', 1],
]
const MIN_SIZE = 1024
const MAX_SIZE = 64 * 1024
// Printable ASCII plus newlines, so files look like text; the file system does not care.
const ALPHABET = Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$(){};=.,+-*/ \n\n')

function fillText(buf, next) {
  for (let i = 0; i < buf.length; i += 4) {
    const r = next()
    buf[i] = ALPHABET[(r & 0xff) % ALPHABET.length]
    if (i + 1 < buf.length) buf[i + 1] = ALPHABET[((r >>> 8) & 0xff) % ALPHABET.length]
    if (i + 2 < buf.length) buf[i + 2] = ALPHABET[((r >>> 16) & 0xff) % ALPHABET.length]
    if (i + 3 < buf.length) buf[i + 3] = ALPHABET[(r >>> 24) % ALPHABET.length]
  }
}

function makeWorkload(fileCount, seed) {
  const next = mulberry32(seed)
  const unit = () => next() / 4294967296
  // 3 levels: 5 top dirs × 4 × 5 = 100 leaf dirs (125 dirs in all). 85% of the files sit in leaf
  // dirs, the rest in the upper levels and at the root.
  const top = Array.from({ length: 5 }, (_, i) => `pkg${i}`)
  const mid = top.flatMap((t) => Array.from({ length: 4 }, (_, i) => `${t}/chunks${i}`))
  const leaf = mid.flatMap((m) => Array.from({ length: 5 }, (_, i) => `${m}/part${i}`))
  const upper = ['', ...top, ...mid]
  const totalWeight = EXTENSIONS.reduce((s, [, w]) => s + w, 0)
  const pickExt = () => {
    let x = unit() * totalWeight
    for (const [ext, w] of EXTENSIONS) if ((x -= w) < 0) return ext
    return 'js'
  }
  const files = []
  let totalBytes = 0
  for (let i = 0; i < fileCount; i++) {
    const dir = unit() < 0.85 ? leaf[Math.floor(unit() * leaf.length)] : upper[Math.floor(unit() * upper.length)]
    const ext = pickExt()
    const name = `f${String(i).padStart(5, '0')}-${next().toString(16).padStart(8, '0')}.${ext}`
    // Log-uniform between 1 and 64 KiB: many small files, a few large ones (mean ≈ 15 KiB).
    const size = Math.round(MIN_SIZE * Math.pow(MAX_SIZE / MIN_SIZE, unit()))
    const contents = Buffer.allocUnsafe(size)
    fillText(contents, next)
    totalBytes += size
    files.push({ rel: dir ? `${dir}/${name}` : name, contents })
  }
  // Directories that contain files (mkdir -p of these creates the rest), parents first.
  const dirs = [...new Set(files.map((f) => path.posix.dirname(f.rel)).filter((d) => d !== '.'))].sort(
    (a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1),
  )
  const allDirs = new Set()
  for (const d of dirs) for (let x = d; x !== '.'; x = path.posix.dirname(x)) allDirs.add(x)

  // The 1% change: seeded partial Fisher-Yates; same size, a 64-byte run rewritten (every byte differs).
  const changedCount = Math.max(1, Math.round(fileCount / 100))
  const order = files.map((_, i) => i)
  for (let i = 0; i < changedCount; i++) {
    const j = i + Math.floor(unit() * (order.length - i))
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  const changed = new Set(order.slice(0, changedCount))
  const filesV2 = files.map((f, i) => {
    if (!changed.has(i)) return f
    const contents = Buffer.from(f.contents)
    const start = Math.floor(unit() * Math.max(1, contents.length - 64))
    for (let k = start; k < Math.min(contents.length, start + 64); k++) contents[k] = contents[k] === 0x41 ? 0x42 : 0x41
    return { rel: f.rel, contents }
  })
  return {
    files,
    filesV2,
    changedRels: new Set([...changed].map((i) => files[i].rel)),
    dirs,
    dirCount: allDirs.size,
    maxDepth: Math.max(...[...allDirs].map((d) => d.split('/').length)),
    totalBytes,
  }
}

// ---------------------------------------------------------------------------------------------
// Contenders. Each gets a fresh run dir; output always goes to `<runDir>/dist`.
// Baselines create every directory (mkdir -p of each directory holding files) inside the timed
// region, as ours does.
// ---------------------------------------------------------------------------------------------

function mkdirAll(outDir, dirs) {
  fs.mkdirSync(outDir, { recursive: true })
  for (const d of dirs) fs.mkdirSync(path.join(outDir, d), { recursive: true })
}

function rawWriteAll(outDir, w, files) {
  mkdirAll(outDir, w.dirs)
  for (const f of files) fs.writeFileSync(path.join(outDir, f.rel), f.contents)
}

function makeBaselines(w) {
  return {
    'raw-writeFileSync': {
      kind: 'baseline',
      note: 'fs.mkdirSync(recursive) per directory + fs.writeFileSync loop; not atomic (non-atomic floor)',
      run: async (runDir) => rawWriteAll(path.join(runDir, 'dist'), w, w.files),
    },
    'promise-all-writeFile': {
      kind: 'baseline',
      note: 'mkdirSync per directory, then Promise.all(fs.promises.writeFile) over all files (unbounded); not atomic',
      run: async (runDir) => {
        const out = path.join(runDir, 'dist')
        mkdirAll(out, w.dirs)
        await Promise.all(w.files.map((f) => fs.promises.writeFile(path.join(out, f.rel), f.contents)))
      },
    },
    'write-file-atomic': {
      kind: 'baseline',
      note: 'mkdirSync per directory, then Promise.all(writeFileAtomic(file, data)) with default options (fsync: true): atomic per file, not per build',
      run: async (runDir) => {
        const out = path.join(runDir, 'dist')
        mkdirAll(out, w.dirs)
        await Promise.all(w.files.map((f) => writeFileAtomic(path.join(out, f.rel), f.contents)))
      },
    },
    'write-file-atomic-nofsync': {
      kind: 'baseline',
      note: 'as write-file-atomic with { fsync: false }',
      run: async (runDir) => {
        const out = path.join(runDir, 'dist')
        mkdirAll(out, w.dirs)
        await Promise.all(w.files.map((f) => writeFileAtomic(path.join(out, f.rel), f.contents, { fsync: false })))
      },
    },
  }
}

function oursContender(createTransaction, files, strategy, durability, concurrency, history = true) {
  return {
    kind: 'ours',
    strategy,
    durability,
    concurrency: concurrency ?? 'default',
    history,
    note: `createTransaction({ root: runDir, outDir: 'dist', strategy: '${strategy}', durability: '${durability}'${concurrency ? `, concurrency: ${concurrency}` : ''}${history ? '' : ', history: false'} }); tx.write × every file; await tx.commit()`,
    run: async (runDir) => {
      const tx = createTransaction({ root: runDir, outDir: 'dist', strategy, durability, ...(concurrency ? { concurrency } : {}), ...(history ? {} : { history: false }) })
      for (const f of files) tx.write(f.rel, f.contents)
      const result = await tx.commit()
      return result.stats
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers
// ---------------------------------------------------------------------------------------------

function mtimes(outDir, files) {
  const map = new Map()
  for (const f of files) {
    try {
      map.set(f.rel, fs.statSync(path.join(outDir, f.rel)).mtimeMs)
    } catch {
      map.set(f.rel, undefined)
    }
  }
  return map
}

function newEntry(contender) {
  const { run: _run, ...meta } = contender
  return { ...meta, runsMs: [], warmupMs: [], errors: [] }
}

async function timed(entry, runDir, fn, measured) {
  settle()
  const t0 = performance.now()
  let ret
  try {
    ret = await fn(runDir)
  } catch (error) {
    entry.errors.push(String(error?.stack ?? error))
    console.error(`  ! ${path.relative(workDir, runDir)}: ${error?.message ?? error}`)
    return { ok: false }
  }
  const ms = performance.now() - t0
  ;(measured ? entry.runsMs : entry.warmupMs).push(round2(ms))
  return { ok: true, ms, ret }
}

function addStats(entry, stats, measured) {
  if (!stats || !measured) return
  ;(entry.stats ??= []).push({ written: stats.written, unchanged: stats.unchanged, deleted: stats.deleted, fsOps: stats.fsOps, durationMs: round2(stats.durationMs), phases: Object.fromEntries(Object.entries(stats.phases).map(([k, v]) => [k, round2(v)])) })
}

function summarize(entries) {
  const out = {}
  for (const [name, e] of Object.entries(entries)) {
    const { stats, ...rest } = e
    const summary = { medianMs: round2(median(e.runsMs)), minMs: e.runsMs.length ? round2(Math.min(...e.runsMs)) : null, ...rest }
    if (stats?.length) {
      const phases = {}
      for (const k of Object.keys(stats[0].phases)) phases[k] = round2(median(stats.map((s) => s.phases[k])))
      summary.engineStats = {
        written: stats.map((s) => s.written),
        unchanged: stats.map((s) => s.unchanged),
        fsOpsMedian: median(stats.map((s) => s.fsOps)),
        durationMsMedian: round2(median(stats.map((s) => s.durationMs))),
        phasesMedianMs: phases,
      }
    }
    out[name] = summary
  }
  return out
}

const removeWorkDir = (label) => removeDir(workDir, label)

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2))
  setSync(args.sync)
  const distEntry = path.join(benchDir, '..', 'dist', 'index.js')
  if (!fs.existsSync(distEntry)) throw new Error(`${distEntry} is missing: run "npm run build" first (or use "npm run bench").`)
  const { createTransaction } = await import(pathToFileURL(distEntry).href)

  removeWorkDir('start')
  fs.mkdirSync(workDir, { recursive: true })

  const t0 = performance.now()
  const w = makeWorkload(args.files, args.seed)
  console.log(
    `workload: ${w.files.length} files, ${(w.totalBytes / 1048576).toFixed(1)} MiB, ${w.dirCount} dirs (depth ${w.maxDepth}), ` +
      `${w.changedRels.size} changed for the 1% scenario; generated in ${(performance.now() - t0).toFixed(0)} ms`,
  )
  console.log(`rounds: ${args.warmup} warm-up + ${args.rounds} measured; sync between runs: ${args.sync ? 'yes' : 'no'}${args.rounds < 5 ? '  (fewer than 5 measured rounds: smoke run, numbers are rough)' : ''}`)

  const baselines = makeBaselines(w)
  const STRATEGIES = ['incremental', 'swap', 'symlink']
  const DURABILITIES = ['none', 'commit']
  const ours = {}
  for (const s of STRATEGIES) for (const d of DURABILITIES) ours[`${s}(${d})`] = { s, d, h: true }
  // The build history's cost (it is on by default): the same commit without it.
  ours['incremental(commit,no-history)'] = { s: 'incremental', d: 'commit', h: false }
  // Every durability on the default strategy, to choose the default from (docs/performance.md).
  ours['incremental(full)'] = { s: 'incremental', d: 'full', h: true }
  ours['incremental(none,no-history)'] = { s: 'incremental', d: 'none', h: false }

  // cold
  const cold = {}
  for (const [name, b] of Object.entries(baselines)) cold[name] = b
  for (const [name, { s, d, h }] of Object.entries(ours)) cold[name] = oursContender(createTransaction, w.files, s, d, undefined, h)

  // incremental 1%: runs on the cold output of the same contender from the same round.
  const incr = {}
  incr['raw-rewrite-all'] = {
    kind: 'baseline',
    setupFrom: 'raw-writeFileSync',
    note: 'fs.writeFileSync loop rewriting all files (mkdirSync per directory too) over the cold raw-writeFileSync output',
    run: async (runDir) => rawWriteAll(path.join(runDir, 'dist'), w, w.filesV2),
  }
  for (const [name, { s, d, h }] of Object.entries(ours)) incr[name] = { ...oursContender(createTransaction, w.filesV2, s, d, undefined, h), setupFrom: name }

  // concurrency sweep: incremental, durability none, cold
  const SWEEP = [4, 8, 16, 32, 64, 128]
  const sweep = {}
  for (const c of SWEEP) sweep[`c${c}`] = oursContender(createTransaction, w.files, 'incremental', 'none', c)

  const coldE = Object.fromEntries(Object.entries(cold).map(([k, c]) => [k, newEntry(c)]))
  const incrE = Object.fromEntries(Object.entries(incr).map(([k, c]) => [k, { ...newEntry(c), touchedExactlyChangedPerRun: [], filesChangedPerRun: [], contentsOkPerRun: [] }]))
  const sweepE = Object.fromEntries(Object.entries(sweep).map(([k, c]) => [k, newEntry(c)]))

  const totalRounds = args.warmup + args.rounds
  const started = performance.now()
  for (let r = 0; r < totalRounds; r++) {
    const measured = r >= args.warmup
    const tag = measured ? `round ${r - args.warmup + 1}/${args.rounds}` : `warm-up ${r + 1}/${args.warmup}`
    const rStart = performance.now()
    const runDir = (scenario, name) => path.join(workDir, scenario, `r${r}`, name.replace(/[^A-Za-z0-9_-]+/g, '_'))
    const coldOk = new Set()

    for (const name of rotate(Object.keys(cold), r)) {
      const dir = runDir('cold', name)
      fs.mkdirSync(dir, { recursive: true })
      const res = await timed(coldE[name], dir, cold[name].run, measured)
      if (res.ok) {
        coldOk.add(name)
        addStats(coldE[name], res.ret, measured)
      }
    }

    for (const name of rotate(Object.keys(incr), r)) {
      const c = incr[name]
      const e = incrE[name]
      if (!coldOk.has(c.setupFrom)) {
        e.errors.push(`round ${r}: skipped, the cold run of ${c.setupFrom} failed`)
        continue
      }
      const dir = runDir('cold', c.setupFrom)
      const out = path.join(dir, 'dist')
      const before = mtimes(out, w.files)
      const res = await timed(e, dir, c.run, measured)
      if (!res.ok) continue
      addStats(e, res.ret, measured)
      // Untimed checks: which files' mtimes moved, and do the changed files hold the new bytes.
      const after = mtimes(out, w.files)
      const moved = [...after].filter(([rel, m]) => m !== before.get(rel)).map(([rel]) => rel)
      const exact = moved.length === w.changedRels.size && moved.every((rel) => w.changedRels.has(rel))
      const contentsOk = w.filesV2.filter((f) => w.changedRels.has(f.rel)).every((f) => fs.readFileSync(path.join(out, f.rel)).equals(f.contents))
      e.touchedExactlyChangedPerRun.push(exact)
      e.filesChangedPerRun.push(moved.length)
      e.contentsOkPerRun.push(contentsOk)
      if (res.ret) (e.statsWrittenPerRun ??= []).push(res.ret.written)
    }

    for (const name of rotate(Object.keys(sweep), r)) {
      const dir = runDir('concurrency', name)
      fs.mkdirSync(dir, { recursive: true })
      const res = await timed(sweepE[name], dir, sweep[name].run, measured)
      if (res.ok) addStats(sweepE[name], res.ret, measured)
    }
    console.log(`${tag} done in ${((performance.now() - rStart) / 1000).toFixed(1)} s`)
  }
  const benchSeconds = (performance.now() - started) / 1000

  // ---- summaries
  const coldS = summarize(coldE)
  const incrS = summarize(incrE)
  for (const [name, e] of Object.entries(incrS)) {
    const isOurs = e.kind === 'ours'
    e.touchedExactlyChanged = e.touchedExactlyChangedPerRun.length > 0 && e.touchedExactlyChangedPerRun.every(Boolean)
    e.contentsOk = e.contentsOkPerRun.length > 0 && e.contentsOkPerRun.every(Boolean)
    if (isOurs) e.statsWrittenOk = (e.statsWrittenPerRun ?? []).length > 0 && e.statsWrittenPerRun.every((n) => n === w.changedRels.size)
    e.expectedChanged = w.changedRels.size
    if (!isOurs) e.touchedNote = `rewrites every file: ${name} is expected to touch all ${w.files.length}`
  }
  const sweepS = summarize(sweepE)
  const sweepRanked = Object.entries(sweepS).filter(([, e]) => e.medianMs !== null).sort((a, b) => a[1].medianMs - b[1].medianMs)
  const fastest = sweepRanked[0]
  const nearFastest = fastest ? sweepRanked.filter(([, e]) => e.medianMs <= fastest[1].medianMs * 1.05).map(([k]) => k) : []

  // ---- ratios (medians)
  const m = (group, name) => group[name]?.medianMs ?? NaN
  const ratios = []
  const ratio = (name, num, den, target, cmp, extraOk = true, note) => {
    const value = num / den
    const pass = Number.isFinite(value) && (cmp === '<=' ? value <= target : value >= target) && extraOk
    ratios.push({ name, value: round2(value), target: `${cmp} ${target}`, pass, ...(note ? { note } : {}) })
  }
  ratio('cold: incremental(none) / raw-writeFileSync', m(coldS, 'incremental(none)'), m(coldS, 'raw-writeFileSync'), 1.3, '<=')
  ratio('cold: incremental(commit) / raw-writeFileSync', m(coldS, 'incremental(commit)'), m(coldS, 'raw-writeFileSync'), 1.3, '<=')
  ratio('cold: write-file-atomic(default) / incremental(commit)', m(coldS, 'write-file-atomic'), m(coldS, 'incremental(commit)'), 5, '>=')
  // Informational (no target): what recording the build history adds to a commit.
  ratio('cold: incremental(commit) / incremental(commit,no-history)', m(coldS, 'incremental(commit)'), m(coldS, 'incremental(commit,no-history)'), Infinity, '<=', true, 'history cost, informational')
  ratio('incremental-1%: incremental(commit) / incremental(commit,no-history)', m(incrS, 'incremental(commit)'), m(incrS, 'incremental(commit,no-history)'), Infinity, '<=', true, 'history cost, informational')
  for (const s of STRATEGIES) {
    for (const d of ['commit', 'none']) {
      const name = `${s}(${d})`
      const e = incrS[name]
      const ok = Boolean(e?.touchedExactlyChanged && e?.statsWrittenOk && e?.contentsOk)
      ratio(`incremental-1%: ${name} / raw-rewrite-all (and exactly the changed files touched)`, m(incrS, name), m(incrS, 'raw-rewrite-all'), 0.15, '<=', ok, ok ? undefined : 'touched/written check failed')
    }
  }

  const results = {
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      platform: `${process.platform} ${os.release()} ${process.arch}`,
      totalMemGiB: round2(os.totalmem() / 1073741824),
      uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
      fs: mountNote(workDir),
      fsNote: 'ext4 mounted with discard on the reference machine: deletes are slow, so nothing is deleted between runs (each run gets a fresh dir under bench/.work/, removed at start and end); sync(1) runs untimed before each run.',
    },
    params: {
      quick: args.quick,
      files: w.files.length,
      totalBytes: w.totalBytes,
      meanFileBytes: Math.round(w.totalBytes / w.files.length),
      sizeDistribution: `log-uniform ${MIN_SIZE}..${MAX_SIZE} bytes (seeded mulberry32)`,
      dirs: w.dirCount,
      maxDepth: w.maxDepth,
      extensions: Object.fromEntries(EXTENSIONS),
      seed: args.seed,
      warmupRounds: args.warmup,
      measuredRounds: args.rounds,
      changedFiles: w.changedRels.size,
      changeKind: 'same size, a 64-byte run rewritten (forces a content comparison, not a size shortcut)',
      interleaving: 'per round every contender of a scenario runs once; the order rotates by one each round',
      syncBetweenRuns: args.sync,
      gcBetweenRuns: true,
      mkdir: 'inside the timed region for every contender: baselines mkdirSync(recursive) each directory that holds files; ours creates directories itself',
      baselineConcurrency: 'raw-writeFileSync is sequential; promise-all-writeFile and write-file-atomic(*) start all files at once (Promise.all); libuv threadpool size bounds real parallelism',
      oursSetup: "fresh root per run (root = run dir, outDir = root/dist, state dir under root/node_modules/.cache), default concurrency 32 except in the sweep",
      incrementalChecks: 'touchedExactlyChanged / contentsOk / statsWrittenOk hold over every run, warm-ups included (the *PerRun arrays list them in order)',
      incrementalSetup: 'the cold output written by the same contender in the same round (untimed); raw-rewrite-all starts from the raw-writeFileSync cold output',
      timing: 'wall clock around the whole operation (for ours: createTransaction + tx.write of every file + commit)',
      notMeasured: 'the overhead of our stats/collection is not measured separately',
      benchSeconds: round2(benchSeconds),
    },
    scenarios: { cold: coldS, incremental1pct: incrS, concurrency: sweepS },
    concurrency: { fastest: fastest?.[0] ?? null, within5pct: nearFastest, default: 32 },
    ratios,
    generatedAt: new Date().toISOString(),
  }
  // Other benchmarks (bench/bundlers.mjs, bench/metrics.mts) keep their own keys in the same file.
  mergeResults(resultsFile, results)

  // ---- print
  const rawMed = m(coldS, 'raw-writeFileSync')
  const mb = w.totalBytes / 1048576
  table(`cold: ${w.files.length} files, ${mb.toFixed(1)} MiB into an empty outDir (median of ${args.rounds})`, Object.entries(coldS), [
    { label: 'contender', align: 'left', get: ([k]) => k },
    { label: 'median ms', get: ([, e]) => fmt(e.medianMs) },
    { label: 'min ms', get: ([, e]) => fmt(e.minMs) },
    { label: 'vs raw', get: ([, e]) => fmt(e.medianMs / rawMed, 2) },
    { label: 'MiB/s', get: ([, e]) => fmt(mb / (e.medianMs / 1000), 0) },
    { label: 'fsOps', get: ([, e]) => e.engineStats?.fsOpsMedian ?? '-' },
    { label: 'errors', get: ([, e]) => e.errors.length },
  ])
  const rewriteMed = m(incrS, 'raw-rewrite-all')
  table(`incremental 1%: ${w.changedRels.size} of ${w.files.length} files changed, all ${w.files.length} passed to tx.write (median of ${args.rounds})`, Object.entries(incrS), [
    { label: 'contender', align: 'left', get: ([k]) => k },
    { label: 'median ms', get: ([, e]) => fmt(e.medianMs) },
    { label: 'min ms', get: ([, e]) => fmt(e.minMs) },
    { label: 'vs rewrite-all', get: ([, e]) => fmt(e.medianMs / rewriteMed, 3) },
    { label: 'stats.written', get: ([, e]) => (e.statsWrittenPerRun ? [...new Set(e.statsWrittenPerRun)].join('/') : '-') },
    { label: 'mtimes moved', get: ([, e]) => [...new Set(e.filesChangedPerRun)].join('/') || '-' },
    { label: 'touchedExactlyChanged', get: ([, e]) => e.touchedExactlyChanged },
    { label: 'errors', get: ([, e]) => e.errors.length },
  ])
  table(`concurrency sweep: incremental, durability none, cold (median of ${args.rounds})`, Object.entries(sweepS), [
    { label: 'concurrency', align: 'left', get: ([k]) => k.slice(1) },
    { label: 'median ms', get: ([, e]) => fmt(e.medianMs) },
    { label: 'min ms', get: ([, e]) => fmt(e.minMs) },
    { label: 'vs fastest', get: ([, e]) => fmt(e.medianMs / (fastest?.[1].medianMs ?? NaN), 2) },
    { label: '', align: 'left', get: ([k]) => (k === fastest?.[0] ? '<- fastest' : nearFastest.includes(k) ? '(within 5%)' : '') },
  ])
  console.log(`\nfastest concurrency: ${fastest ? `${fastest[0].slice(1)} (median ${fmt(fastest[1].medianMs)} ms); within 5%: ${nearFastest.map((k) => k.slice(1)).join(', ')}` : 'n/a'} (current default: 32)`)
  table('targets (medians)', ratios, [
    { label: 'ratio', align: 'left', get: (x) => x.name },
    { label: 'value', get: (x) => fmt(x.value, 2) },
    { label: 'target', get: (x) => x.target },
    { label: 'result', align: 'left', get: (x) => (x.pass ? 'PASS' : 'MISS') + (x.note ? ` (${x.note})` : '') },
  ])
  console.log(`\nwrote ${path.relative(process.cwd(), resultsFile)}; benchmark took ${benchSeconds.toFixed(0)} s`)

  const errors = [...Object.values(coldE), ...Object.values(incrE), ...Object.values(sweepE)].reduce((n, e) => n + e.errors.length, 0)
  if (!args.keep) removeWorkDir('end')
  else console.log(`kept ${workDir} (--keep)`)
  if (errors > 0) {
    console.error(`\n${errors} run(s) failed or were skipped; see "errors" in results.json`)
    process.exitCode = 1
  }
}

main().catch((error) => {
  console.error(error?.stack ?? error)
  process.exitCode = 1
})
