import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { SIZE_KINDS } from './size/kinds.js'
import { writeErrors } from './report-json.js'
import { COMMIT_BUCKETS_SECONDS, WRITE_BUCKETS_SECONDS, type BuildReport, type BundlerName } from './types.js'

export interface BuildMetrics {
  /** Private to one plugin instance; never prom-client's global registry. */
  registry: Registry
  /** Adds one build's outcome to the counters, histograms and last-build gauges. */
  record(report: BuildReport): void
}

const WRITE_STATUSES = ['written', 'unchanged', 'deleted', 'error'] as const
const OUTCOMES = ['committed', 'rolled_back', 'failed'] as const

/**
 * The metrics of one plugin instance. Labels are `bundler` and `project` (one value each per
 * instance) plus a fixed `status`/`outcome` set: no file paths, so series stay bounded.
 */
export function createMetrics(labels: { bundler: BundlerName; project: string }): BuildMetrics {
  const registry = new Registry()
  const common = ['bundler', 'project'] as const
  const registers = [registry]
  const writes = new Counter({
    name: 'emit_optimizer_writes_total',
    help: 'Files handled by commits, by outcome.',
    labelNames: [...common, 'status'],
    registers,
  })
  const writeDuration = new Histogram({
    name: 'emit_optimizer_write_duration_seconds',
    help: 'Time to stage one written file.',
    labelNames: common,
    buckets: WRITE_BUCKETS_SECONDS,
    registers,
  })
  const bytes = new Counter({ name: 'emit_optimizer_written_bytes_total', help: 'Bytes of the files written.', labelNames: common, registers })
  const fsOps = new Counter({ name: 'emit_optimizer_fs_operations_total', help: 'File system calls made by commits.', labelNames: common, registers })
  const transactions = new Counter({ name: 'emit_optimizer_transactions_total', help: 'Builds by outcome.', labelNames: [...common, 'outcome'], registers })
  const commitDuration = new Histogram({
    name: 'emit_optimizer_commit_duration_seconds',
    help: 'Time of one successful commit.',
    labelNames: common,
    buckets: COMMIT_BUCKETS_SECONDS,
    registers,
  })
  const lastSuccess = new Gauge({
    name: 'emit_optimizer_last_success_timestamp_seconds',
    help: 'Unix time of the last committed build.',
    labelNames: common,
    registers,
  })
  const lastDuration = new Gauge({
    name: 'emit_optimizer_last_build_duration_seconds',
    help: 'Duration of the last build from capture start to report.',
    labelNames: common,
    registers,
  })
  const lastFiles = new Gauge({
    name: 'emit_optimizer_last_build_files',
    help: 'Files of the last build, by outcome.',
    labelNames: [...common, 'status'],
    registers,
  })
  const lastErrorRatio = new Gauge({
    name: 'emit_optimizer_last_build_error_ratio',
    help: 'Failed writes over captured files in the last build.',
    labelNames: common,
    registers,
  })
  // Set only by builds that measured sizes: a failed build must not read as the output shrinking to 0.
  const outputBytes = new Gauge({
    name: 'emit_optimizer_output_bytes',
    help: 'Size of the committed output by kind (js, css, html, images, fonts, other) and compression (raw, gzip, brotli).',
    labelNames: [...common, 'kind', 'compression'],
    registers,
  })

  // Every series exists from the start (at 0), so rate() and absent() work on the first push.
  for (const status of WRITE_STATUSES) writes.inc({ ...labels, status }, 0)
  for (const outcome of OUTCOMES) transactions.inc({ ...labels, outcome }, 0)
  for (const metric of [bytes, fsOps]) metric.inc(labels, 0)
  writeDuration.zero(labels)
  commitDuration.zero(labels)

  return {
    registry,
    record(report) {
      const stats = report.result?.stats
      const errors = writeErrors(report)
      writes.inc({ ...labels, status: 'written' }, stats?.written ?? 0)
      writes.inc({ ...labels, status: 'unchanged' }, stats?.unchanged ?? 0)
      writes.inc({ ...labels, status: 'deleted' }, stats?.deleted ?? 0)
      writes.inc({ ...labels, status: 'error' }, errors)
      const timer = writeDuration.labels(labels)
      for (const file of report.result?.files ?? []) if (file.status === 'written' && file.durationMs !== undefined) timer.observe(file.durationMs / 1000)
      bytes.inc(labels, stats?.bytesWritten ?? 0)
      fsOps.inc(labels, stats?.fsOps ?? 0)
      transactions.inc({ ...labels, outcome: report.status === 'rolled-back' ? 'rolled_back' : report.status })
      if (stats) {
        commitDuration.observe(labels, stats.durationMs / 1000)
        lastSuccess.set(labels, Date.now() / 1000)
      }
      lastDuration.set(labels, report.durationMs / 1000)
      lastFiles.set({ ...labels, status: 'written' }, stats?.written ?? 0)
      lastFiles.set({ ...labels, status: 'unchanged' }, stats?.unchanged ?? 0)
      lastFiles.set({ ...labels, status: 'deleted' }, stats?.deleted ?? 0)
      lastErrorRatio.set(labels, report.captured > 0 ? errors / report.captured : errors)
      for (const kind of SIZE_KINDS) {
        const total = report.sizes?.totals[kind]
        if (!total) continue
        for (const compression of ['raw', 'gzip', 'brotli'] as const) {
          const value = total[compression]
          if (value !== null) outputBytes.set({ ...labels, kind, compression }, value)
        }
      }
    },
  }
}
