import type { Durability, HistoryOptions, Logger, Strategy } from '../core/options.js'
import type { BuildReport } from './report.js'

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

/** Options of the bundler plugin (`unplugin-emit-optimizer/<bundler>`). */
export interface Options {
  /**
   * The directory to commit to. Relative paths resolve against the project root.
   * @default the bundler's output directory (Vite `build.outDir`, Rollup `output.dir`, webpack/Rspack `output.path`, esbuild `outdir`)
   */
  outDir?: string
  /**
   * How the new output is published: `incremental`, `swap` or `symlink` (see the README).
   * @default 'incremental'
   */
  strategy?: Strategy
  /**
   * `none`, `commit` (fsync at the commit point) or `full` (also every file).
   * @default 'commit'
   */
  durability?: Durability
  /**
   * Also delete files in outDir this plugin never wrote. `'bundler'` follows the bundler's own
   * emptying setting (Vite `build.emptyOutDir`, webpack/Rspack `output.clean`), which then takes
   * effect at commit instead of before the build.
   * @default 'bundler'
   */
  clean?: boolean | 'bundler'
  /**
   * Where the manifest, journal, lock and staging live (same filesystem as outDir).
   * @default '<project>/node_modules/.cache/emit-optimizer/<outDir name>-<hash>', where <project> is the nearest directory from the bundler's root up with a project package.json (one under the root itself is kept when it exists)
   */
  stateDir?: string
  /**
   * Maximum file system operations in flight.
   * @default 32
   */
  concurrency?: number
  /**
   * How long to wait for another build writing the same outDir.
   * @default 30000
   */
  lockTimeoutMs?: number
  /**
   * Build history: each build that changes outDir is kept as a version (files stored once,
   * content-addressed, in `<stateDir>/history`) for `emit-optimizer history` and
   * `emit-optimizer rollback`. `keep` versions (and, with `maxAgeDays`, only younger ones) are
   * kept; `false` records nothing.
   * @default { keep: 10 }
   */
  history?: false | HistoryOptions
  /**
   * Allow an outDir that is the filesystem root, home, the project root or a repository root.
   * @default false
   */
  allowDangerousOutDir?: boolean
  /**
   * Publish order globs: `entries` last, `code` before them, other assets first.
   * @default { entries: html, manifests, service workers; code: js, css, wasm }
   */
  publishOrder?: { entries?: string[]; code?: string[] }
  /**
   * Print one summary line per build through the bundler's logger.
   * @default true
   */
  summary?: boolean
  /**
   * Called after every build with what was committed (or why not).
   * @default undefined
   */
  onReport?: (report: BuildReport) => void | Promise<void>
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
   * Fail the build when an alert fires (for CI).
   * @default false
   */
  failOnAlert?: boolean
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
  /**
   * Where warnings and the summary go when the bundler has no logger for plugins (esbuild).
   * @default stderr
   */
  logger?: Logger & { info?(message: string): void }
}

export interface ResolvedOptions {
  outDir: string | undefined
  strategy: Strategy
  durability: Durability
  clean: boolean | 'bundler'
  stateDir: string | undefined
  concurrency: number
  lockTimeoutMs: number
  history: false | HistoryOptions
  allowDangerousOutDir: boolean
  publishOrder: { entries?: string[]; code?: string[] } | undefined
  summary: boolean
  onReport: ((report: BuildReport) => void | Promise<void>) | undefined
  logger: (Logger & { info?(message: string): void }) | undefined
  project: string | undefined
  report: false | { json: boolean; html: boolean; dir: string | undefined; historyDays: number }
  alerts: { errorRatio: number; maxWritesPerSecond: number | undefined; p99LatencyMs: number; onRollback: boolean }
  failOnAlert: boolean
  metrics: { push: PushOptions | undefined; serve: { port: number; host: string } | undefined }
}

export function resolveOptions(options: Options = {}): ResolvedOptions {
  return {
    outDir: options.outDir,
    strategy: options.strategy ?? 'incremental',
    durability: options.durability ?? 'commit',
    clean: options.clean ?? 'bundler',
    stateDir: options.stateDir,
    concurrency: options.concurrency ?? 32,
    lockTimeoutMs: options.lockTimeoutMs ?? 30_000,
    history: options.history ?? { keep: 10 },
    allowDangerousOutDir: options.allowDangerousOutDir ?? false,
    publishOrder: options.publishOrder,
    summary: options.summary ?? true,
    onReport: options.onReport,
    logger: options.logger,
    project: options.project,
    report: options.report === false ? false : { json: options.report?.json ?? true, html: options.report?.html ?? true, dir: options.report?.dir, historyDays: options.report?.historyDays ?? 7 },
    alerts: { errorRatio: options.alerts?.errorRatio ?? 0.01, maxWritesPerSecond: options.alerts?.maxWritesPerSecond, p99LatencyMs: options.alerts?.p99LatencyMs ?? 1000, onRollback: options.alerts?.onRollback ?? true },
    failOnAlert: options.failOnAlert ?? false,
    metrics: {
      push: options.metrics?.push,
      serve: options.metrics?.serve === undefined ? undefined : typeof options.metrics.serve === 'number' ? { port: options.metrics.serve, host: '127.0.0.1' } : { port: options.metrics.serve.port, host: options.metrics.serve.host ?? '127.0.0.1' },
    },
  }
}
