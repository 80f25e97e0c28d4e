import fs from 'node:fs/promises'
import path from 'node:path'
import { nodeFs } from '../core/fs.js'
import { assertOwnDir } from '../core/guard.js'
import { resolveTransactionOptions, type Strategy } from '../core/transaction-options.js'
import { resolveStateDir } from '../core/state-dir.js'
import { writeStateFile } from '../core/state-file.js'
import { evaluateAlerts } from './alerts.js'
import { serveMetrics } from './metrics-server.js'
import { createMetrics, type BuildMetrics } from './metrics.js'
import type { ResolvedObserveOptions } from './observe-options.js'
import { pushMetrics } from './pushgateway.js'
import { renderHtml } from './report-html.js'
import { summarize, writeDurations } from './report-json.js'
import { appendHistory, historyEntry } from './report-log.js'
import { appendStepSummary } from './size/step-summary.js'
import { REPORT_FILES, type Alert, type BuildReport, type BundlerName } from './types.js'

/** What the observer needs of the plugin instance it belongs to. */
export interface ObserverSettings extends ResolvedObserveOptions {
  /** The strategy reports show for builds that never reached the engine. */
  strategy: Strategy
}

/** Where one build ran. */
export interface ObservedBuild {
  root: string
  /** The state dir option of this build (the committed result names the resolved one). */
  stateDir: string | undefined
  logger: { info(message: string): void; warn(message: string): void }
}

/** The observation state of one plugin instance: its metrics registries and its /metrics server. */
export interface BuildObserver {
  /**
   * After every build: records the metrics, evaluates the alerts, writes `latest.json`,
   * `latest.html` and a history line, pushes to the Pushgateway (when a URL is configured) and
   * starts the `/metrics` server once (when `metrics.serve` is set). Returns the alerts.
   *
   * Report and serve failures are warnings: observing must not break a build. Only a push with
   * `required: true` throws (EO_PUSH_FAILED).
   */
  observe(report: BuildReport, build: ObservedBuild): Promise<Alert[]>
  /** The metrics registry of one bundler (created on its first build), e.g. for tests. */
  metrics(bundler: BundlerName): BuildMetrics | undefined
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
async function reportDir(report: BuildReport, dir: string | undefined, build: ObservedBuild): Promise<string> {
  if (dir !== undefined) return path.resolve(build.root, dir)
  const stateDir =
    report.result?.stateDir ??
    (await resolveStateDir(
      resolveTransactionOptions({ outDir: report.outDir, root: build.root, ...(build.stateDir ? { stateDir: build.stateDir } : {}), fs: nodeFs }),
    ))
  return path.join(stateDir, 'reports')
}

export function createBuildObserver(settings: ObserverSettings): BuildObserver {
  const registries = new Map<BundlerName, BuildMetrics>()
  let project = settings.project
  let serving = false
  return {
    metrics: (bundler) => registries.get(bundler),
    async observe(report, build) {
      project ??= await defaultProject(build.root)
      let metrics = registries.get(report.bundler)
      if (!metrics) registries.set(report.bundler, (metrics = createMetrics({ bundler: report.bundler, project })))
      metrics.record(report)

      const summary = summarize(report, { project, strategy: settings.strategy, alerts: [] })
      const input = {
        status: summary.status,
        errorRatio: summary.errors.ratio,
        writesPerSecond: summary.throughput.writesPerSecond,
        p99Ms: summary.writeLatencyMs.p99,
      }
      // Size budget alerts come with the report (measured at commit); the engine's are evaluated here.
      summary.alerts = [...evaluateAlerts(input, settings.alerts), ...(report.alerts ?? [])]
      if (settings.sizes && settings.sizes.githubSummary) {
        try {
          await appendStepSummary({ project, bundler: report.bundler, status: report.status, alerts: summary.alerts, sizes: summary.sizes })
        } catch (error) {
          build.logger.warn(`[emit-optimizer] could not append to $GITHUB_STEP_SUMMARY: ${error instanceof Error ? error.message : String(error)}`)
        }
      }

      if (settings.report !== false) {
        const { json, html, historyDays } = settings.report
        try {
          const dir = await reportDir(report, settings.report.dir, build)
          // The default reports/ is the state dir's own; a configured report.dir may be anything.
          if (settings.report.dir === undefined) await assertOwnDir(nodeFs, dir, 'reports directory', report.outDir)
          await fs.mkdir(dir, { recursive: true })
          const history = await appendHistory(path.join(dir, REPORT_FILES.history), historyEntry(summary), {
            retentionDays: historyDays,
            warn: build.logger.warn,
          })
          // Atomic (temp + rename) so a reader never sees half a report, and never through a symlink
          // planted at the report's path; fsync is not worth a build's time here.
          if (json) await writeStateFile(path.join(dir, REPORT_FILES.json), `${JSON.stringify(summary, null, 2)}\n`, { fsync: false, mode: 0o666 })
          if (html) await writeStateFile(path.join(dir, REPORT_FILES.html), renderHtml(summary, history, writeDurations(report)), { fsync: false, mode: 0o666 })
        } catch (error) {
          build.logger.warn(
            `[emit-optimizer] could not write the build report: ${error instanceof Error ? error.message : String(error)}. The build itself is not affected.`,
          )
        }
      }

      if (settings.metrics.serve && !serving) {
        serving = true
        try {
          const server = await serveMetrics(metrics.registry, settings.metrics.serve, build.logger)
          build.logger.info(`emit-optimizer: metrics at ${server.url}`)
        } catch (error) {
          build.logger.warn(error instanceof Error ? error.message : String(error))
        }
      }
      await pushMetrics(metrics.registry, settings.metrics.push ?? {}, build.logger)
      return summary.alerts
    },
  }
}
