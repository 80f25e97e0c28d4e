import type { AlertThresholds } from './observe-options.js'
import type { Alert } from './types.js'

/** What the rules look at; computed once per build by `summarize` (report-json.ts). */
export interface AlertInput {
  status: 'committed' | 'rolled-back' | 'failed'
  errorRatio: number
  writesPerSecond: number | null
  p99Ms: number | null
}

const percent = (ratio: number): string => `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)} %`

/**
 * The per-build rules (DESIGN.md §5): error ratio above the threshold, throughput above the
 * ceiling (only when one is set), p99 write latency above the limit, and any rollback.
 */
export function evaluateAlerts(input: AlertInput, thresholds: AlertThresholds): Alert[] {
  const alerts: Alert[] = []
  if (input.errorRatio > thresholds.errorRatio) {
    alerts.push({
      rule: 'error-ratio',
      severity: 'critical',
      message: `error ratio ${percent(input.errorRatio)} > ${percent(thresholds.errorRatio)}`,
      value: input.errorRatio,
      threshold: thresholds.errorRatio,
    })
  }
  const ceiling = thresholds.maxWritesPerSecond
  if (ceiling !== undefined && input.writesPerSecond !== null && input.writesPerSecond > ceiling) {
    alerts.push({
      rule: 'throughput',
      severity: 'warning',
      message: `throughput ${Math.round(input.writesPerSecond)} writes/s > ${ceiling} writes/s`,
      value: input.writesPerSecond,
      threshold: ceiling,
    })
  }
  if (input.p99Ms !== null && input.p99Ms > thresholds.p99LatencyMs) {
    alerts.push({
      rule: 'p99-latency',
      severity: 'warning',
      message: `p99 write latency ${input.p99Ms.toFixed(1)} ms > ${thresholds.p99LatencyMs} ms`,
      value: input.p99Ms,
      threshold: thresholds.p99LatencyMs,
    })
  }
  if (thresholds.onRollback && input.status !== 'committed') {
    alerts.push({
      rule: 'rollback',
      severity: input.status === 'failed' ? 'critical' : 'warning',
      message: input.status === 'failed' ? 'commit failed and could not be rolled back (run emit-optimizer recover)' : 'build rolled back',
      value: 1,
      threshold: 0,
    })
  }
  return alerts
}
