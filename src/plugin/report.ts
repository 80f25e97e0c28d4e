import type { CommitResult } from '../core/transaction.js'
import { formatDelta, formatSize } from '../observe/size/budgets.js'
import type { SizeSummary } from '../observe/size/measure.js'
import type { Alert } from '../report/alerts.js'

export type BundlerName = 'vite' | 'rollup' | 'rolldown' | 'webpack' | 'rspack' | 'esbuild'

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
  /**
   * Thresholds this build crossed (`alerts` option, and exceeded size `budgets`); shown as
   * warnings in the summary line.
   */
  alerts?: Alert[]
  /** What the committed output weighs and what changed (`sizes` option; committed builds). */
  sizes?: SizeSummary
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
  return `emit-optimizer: ${written} written · ${unchanged} unchanged · ${deleted} deleted · ${formatBytes(bytesWritten)} · ${ms}${formatOutputSize(report.sizes)} · ${report.status}`
}

/** ` · output 1.23 MB (gzip 402.1 kB, +1.3 kB)`: the output's total and its change since the previous build. */
function formatOutputSize(sizes: SizeSummary | undefined): string {
  if (!sizes) return ''
  const { all } = sizes.totals
  const compression = all.gzip !== null ? 'gzip' : all.brotli !== null ? 'brotli' : 'raw'
  const delta = sizes.previous ? formatDelta(sizes.previous.totals.all[compression]) : undefined
  const inner = [compression === 'raw' ? undefined : `${compression} ${formatSize(all[compression]!)}`, delta].filter((part) => part !== undefined)
  return ` · output ${formatSize(all.raw)}${inner.length > 0 ? ` (${inner.join(', ')})` : ''}`
}

/** ` · ⚠ 2 alerts: error ratio 2.0 % > 1 %; build rolled back` */
function formatAlerts(alerts: readonly Alert[]): string {
  if (alerts.length === 0) return ''
  return ` · ⚠ ${alerts.length} alert${alerts.length === 1 ? '' : 's'}: ${alerts.map((alert) => alert.message).join('; ')}`
}
