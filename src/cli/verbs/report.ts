import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { OUT_FLAG, UsageError, type FlagTable } from '../args.js'
import { displayPath, formatTime, listLines } from '../format.js'
import { engineOptions, outDir, type Io, type Verb } from '../verb.js'
import { nodeFs } from '../../core/fs.js'
import { resolveTransactionOptions } from '../../core/transaction-options.js'
import { resolveStateDir } from '../../core/state-dir.js'
import { formatBytes } from '../../observe/format-bytes.js'
import type { BuildSummary } from '../../observe/report-json.js'
import { readHistory, type HistoryEntry } from '../../observe/report-log.js'
import { formatDelta } from '../../observe/size/budgets.js'
import { markdownReport } from '../../observe/size/cli-markdown.js'
import { REPORT_FILES } from '../../observe/types.js'

/** The `report` verb's own flags. */
const REPORT_FLAGS: FlagTable = {
  html: { type: 'boolean', description: 'print the path of latest.html' },
  open: { type: 'boolean', description: 'print the path of latest.html and open it with xdg-open when installed' },
  since: { type: 'string', value: '<age>', description: 'list the builds of that window from history.ndjson, e.g. 7d, 12h, 30m' },
  'report-dir': { type: 'string', value: '<dir>', description: "where the reports are when the plugin's report.dir moved them (default: <state dir>/reports)" },
  markdown: {
    type: 'boolean',
    description: 'print the size summary as Markdown (totals, deltas, biggest changes, budgets, status) for a pull-request comment',
  },
  baseline: {
    type: 'string',
    value: '<version|branch>',
    description: 'with --markdown: compare the sizes with this kept version or branch instead of the one the build chose',
  },
}

interface ReportCommand {
  io: Io
  cwd: string
  root: string
  outDir: string
  stateDir: string | undefined
  reportDir: string | undefined
  json: boolean
  html: boolean
  open: boolean
  since: string | undefined
  markdown: boolean
  baseline: string | undefined
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** `7d` → ms. */
function parseAge(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim())
  if (!match) throw new UsageError(`--since takes an age like 7d, 12h, 30m or 90s, got '${text}'`)
  return Number(match[1]) * UNITS[match[2]!]!
}

async function locateStateDir(cmd: ReportCommand): Promise<string> {
  const stateDir = cmd.stateDir ? { stateDir: path.resolve(cmd.root, cmd.stateDir) } : {}
  return resolveStateDir(resolveTransactionOptions({ outDir: cmd.outDir, root: cmd.root, ...stateDir, fs: nodeFs }))
}

async function locateReports(cmd: ReportCommand): Promise<string> {
  if (cmd.reportDir !== undefined) return path.resolve(cmd.root, cmd.reportDir)
  return path.join(await locateStateDir(cmd), 'reports')
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, program), fs.constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

const ms = (value: number | null, digits = 2): string => (value === null ? '–' : `${Number(value.toFixed(digits))}`)

function summaryLines(s: BuildSummary, cwd: string): string[] {
  const saved =
    s.fsOps.saved === null ? '' : s.fsOps.saved >= 0 ? `, ${Math.round(s.fsOps.saved * 100)} % fewer` : `, ${Math.round(-s.fsOps.saved * 100)} % more`
  const rows: Array<[string, string]> = [
    ['status', s.error ? `${s.status} (${s.error.code ?? 'error'}: ${s.error.message})` : s.status],
    ['project', `${s.project} (${s.bundler})`],
    ['build', `${s.build.id ?? '–'}, ${formatTime(s.build.startedAt)}, ${s.strategy}, ${Math.round(s.build.durationMs)} ms`],
    ['outDir', displayPath(s.outDir, cwd)],
    ['files', `${s.files.written} written · ${s.files.unchanged} unchanged · ${s.files.deleted} deleted · ${s.files.total} total`],
    ['bytes', formatBytes(s.bytes.written)],
    ...(s.sizes ? [['output', sizeLine(s.sizes)] as [string, string]] : []),
    ['fs ops', `${s.fsOps.performed} (bundler alone ≈ ${s.fsOps.bundlerAlone}${saved})`],
    ['write ms', `p50 ${ms(s.writeLatencyMs.p50)} · p95 ${ms(s.writeLatencyMs.p95)} · p99 ${ms(s.writeLatencyMs.p99)} · max ${ms(s.writeLatencyMs.max)}`],
    ['throughput', s.throughput.writesPerSecond === null ? '–' : `${Math.round(s.throughput.writesPerSecond)} writes/s`],
    ['error ratio', `${ms(s.errors.ratio * 100)} %`],
    ['phases', s.phasesMs ? Object.entries(s.phasesMs).map(([phase, value]) => `${phase} ${ms(value, 1)}`).join(' · ') : '–'],
    ['alerts', s.alerts.length === 0 ? 'none' : s.alerts.map((alert) => `${alert.severity}: ${alert.message}`).join('; ')],
  ]
  const width = Math.max(...rows.map(([label]) => label.length))
  const changed = [
    ...listLines(
      'W',
      'written',
      s.changed.filter((file) => file.status === 'written').map((file) => file.path),
    ),
    ...listLines(
      'D',
      'deleted',
      s.changed.filter((file) => file.status === 'deleted').map((file) => file.path),
    ),
  ]
  return [
    ...rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`),
    ...(changed.length > 0 ? ['changed', ...changed.map((line) => `  ${line}`)] : []),
  ]
}

/** `1.23 MB · gzip 402.1 kB · brotli 380.0 kB · +1.3 kB vs previous · −2.0 kB vs main (3f2a1bc)` */
function sizeLine(sizes: NonNullable<BuildSummary['sizes']>): string {
  const { all } = sizes.totals
  const compression = all.gzip !== null ? 'gzip' : all.brotli !== null ? 'brotli' : 'raw'
  const parts = [
    formatBytes(all.raw),
    ...(all.gzip !== null ? [`gzip ${formatBytes(all.gzip)}`] : []),
    ...(all.brotli !== null ? [`brotli ${formatBytes(all.brotli)}`] : []),
  ]
  const { previous, baseline } = sizes
  if (previous) parts.push(`${formatDelta(previous.totals.all[compression])} vs previous`)
  parts.push(baseline ? `${formatDelta(baseline.totals.all[compression])} vs ${baseline.label}` : `no baseline (${sizes.baselineWanted})`)
  return parts.join(' · ')
}

function historyLine(entry: HistoryEntry): string {
  const alerts = entry.alerts.length > 0 ? `  ⚠ ${entry.alerts.join(',')}` : ''
  const files = `${entry.written} written · ${entry.unchanged} unchanged · ${entry.deleted} deleted`
  const duration = `${String(Math.round(entry.durationMs)).padStart(6)} ms`
  return `${entry.time}  ${entry.status.padEnd(11)}  ${entry.bundler.padEnd(8)}  ${duration}  ${files}  err ${ms(entry.errorRatio * 100)} %${alerts}`
}

/** `emit-optimizer report`: exit 0, or 2 when there is no report (yet). */
async function runReport(cmd: ReportCommand): Promise<number> {
  if ([cmd.json && cmd.since === undefined, cmd.html, cmd.open, cmd.markdown].filter(Boolean).length > 1) {
    throw new UsageError('give one of --json, --html, --open or --markdown')
  }
  if (cmd.baseline !== undefined && !cmd.markdown) throw new UsageError('--baseline goes with --markdown')
  if (cmd.since !== undefined && cmd.markdown) throw new UsageError('--since lists builds; it does not combine with --markdown')
  if (cmd.since !== undefined && (cmd.html || cmd.open))
    throw new UsageError('--since lists builds as text or --json; it does not combine with --html or --open')
  const dir = await locateReports(cmd)
  const shown = displayPath(dir, cmd.cwd)
  if (cmd.since !== undefined) {
    const cutoff = Date.now() - parseAge(cmd.since)
    const entries = (await readHistory(path.join(dir, REPORT_FILES.history), (message) => cmd.io.err(`warning: ${message}`))).filter(
      (entry) => Date.parse(entry.time) >= cutoff,
    )
    if (cmd.json) cmd.io.out(JSON.stringify(entries, null, 2))
    else if (entries.length === 0) cmd.io.out(`no builds in the last ${cmd.since} (${displayPath(path.join(dir, REPORT_FILES.history), cmd.cwd)})`)
    else for (const entry of entries) cmd.io.out(historyLine(entry))
    return 0
  }
  const file = path.join(dir, cmd.html || cmd.open ? REPORT_FILES.html : REPORT_FILES.json)
  if (!fs.existsSync(file)) {
    cmd.io.err(`error: no build report in ${shown} (${path.basename(file)}); run a build with the plugin first (and keep its report option on)`)
    return 2
  }
  if (cmd.html || cmd.open) {
    cmd.io.out(file)
    if (cmd.open) {
      if (onPath('xdg-open')) spawn('xdg-open', [file], { detached: true, stdio: 'ignore' }).on('error', () => {}).unref()
      else cmd.io.err('note: xdg-open is not installed; open the file above in a browser')
    }
    return 0
  }
  const text = fs.readFileSync(file, 'utf8')
  if (cmd.json) {
    cmd.io.out(text.trimEnd())
    return 0
  }
  let summary: BuildSummary
  try {
    summary = JSON.parse(text) as BuildSummary
  } catch (error) {
    cmd.io.err(`error: ${displayPath(file, cmd.cwd)} is not valid JSON (${error instanceof Error ? error.message : String(error)}); the next build rewrites it`)
    return 2
  }
  if (cmd.markdown) {
    const result = await markdownReport(
      { project: summary.project, bundler: summary.bundler, status: summary.status, alerts: summary.alerts, sizes: summary.sizes ?? null },
      { stateDir: await locateStateDir(cmd), root: cmd.root, baseline: cmd.baseline },
    )
    if ('missing' in result) {
      cmd.io.err(`error: ${result.missing}`)
      return 2
    }
    cmd.io.out(result.markdown.trimEnd())
    return 0
  }
  for (const line of summaryLines(summary, cmd.cwd)) cmd.io.out(line)
  cmd.io.out(`report       ${displayPath(file, cmd.cwd)} (and latest.html, history.ndjson beside it)`)
  return 0
}

export const reportVerb: Verb = {
  name: 'report',
  summary: 'print the latest build report (or its HTML path), or list the builds of a time window',
  flags: { out: OUT_FLAG, ...REPORT_FLAGS },
  details:
    "Exit codes: 0 printed; 2 no report yet, usage or engine error.\nBy default a text summary of reports/latest.json; " +
      "--json prints the file, --html its HTML twin's path, --markdown its size summary as Markdown.",
  run: (ctx) =>
    runReport({
      io: ctx.io,
      cwd: ctx.cwd,
      root: engineOptions(ctx).root,
      outDir: outDir(ctx),
      stateDir: ctx.flags.string('state-dir'),
      reportDir: ctx.flags.string('report-dir'),
      json: ctx.flags.boolean('json'),
      html: ctx.flags.boolean('html'),
      open: ctx.flags.boolean('open'),
      since: ctx.flags.string('since'),
      markdown: ctx.flags.boolean('markdown'),
      baseline: ctx.flags.string('baseline'),
    }),
}
