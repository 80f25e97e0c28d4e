import { resolveSizeOptions, type ResolvedSizeOptions, type SizeOptions } from './size/options.js'

/** Where and how to push metrics to a Pushgateway. */
export interface PushOptions {
  /** @default process.env.EMIT_OPTIMIZER_PUSHGATEWAY_URL */
  url?: string
  /** @default 'emit-optimizer' */
  job?: string
  /** Grouping labels, e.g. `{ branch: 'main' }`. @default {} */
  grouping?: Record<string, string>
  /** @default 5000 */
  timeoutMs?: number
  /** Fail the build when the push fails (otherwise a warning). @default false */
  required?: boolean
}

/** Reports, alerts and metrics of each build; the plugin's `Options` extend these. */
export interface ObserveOptions {
  /**
   * Project label on every metric and in the report (no file paths: bounded label values).
   * @default the `name` in the root package.json, else the root directory's name
   */
  project?: string
  /**
   * Build reports in the state dir: `reports/latest.json`, `reports/latest.html`, `history.ndjson`.
   * `false` turns all of them off.
   * @default { json: true, html: true, dir: '<stateDir>/reports', historyDays: 7 }
   */
  report?: false | { json?: boolean; html?: boolean; dir?: string; historyDays?: number }
  /**
   * Alert thresholds evaluated per build; alerts show in the summary line and the report.
   * @default { errorRatio: 0.01, maxWritesPerSecond: undefined (off), p99LatencyMs: 1000, onRollback: true }
   */
  alerts?: { errorRatio?: number; maxWritesPerSecond?: number; p99LatencyMs?: number; onRollback?: boolean }
  /**
   * Output sizes in the report: raw, gzip and brotli per file, per kind and per entry point's
   * initial load (where the bundler says which files those are), deltas against the
   * previous build and a baseline (the default branch's newest kept version), budgets, a Markdown
   * summary (also appended to `$GITHUB_STEP_SUMMARY`). Only files whose bytes changed are
   * compressed. `false` turns sizes off. See docs/size-report.md.
   * @default { gzip: 6, brotli: 4, budgets: [], githubSummary: true }
   */
  sizes?: false | SizeOptions
  /**
   * Prometheus metrics (a private prom-client registry per plugin instance).
   * - `push`: PUT the registry to a Pushgateway after each build (also from `EMIT_OPTIMIZER_PUSHGATEWAY_URL`).
   * - `serve`: a `/metrics` endpoint (loopback by default) while watching.
   * @default {} (collected, neither pushed nor served)
   */
  metrics?: {
    push?: PushOptions
    serve?: number | { port: number; host?: string }
  }
}

export interface ResolvedObserveOptions {
  project: string | undefined
  report: false | { json: boolean; html: boolean; dir: string | undefined; historyDays: number }
  alerts: AlertThresholds
  sizes: ResolvedSizeOptions | false
  metrics: { push: PushOptions | undefined; serve: { port: number; host: string } | undefined }
}

export interface AlertThresholds {
  errorRatio: number
  maxWritesPerSecond: number | undefined
  p99LatencyMs: number
  onRollback: boolean
}

/** The defaults of `ObserveOptions`, in one place. */
export const OBSERVE_DEFAULTS = {
  report: { json: true, html: true, historyDays: 7 },
  alerts: { errorRatio: 0.01, p99LatencyMs: 1000, onRollback: true },
  serveHost: '127.0.0.1',
  push: { job: 'emit-optimizer', timeoutMs: 5000 },
} as const

export function resolveObserveOptions(options: ObserveOptions): ResolvedObserveOptions {
  const { report, alerts, metrics } = options
  const serve = metrics?.serve
  return {
    project: options.project,
    report: report === false ? false : { ...OBSERVE_DEFAULTS.report, ...definedOnly(report ?? {}), dir: report?.dir },
    alerts: { ...OBSERVE_DEFAULTS.alerts, ...definedOnly(alerts ?? {}), maxWritesPerSecond: alerts?.maxWritesPerSecond },
    sizes: resolveSizeOptions(options.sizes),
    metrics: {
      push: metrics?.push,
      serve:
        serve === undefined
          ? undefined
          : typeof serve === 'number'
            ? { port: serve, host: OBSERVE_DEFAULTS.serveHost }
            : { port: serve.port, host: serve.host ?? OBSERVE_DEFAULTS.serveHost },
    },
  }
}

/** `value` without its `undefined` fields, so spreading it over defaults keeps them. */
export function definedOnly<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> }
}
