import type { Strategy } from '../core/transaction-options.js'
import type { FileStatus } from '../core/transaction.js'
import { EmitOptimizerError } from '../errors.js'
import type { SizeSummary } from './size/measure.js'
import type { Alert, BuildReport, BundlerName } from './types.js'

/** Bumped on any incompatible change to `BuildSummary`; documented field by field in the README. */
export const REPORT_SCHEMA_VERSION = 1

/**
 * The bundler alone opens, writes and closes each file it emits: 3 fs calls per captured file
 * (directory creation and stat calls are left out, so this is a lower bound).
 */
export const BUNDLER_OPS_PER_FILE = 3

/** `reports/latest.json`: everything one build did to its outDir. */
export interface BuildSummary {
  schemaVersion: typeof REPORT_SCHEMA_VERSION
  status: BuildReport['status']
  bundler: BundlerName
  project: string
  outDir: string
  strategy: Strategy
  build: {
    /** The transaction id. */
    id: string | null
    startedAt: string
    durationMs: number
  }
  files: { captured: number; written: number; unchanged: number; deleted: number; total: number }
  bytes: { written: number }
  fsOps: {
    performed: number
    /** `captured × BUNDLER_OPS_PER_FILE`: what the bundler writing every file itself would do. */
    bundlerAlone: number
    /** `1 − performed / bundlerAlone` (negative when the commit did more). */
    saved: number | null
  }
  /** Per written file, staging time; nearest-rank percentiles. `null` when nothing was written. */
  writeLatencyMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null }
  /** Written files per second of commit time. */
  throughput: { writesPerSecond: number | null }
  /** Failed writes over captured files: a commit failure counts as one failed write. */
  errors: { count: number; ratio: number }
  /** Commit phases in ms (committed builds). */
  phasesMs: Record<string, number> | null
  alerts: Alert[]
  /** Files written or deleted, sorted by path. */
  changed: Array<{ path: string; status: Exclude<FileStatus, 'unchanged'>; bytes: number; durationMs: number | null }>
  /** Why the build was not committed (or `EO_ALERT` with `failOnAlert`). */
  error: { code: string | null; message: string } | null
  /** Output sizes and their deltas (`sizes` option); null when off or not committed. */
  sizes: SizeSummary | null
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null
}

/** The per-file staging times of the written files, ascending, in ms. */
export function writeDurations(report: BuildReport): number[] {
  const durations: number[] = []
  for (const file of report.result?.files ?? []) if (file.status === 'written' && file.durationMs !== undefined) durations.push(file.durationMs)
  return durations.sort((a, b) => a - b)
}

/** Failed writes of a build: the engine stops at the first failure, so a failed commit is one. */
export function writeErrors(report: BuildReport): number {
  return report.status !== 'committed' && report.failedIn === 'commit' ? 1 : 0
}

function describe(error: unknown): BuildSummary['error'] {
  if (error === undefined) return null
  if (error instanceof EmitOptimizerError) return { code: error.code, message: error.message }
  return { code: null, message: error instanceof Error ? error.message : String(error) }
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits))

export function summarize(report: BuildReport, context: { project: string; strategy: Strategy; alerts: Alert[] }): BuildSummary {
  const result = report.result
  const stats = result?.stats
  const durations = writeDurations(report)
  const written = stats?.written ?? 0
  const bundlerAlone = report.captured * BUNDLER_OPS_PER_FILE
  const errorCount = writeErrors(report)
  const commitSeconds = (stats?.durationMs ?? 0) / 1000
  const at = (p: number): number | null => {
    const value = percentile(durations, p)
    return value === null ? null : round(value)
  }
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    status: report.status,
    bundler: report.bundler,
    project: context.project,
    outDir: report.outDir,
    strategy: result?.strategy ?? context.strategy,
    build: { id: result?.txId ?? report.txId ?? null, startedAt: report.startedAt, durationMs: round(report.durationMs) },
    files: {
      captured: report.captured,
      written,
      unchanged: stats?.unchanged ?? 0,
      deleted: stats?.deleted ?? 0,
      total: stats?.total ?? report.outDirFiles ?? 0,
    },
    bytes: { written: stats?.bytesWritten ?? 0 },
    fsOps: { performed: stats?.fsOps ?? 0, bundlerAlone, saved: bundlerAlone > 0 && stats ? round(1 - stats.fsOps / bundlerAlone) : null },
    writeLatencyMs: { p50: at(50), p95: at(95), p99: at(99), max: at(100) },
    throughput: { writesPerSecond: stats && commitSeconds > 0 ? round(written / commitSeconds, 1) : null },
    errors: { count: errorCount, ratio: report.captured > 0 ? round(errorCount / report.captured, 6) : errorCount },
    phasesMs: stats ? Object.fromEntries(Object.entries(stats.phases).map(([phase, ms]) => [phase, round(ms)])) : null,
    alerts: context.alerts,
    changed: (result?.files ?? []).flatMap((file) =>
      file.status === 'unchanged'
        ? []
        : [{ path: file.path, status: file.status, bytes: file.bytes, durationMs: file.durationMs === undefined ? null : round(file.durationMs) }],
    ),
    error: describe(report.error),
    sizes: report.sizes ?? null,
  }
}
