import { formatBytes } from './format.js'
import type { Alert, BuildReport } from './types.js'

/** `emit-optimizer: 12 written · 588 unchanged · 3 deleted · 1.2 MiB · 41 ms · committed` */
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
