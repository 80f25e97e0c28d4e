import type { CommitResult } from '../core/transaction.js'
import type { Alert } from '../report/alerts.js'

/** The bundler, or the framework whose whole build was one transaction (src/frameworks/). */
export type BundlerName = 'vite' | 'rollup' | 'rolldown' | 'webpack' | 'rspack' | 'esbuild' | 'astro' | 'nuxt'

/** What one build did to its outDir; the metrics and report work render this. */
export interface BuildReport {
  /**
   * - `committed`: the new output is in outDir.
   * - `rolled-back`: the build or the commit failed and outDir holds the previous output, intact.
   * - `failed`: the commit failed and restoring the previous output failed too; the journal is
   *   kept for `emit-optimizer recover`.
   */
  status: 'committed' | 'rolled-back' | 'failed'
  bundler: BundlerName
  outDir: string
  startedAt: string
  durationMs: number
  /** Files captured from the bundler for this build. */
  captured: number
  /** Per-file outcomes, stats and phase timings (committed builds). */
  result?: CommitResult
  /**
   * Why the build was not committed; for a committed build, an `EO_ALERT` error when
   * `failOnAlert` is set and an alert fired (the output stays committed, the bundler fails).
   */
  error?: unknown
  /** The transaction id: the build id in reports and history. */
  txId?: string
  /** Where a build that was not committed failed: in the bundler, or while committing. */
  failedIn?: 'build' | 'commit'
  /** Thresholds this build crossed (`alerts` option); shown as warnings in the summary line. */
  alerts?: Alert[]
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** `emit-optimizer: 12 written · 588 unchanged · 3 deleted · 1.2 MB · 41 ms · committed` */
export function formatSummary(report: BuildReport): string {
  return formatCounts(report) + formatAlerts(report.alerts ?? [])
}

function formatCounts(report: BuildReport): string {
  const ms = `${Math.round(report.durationMs)} ms`
  if (!report.result) return `emit-optimizer: ${report.captured} files captured · ${ms} · ${report.status}, ${report.outDir} left as it was`
  const { written, unchanged, deleted, bytesWritten } = report.result.stats
  return `emit-optimizer: ${written} written · ${unchanged} unchanged · ${deleted} deleted · ${formatBytes(bytesWritten)} · ${ms} · ${report.status}`
}

/** ` · ⚠ 2 alerts: error ratio 2.0 % > 1 %; build rolled back` */
function formatAlerts(alerts: readonly Alert[]): string {
  if (alerts.length === 0) return ''
  return ` · ⚠ ${alerts.length} alert${alerts.length === 1 ? '' : 's'}: ${alerts.map((alert) => alert.message).join('; ')}`
}
