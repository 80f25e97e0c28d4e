// Cost of the size report (issue 14). Run: node --import tsx bench/sizes.mts [--rounds N] [--modules N]
//
// Real `vite build`s of the generated app (bench/bundler-builds.mjs, 600 modules → 600+ output files) through
// the plugin, with `sizes` on (default CDN levels) and off, interleaved per round:
//   - cold: the size work of a first build (every file compressed) in ms and as a share of the build;
//   - no-change rebuild: what sizes add (0 files compressed) as a share of the build, measured two
//     ways: the size step's own time (report.sizes.work.ms) and the difference of the build medians;
//   - for comparison, Vite's own compressed-size report (`reportCompressedSize`, on by default),
//     which gzips every chunk on every build.
// Writes `sizeReport` into bench/results.json (other keys kept).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'vite'
import { writeApp } from './bundler-builds.mjs'
import { median, mergeResults, round2, settle } from './measure.mjs'
import vitePlugin, { type BuildReport, type Options } from '../plugins/vite.js'
import { measureSizes, prepareSizes } from '../src/observe/size/measure.js'
import { resolveSizeOptions } from '../src/observe/size/options.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const work = path.join(here, '.work', 'sizes')
const arg = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback)
const rounds = arg('--rounds', 5)
const modules = arg('--modules', 600)

const variants = {
  sizes: { sizes: {} },
  off: { sizes: false },
} satisfies Record<string, Options>
type Variant = keyof typeof variants

async function viteBuild(appDir: string, outDir: string, options: Options | undefined, reportCompressedSize = false): Promise<{ ms: number; report: BuildReport | undefined }> {
  let report: BuildReport | undefined
  const plugins = options ? [vitePlugin({ ...options, summary: false, report: { html: true, json: true }, stateDir: path.join(outDir, '..', 'state'), onReport: (r) => void (report = r) }) as Plugin] : []
  settle()
  const start = performance.now()
  await build({ configFile: false, root: appDir, logLevel: 'silent', build: { outDir, emptyOutDir: true, minify: false, sourcemap: false, reportCompressedSize, write: true }, plugins })
  return { ms: performance.now() - start, report }
}

/**
 * The no-change size step alone, repeated in-process on the last round's output (prepare + measure,
 * as the plugin runs them): less exposed to other load on the machine than whole builds.
 */
const alone: number[] = []
/** The same runs' CPU time (user + system): on a loaded machine the wall time is mostly waiting for a core. */
const aloneCpu: number[] = []
async function sizeStepAlone(variantDir: string): Promise<void> {
  const outDir = path.join(variantDir, 'dist')
  const stateDir = path.join(variantDir, 'state')
  const contents = new Map((fs.readdirSync(outDir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(outDir, f)).isFile()).map((f) => [f.split(path.sep).join('/'), fs.readFileSync(path.join(outDir, f))]))
  const options = resolveSizeOptions({})
  if (!options) throw new Error('sizes are on by default')
  for (let i = 0; i < 31; i++) {
    const start = performance.now()
    const cpu = process.cpuUsage()
    const prepared = await prepareSizes({ options, stateDir: Promise.resolve(stateDir), contents })
    const measured = await measureSizes({ options, root: appDir, outDir, stateDir, contents, prepared })
    if (measured?.summary.work.compressed !== 0) throw new Error('the repeated size step compressed files')
    if (i > 0) alone.push(round2(performance.now() - start)!)
    const used = process.cpuUsage(cpu)
    if (i > 0) aloneCpu.push(round2((used.user + used.system) / 1000)!)
  }
}

fs.rmSync(work, { recursive: true, force: true })
const appDir = path.join(work, 'app')
writeApp(appDir, modules)

// buildMs: the whole vite build; pluginMs: the plugin's part (capture start → report written);
// sizeMs: the size step after the commit; overlappedMs: hashing/compressing while the commit ran.
type Row = { buildMs: number[]; pluginMs: number[]; sizeMs: number[]; overlappedMs: number[]; compressed: number[]; files: number[] }
const row = (): Row => ({ buildMs: [], pluginMs: [], sizeMs: [], overlappedMs: [], compressed: [], files: [] })
const data = { cold: { sizes: row(), off: row() }, noop: { sizes: row(), off: row() } }
const viteReport = { cold: [] as number[], noop: [] as number[], coldOff: [] as number[], noopOff: [] as number[] }

for (let r = 0; r < rounds + 1; r++) {
  const measured = r > 0
  // Alternate the order so neither variant always runs on a warmer machine.
  const order: Variant[] = r % 2 ? ['sizes', 'off'] : ['off', 'sizes']
  for (const scenario of ['cold', 'noop'] as const) {
    for (const variant of order) {
      const outDir = path.join(work, `r${r}`, variant, 'dist')
      const { ms, report } = await viteBuild(appDir, outDir, variants[variant])
      if (report?.status !== 'committed') throw new Error(`round ${r} ${scenario} ${variant}: ${report?.status ?? 'no report'}`)
      if (!measured) continue
      const e = data[scenario][variant]
      e.buildMs.push(round2(ms)!)
      e.pluginMs.push(round2(report.durationMs)!)
      e.files.push(report.result!.stats.total)
      if (report.sizes) {
        e.sizeMs.push(round2(report.sizes.work.ms)!)
        e.overlappedMs.push(round2(report.sizes.work.overlappedMs)!)
        e.compressed.push(report.sizes.work.compressed)
      }
    }
  }
  // Vite alone, its compressed-size report on and off (the default is on).
  for (const scenario of ['cold', 'noop'] as const) {
    for (const on of r % 2 ? [true, false] : [false, true]) {
      const outDir = path.join(work, `r${r}`, on ? 'vite-report' : 'vite-plain', 'dist')
      if (scenario === 'cold') fs.rmSync(outDir, { recursive: true, force: true })
      const { ms } = await viteBuild(appDir, outDir, undefined, on)
      if (measured) viteReport[`${scenario}${on ? '' : 'Off'}` as keyof typeof viteReport].push(round2(ms)!)
    }
  }
  if (r === rounds) await sizeStepAlone(path.join(work, `r${r}`, 'sizes'))
  fs.rmSync(path.join(work, `r${r}`), { recursive: true, force: true })
}
fs.rmSync(work, { recursive: true, force: true })

const pct = (part: number, whole: number) => Number(((part / whole) * 100).toFixed(2))
const cold = data.cold.sizes
const noop = data.noop.sizes
const sizeReport = {
  app: `vite build of ${modules} generated modules (bench/bundler-builds.mjs), no minify, no sourcemaps; sizes at the default levels (gzip 6, brotli 4)`,
  rounds,
  outputFiles: median(cold.files),
  cold: {
    buildMedianMs: median(cold.buildMs),
    buildWithoutSizesMedianMs: median(data.cold.off.buildMs),
    compressedFiles: median(cold.compressed),
    compressionWorkMedianMs: median(cold.sizeMs.map((ms, i) => ms + cold.overlappedMs[i]!)),
    afterCommitMedianMs: median(cold.sizeMs),
    overlappedMedianMs: median(cold.overlappedMs),
    compressionWorkSharePercent: pct(median(cold.sizeMs.map((ms, i) => ms + cold.overlappedMs[i]!)), median(cold.buildMs)),
    pluginMedianMs: median(cold.pluginMs),
    pluginWithoutSizesMedianMs: median(data.cold.off.pluginMs),
  },
  noChange: {
    buildMedianMs: median(noop.buildMs),
    buildWithoutSizesMedianMs: median(data.noop.off.buildMs),
    compressedFiles: median(noop.compressed),
    sizeWorkMedianMs: median(noop.sizeMs.map((ms, i) => ms + noop.overlappedMs[i]!)),
    sizeWorkSharePercent: pct(median(noop.sizeMs.map((ms, i) => ms + noop.overlappedMs[i]!)), median(noop.buildMs)),
    pluginMedianMs: median(noop.pluginMs),
    pluginWithoutSizesMedianMs: median(data.noop.off.pluginMs),
    pluginDifferenceSharePercent: pct(median(noop.pluginMs) - median(data.noop.off.pluginMs), median(data.noop.off.buildMs)),
    target: '< 1 %',
    pass: median(noop.sizeMs.map((ms, i) => ms + noop.overlappedMs[i]!)) / median(noop.buildMs) < 0.01,
    sizeStepAloneMs: { min: Math.min(...alone), median: median(alone), runs: alone.length },
    sizeStepAloneCpuMs: { min: Math.min(...aloneCpu), median: median(aloneCpu) },
    loadAverage: os.loadavg().map((load) => Number(load.toFixed(2))),
  },
  viteReportCompressedSize: {
    note: "Vite alone (no plugin): build.reportCompressedSize true (Vite's default) vs false",
    coldAddsMs: round2(median(viteReport.cold) - median(viteReport.coldOff)),
    noChangeAddsMs: round2(median(viteReport.noop) - median(viteReport.noopOff)),
  },
  runs: { data, viteReport },
}

console.log(`size report cost: ${sizeReport.app}; ${rounds} measured rounds, medians; ${sizeReport.outputFiles} output files`)
const c = sizeReport.cold
const n = sizeReport.noChange
console.log(`cold build       ${c.buildMedianMs.toFixed(0)} ms (sizes off: ${c.buildWithoutSizesMedianMs.toFixed(0)} ms) · compressed ${c.compressedFiles} files: ${c.compressionWorkMedianMs.toFixed(1)} ms of work (${c.overlappedMedianMs.toFixed(1)} during the commit, ${c.afterCommitMedianMs.toFixed(1)} after) = ${c.compressionWorkSharePercent} % of the build; plugin ${c.pluginMedianMs.toFixed(0)} ms (sizes off: ${c.pluginWithoutSizesMedianMs.toFixed(0)} ms)`)
console.log(`no-change build  ${n.buildMedianMs.toFixed(0)} ms (sizes off: ${n.buildWithoutSizesMedianMs.toFixed(0)} ms) · compressed ${n.compressedFiles} files · size step ${n.sizeWorkMedianMs.toFixed(2)} ms = ${n.sizeWorkSharePercent} % ${n.pass ? 'PASS' : 'MISS'} (< 1 %); plugin ${n.pluginMedianMs.toFixed(0)} ms (sizes off: ${n.pluginWithoutSizesMedianMs.toFixed(0)} ms): +${n.pluginDifferenceSharePercent} % of the build (report rendering included, noisy)`)
console.log(`no-change size step alone (prepare + measure, in-process, ${n.sizeStepAloneMs.runs} runs): min ${n.sizeStepAloneMs.min.toFixed(2)} ms, median ${n.sizeStepAloneMs.median.toFixed(2)} ms = ${pct(n.sizeStepAloneMs.median, n.buildMedianMs)} % of the median no-change build; CPU time min ${n.sizeStepAloneCpuMs.min.toFixed(2)} ms, median ${n.sizeStepAloneCpuMs.median.toFixed(2)} ms = ${pct(n.sizeStepAloneCpuMs.median, n.buildMedianMs)} %; load average ${n.loadAverage.join(' ')}`)
console.log(`vite's own reportCompressedSize (default on) adds ${sizeReport.viteReportCompressedSize.coldAddsMs} ms cold and ${sizeReport.viteReportCompressedSize.noChangeAddsMs} ms on a no-change rebuild`)
mergeResults(path.join(here, 'results.json'), { sizeReport })
