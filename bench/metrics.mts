// Metrics collection overhead (issue target: < 1 % of commit time). Run: node --import tsx bench/metrics.mts
// Commits 2000 files (1-64 KB) cold and with 1 % changed, interleaved over rounds; per commit, times
// what the plugin adds after the engine for metrics: registry.record + summarize + alert rules
// (report files off). Writes `metricsOverhead` into bench/results.json (other keys kept).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTransaction } from '../src/index.js'
import { createMetrics } from '../src/observe/metrics.js'
import { evaluateAlerts } from '../src/observe/alerts.js'
import { summarize } from '../src/observe/report-json.js'
import { resolveOptions } from '../src/plugin/plugin-options.js'
import type { BuildReport } from '../src/observe/types.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const work = path.join(here, '.work', 'metrics')
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 7
let seed = 7
const random = (): number => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const files = Array.from({ length: 2000 }, (_, i) => ({ path: `d${i % 5}/e${i % 25}/f${i % 125}/file-${i}.js`, contents: Buffer.alloc(Math.round(1024 * Math.exp(random() * Math.log(64))), i % 251) }))
const alerts = resolveOptions().alerts

// One registry per plugin instance, created once, as the plugin does.
const metrics = createMetrics({ bundler: 'vite', project: 'bench' })

function collect(report: BuildReport): number {
  const started = performance.now()
  metrics.record(report)
  const summary = summarize(report, { project: 'bench', strategy: 'incremental', alerts: [] })
  evaluateAlerts({ status: summary.status, errorRatio: summary.errors.ratio, writesPerSecond: summary.throughput.writesPerSecond, p99Ms: summary.writeLatencyMs.p99 }, alerts)
  return performance.now() - started
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
fs.rmSync(work, { recursive: true, force: true })
const rows: Record<'cold' | 'incremental1pct', { commitMs: number[]; metricsMs: number[] }> = { cold: { commitMs: [], metricsMs: [] }, incremental1pct: { commitMs: [], metricsMs: [] } }
for (let round = 0; round < rounds + 1; round++) {
  const root = path.join(work, `r${round}`)
  for (const scenario of ['cold', 'incremental1pct'] as const) {
    const tx = createTransaction({ root, outDir: 'dist', logger: { warn: () => {} } })
    for (const [i, file] of files.entries()) tx.write(file.path, scenario === 'incremental1pct' && i % 100 === round % 100 ? Buffer.concat([file.contents.subarray(1), Buffer.from([round])]) : file.contents)
    const result = await tx.commit()
    const report: BuildReport = { status: 'committed', bundler: 'vite', outDir: result.outDir, startedAt: new Date().toISOString(), durationMs: result.stats.durationMs, captured: files.length, result }
    const metricsMs = collect(report)
    if (round === 0) continue // warm-up
    rows[scenario].commitMs.push(result.stats.durationMs)
    rows[scenario].metricsMs.push(metricsMs)
  }
}
fs.rmSync(work, { recursive: true, force: true })

const metricsOverhead = Object.fromEntries(
  Object.entries(rows).map(([scenario, row]) => {
    const ratio = median(row.metricsMs) / median(row.commitMs)
    return [scenario, { commitMedianMs: median(row.commitMs), metricsMedianMs: median(row.metricsMs), overheadPercent: Number((ratio * 100).toFixed(2)), target: '< 1 %', pass: ratio < 0.01, runs: row }]
  }),
)
console.log('metrics overhead (registry.record + summary + alerts) per commit of 2000 files, medians')
for (const [scenario, value] of Object.entries(metricsOverhead)) {
  console.log(`${scenario.padEnd(16)} commit ${value.commitMedianMs.toFixed(1)} ms · metrics ${value.metricsMedianMs.toFixed(2)} ms · ${value.overheadPercent} % ${value.pass ? 'PASS' : 'MISS'} (< 1 %)`)
}
const resultsFile = path.join(here, 'results.json')
const previous = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : {}
fs.writeFileSync(resultsFile, `${JSON.stringify({ ...previous, metricsOverhead }, null, 2)}\n`)
