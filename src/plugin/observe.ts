import fs from 'node:fs/promises'
import path from 'node:path'
import { nodeFs } from '../core/fs.js'
import { assertOwnDir } from '../core/guard.js'
import { resolveTransactionOptions } from '../core/options.js'
import { resolveStateDir } from '../core/state-dir.js'
import { writeStateFile } from '../core/state-file.js'
import { appendStepSummary } from '../observe/size/step-summary.js'
import { pushMetrics } from '../metrics/push.js'
import { createMetrics, type BuildMetrics } from '../metrics/registry.js'
import { serveMetrics } from '../metrics/serve.js'
import { evaluateAlerts, type Alert } from '../report/alerts.js'
import { appendHistory, historyEntry } from '../report/history.js'
import { renderHtml } from '../report/html.js'
import { summarize, writeDurations } from '../report/json.js'
import type { ResolvedOptions } from './options.js'
import type { BuildReport, BundlerName } from './report.js'

export interface ObserveContext {
  root: string
  logger: { info(message: string): void; warn(message: string): void }
}

/** File names inside the report dir. */
export const REPORT_FILES = { json: 'latest.json', html: 'latest.html', history: 'history.ndjson' } as const

/** State of one plugin instance: its registry and whether its /metrics server was started. */
interface Instance {
  project: string | undefined
  metrics: Map<BundlerName, BuildMetrics>
  serving: boolean
}

// Keyed by the resolved options object, which each plugin instance creates once (src/unplugin.ts).
const instances = new WeakMap<ResolvedOptions, Instance>()

function instanceOf(options: ResolvedOptions): Instance {
  let instance = instances.get(options)
  if (!instance) instances.set(options, (instance = { project: options.project, metrics: new Map(), serving: false }))
  return instance
}

/** The `name` in the root package.json, else the root directory's name. */
async function defaultProject(root: string): Promise<string> {
  try {
    const pkg = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8')) as { name?: unknown }
    if (typeof pkg.name === 'string' && pkg.name !== '') return pkg.name
  } catch {
    // no or unreadable package.json: fall back to the directory name
  }
  return path.basename(root) || 'root'
}

/** Where reports go: `report.dir` (relative to root), else `<stateDir>/reports`. */
export async function reportDir(options: ResolvedOptions, report: BuildReport, root: string): Promise<string | undefined> {
  if (options.report === false) return undefined
  if (options.report.dir !== undefined) return path.resolve(root, options.report.dir)
  const stateDir = report.result?.stateDir ?? (await resolveStateDir(resolveTransactionOptions({ outDir: report.outDir, root, ...(options.stateDir ? { stateDir: options.stateDir } : {}), fs: nodeFs })))
  return path.join(stateDir, 'reports')
}

/** The metrics registry of a plugin instance (created on its first build), e.g. for tests. */
export function metricsOf(options: ResolvedOptions, bundler: BundlerName): BuildMetrics | undefined {
  return instances.get(options)?.metrics.get(bundler)
}

/**
 * After every build: records the metrics, evaluates the alerts, writes `latest.json`,
 * `latest.html` and a history line, pushes to the Pushgateway (when a URL is configured) and
 * starts the `/metrics` server once (when `metrics.serve` is set). Returns the alerts.
 *
 * Report and serve failures are warnings: observing must not break a build. Only a push with
 * `required: true` throws (EO_PUSH_FAILED).
 */
export async function observe(report: BuildReport, options: ResolvedOptions, ctx: ObserveContext): Promise<Alert[]> {
  const instance = instanceOf(options)
  const project = (instance.project ??= await defaultProject(ctx.root))
  let metrics = instance.metrics.get(report.bundler)
  if (!metrics) instance.metrics.set(report.bundler, (metrics = createMetrics({ bundler: report.bundler, project })))
  metrics.record(report)

  const summary = summarize(report, { project, strategy: options.strategy, alerts: [] })
  // Size budget alerts come with the report (measured at commit); the engine's are evaluated here.
  summary.alerts = [...evaluateAlerts({ status: summary.status, errorRatio: summary.errors.ratio, writesPerSecond: summary.throughput.writesPerSecond, p99Ms: summary.writeLatencyMs.p99 }, options.alerts), ...(report.alerts ?? [])]
  if (options.sizes && options.sizes.githubSummary) {
    try {
      await appendStepSummary({ project, bundler: report.bundler, status: report.status, alerts: summary.alerts, sizes: summary.sizes })
    } catch (error) {
      ctx.logger.warn(`[emit-optimizer] could not append to $GITHUB_STEP_SUMMARY: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  if (options.report !== false) {
    const { json, html, historyDays } = options.report
    try {
      const dir = (await reportDir(options, report, ctx.root))!
      // The default reports/ is the state dir's own; a configured report.dir may be anything.
      if (options.report.dir === undefined) await assertOwnDir(nodeFs, dir, 'reports directory', report.outDir)
      await fs.mkdir(dir, { recursive: true })
      const history = await appendHistory(path.join(dir, REPORT_FILES.history), historyEntry(summary), { retentionDays: historyDays, warn: ctx.logger.warn })
      // Atomic (temp + rename) so a reader never sees half a report, and never through a symlink
      // planted at the report's path; fsync is not worth a build's time here.
      if (json) await writeStateFile(path.join(dir, REPORT_FILES.json), `${JSON.stringify(summary, null, 2)}\n`, { fsync: false, mode: 0o666 })
      if (html) await writeStateFile(path.join(dir, REPORT_FILES.html), renderHtml(summary, history, writeDurations(report)), { fsync: false, mode: 0o666 })
    } catch (error) {
      ctx.logger.warn(`[emit-optimizer] could not write the build report: ${error instanceof Error ? error.message : String(error)}. The build itself is not affected.`)
    }
  }

  if (options.metrics.serve && !instance.serving) {
    instance.serving = true
    try {
      const server = await serveMetrics(metrics.registry, options.metrics.serve, ctx.logger)
      ctx.logger.info(`emit-optimizer: metrics at ${server.url}`)
    } catch (error) {
      ctx.logger.warn(error instanceof Error ? error.message : String(error))
    }
  }
  await pushMetrics(metrics.registry, options.metrics.push ?? {}, ctx.logger)
  return summary.alerts
}
