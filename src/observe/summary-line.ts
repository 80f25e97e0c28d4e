import { formatBytes } from './format-bytes.js'
import { formatDelta } from './size/budgets.js'
import type { SizeSummary } from './size/measure.js'
import type { Alert, BuildReport } from './types.js'

/** `emit-optimizer: 12 written · 588 unchanged · 3 deleted · 1.26 MB · 41 ms · committed` */
export function formatSummary(report: BuildReport): string {
  return formatCounts(report) + formatAlerts(report.alerts ?? [])
}

function formatCounts(report: BuildReport): string {
  const ms = `${Math.round(report.durationMs)} ms`
  const name = report.target === undefined ? 'emit-optimizer:' : `emit-optimizer (${report.target}):`
  if (!report.result) return `${name} ${report.captured} files captured · ${ms} · ${report.status}, ${report.outDir} left as it was`
  const { written, unchanged, deleted, bytesWritten } = report.result.stats
  const counts = `${written} written · ${unchanged} unchanged · ${deleted} deleted · ${formatBytes(bytesWritten)}`
  return `${name} ${counts} · ${ms}${formatOutputSize(report.sizes)} · ${report.status}`
}

/** ` · output 1.23 MB (gzip 402.1 kB, +1.3 kB)`: the output's total and its change since the previous build. */
function formatOutputSize(sizes: SizeSummary | undefined): string {
  if (!sizes) return ''
  const { all } = sizes.totals
  const compression = all.gzip !== null ? 'gzip' : all.brotli !== null ? 'brotli' : 'raw'
  const delta = sizes.previous ? formatDelta(sizes.previous.totals.all[compression]) : undefined
  const inner = [compression === 'raw' ? undefined : `${compression} ${formatBytes(all[compression]!)}`, delta].filter((part) => part !== undefined)
  return ` · output ${formatBytes(all.raw)}${inner.length > 0 ? ` (${inner.join(', ')})` : ''}`
}

/** ` · ⚠ 2 alerts: error ratio 2.0 % > 1 %; build rolled back` */
function formatAlerts(alerts: readonly Alert[]): string {
  if (alerts.length === 0) return ''
  return ` · ⚠ ${alerts.length} alert${alerts.length === 1 ? '' : 's'}: ${alerts.map((alert) => alert.message).join('; ')}`
}
