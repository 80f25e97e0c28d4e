/**
 * The prom-client registry of a plugin instance, filled by real commits through the capture.
 */
import { register as globalRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createMetrics } from '../../src/observe/metrics.js'
import { COMMIT_BUCKETS_SECONDS, WRITE_BUCKETS_SECONDS } from '../../src/observe/types.js'
import { files, project, type Project } from '../support/report-builds.js'

const projects: Project[] = []
afterEach(() => {
  for (const p of projects.splice(0)) p.cleanup()
})

function start(): Project {
  const p = project({ report: false })
  projects.push(p)
  return p
}

/** getMetricsAsJSON() values of histograms also carry `metricName` (`…_bucket`, `…_count`). */
type Value = MetricValue<string> & { metricName?: string }
type Metrics = Map<string, MetricObjectWithValues<Value>>

async function read(p: Project): Promise<Metrics> {
  const metrics = p.instance.observer.metrics('esbuild')
  expect(metrics).toBeDefined()
  const json = await metrics!.registry.getMetricsAsJSON()
  return new Map(json.map((metric) => [metric.name, metric as MetricObjectWithValues<Value>]))
}

function value(metrics: Metrics, name: string, labels: Record<string, string> = {}): number | undefined {
  return metrics.get(name)?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l) && !('le' in v.labels && !('le' in labels)))?.value
}

describe('metrics registry', () => {
  it('counts writes, bytes, fs ops and transactions of committed builds', async () => {
    const p = start()
    const first = await p.build(files(20))
    const second = await p.build({ ...files(20), 'assets/f0.js': 'changed\n' }, ['assets/f19.js'])
    expect(first.status).toBe('committed')
    expect(second.result?.stats).toMatchObject({ written: 1, deleted: 1, unchanged: 18 })
    const m = await read(p)
    expect(value(m, 'emit_optimizer_writes_total', { status: 'written' })).toBe(21)
    expect(value(m, 'emit_optimizer_writes_total', { status: 'unchanged' })).toBe(18)
    expect(value(m, 'emit_optimizer_writes_total', { status: 'deleted' })).toBe(1)
    expect(value(m, 'emit_optimizer_writes_total', { status: 'error' })).toBe(0)
    expect(value(m, 'emit_optimizer_written_bytes_total')).toBe(first.result!.stats.bytesWritten + second.result!.stats.bytesWritten)
    expect(value(m, 'emit_optimizer_fs_operations_total')).toBe(first.result!.stats.fsOps + second.result!.stats.fsOps)
    expect(value(m, 'emit_optimizer_transactions_total', { outcome: 'committed' })).toBe(2)
    expect(value(m, 'emit_optimizer_transactions_total', { outcome: 'rolled_back' })).toBe(0)
    expect(value(m, 'emit_optimizer_last_build_files', { status: 'written' })).toBe(1)
    expect(value(m, 'emit_optimizer_last_build_files', { status: 'unchanged' })).toBe(18)
    expect(value(m, 'emit_optimizer_last_build_error_ratio')).toBe(0)
    expect(value(m, 'emit_optimizer_last_build_duration_seconds')).toBeCloseTo(second.durationMs / 1000, 6)
    const lastSuccess = value(m, 'emit_optimizer_last_success_timestamp_seconds')!
    expect(Math.abs(lastSuccess - Date.now() / 1000)).toBeLessThan(60)
  })

  it('records a rolled-back build: outcome, no success timestamp, error ratio of a failed commit', async () => {
    const p = start()
    await p.fail(files(5))
    let m = await read(p)
    expect(value(m, 'emit_optimizer_transactions_total', { outcome: 'rolled_back' })).toBe(1)
    expect(value(m, 'emit_optimizer_writes_total', { status: 'error' })).toBe(0)
    expect(value(m, 'emit_optimizer_last_success_timestamp_seconds')).toBeUndefined()
    // A commit that fails (a directory where a file must go) counts one failed write.
    const fs = await import('node:fs')
    fs.mkdirSync(`${p.outDir}/assets/f1.js/x`, { recursive: true })
    fs.writeFileSync(`${p.outDir}/assets/f1.js/x/not-ours.txt`, '')
    const report = await p.build(files(4))
    expect(report.status).toBe('rolled-back')
    expect(report.failedIn).toBe('commit')
    m = await read(p)
    expect(value(m, 'emit_optimizer_transactions_total', { outcome: 'rolled_back' })).toBe(2)
    expect(value(m, 'emit_optimizer_writes_total', { status: 'error' })).toBe(1)
    expect(value(m, 'emit_optimizer_last_build_error_ratio')).toBe(0.25)
  })

  it('puts each written file in the write-duration histogram with the fixed buckets', async () => {
    const p = start()
    const report = await p.build(files(30))
    const m = await read(p)
    const histogram = m.get('emit_optimizer_write_duration_seconds')!
    const buckets = histogram.values.filter((v) => v.metricName === 'emit_optimizer_write_duration_seconds_bucket')
    expect(buckets.map((v) => v.labels.le)).toEqual([...WRITE_BUCKETS_SECONDS, '+Inf'])
    expect(buckets.at(-1)!.value).toBe(30)
    const count = histogram.values.find((v) => v.metricName === 'emit_optimizer_write_duration_seconds_count')!.value
    expect(count).toBe(30)
    // Cumulative counts match the per-file durations of the report.
    const durations = report.result!.files.map((file) => file.durationMs! / 1000)
    for (const bucket of buckets.slice(0, -1)) expect(bucket.value).toBe(durations.filter((d) => d <= Number(bucket.labels.le)).length)
    const commit = m.get('emit_optimizer_commit_duration_seconds')!.values.filter((v) => v.metricName?.endsWith('_bucket'))
    expect(commit.map((v) => v.labels.le)).toEqual([...COMMIT_BUCKETS_SECONDS, '+Inf'])
  })

  it('uses a private registry per plugin instance, never the global one', async () => {
    const a = start()
    const b = start()
    await a.build(files(3))
    await b.build(files(2))
    expect(a.instance.observer.metrics('esbuild')!.registry).not.toBe(b.instance.observer.metrics('esbuild')!.registry)
    expect(a.instance.observer.metrics('esbuild')!.registry).not.toBe(globalRegistry)
    expect(value(await read(a), 'emit_optimizer_writes_total', { status: 'written' })).toBe(3)
    expect(value(await read(b), 'emit_optimizer_writes_total', { status: 'written' })).toBe(2)
    expect((await globalRegistry.getMetricsAsJSON()).filter((metric) => metric.name.startsWith('emit_optimizer'))).toEqual([])
    // Two registries side by side: no "already registered" clash.
    expect(() => [createMetrics({ bundler: 'vite', project: 'x' }), createMetrics({ bundler: 'vite', project: 'x' })]).not.toThrow()
  })

  it('labels every series with bundler and project only (plus a fixed status/outcome/le/kind/compression): no file paths', async () => {
    const p = start()
    await p.build(files(10))
    await p.fail(files(2))
    const text = await p.instance.observer.metrics('esbuild')!.registry.metrics()
    expect(text).not.toContain('assets/')
    expect(text).not.toContain(p.root)
    const allowed: Record<string, Set<string> | undefined> = {
      bundler: new Set(['esbuild']),
      project: new Set(['report-app']),
      status: new Set(['written', 'unchanged', 'deleted', 'error']),
      outcome: new Set(['committed', 'rolled_back', 'failed']),
      le: undefined,
      kind: new Set(['js', 'css', 'html', 'images', 'fonts', 'other']),
      compression: new Set(['raw', 'gzip', 'brotli']),
    }
    const m = await read(p)
    expect(m.size).toBe(11)
    for (const metric of m.values()) {
      for (const v of metric.values) {
        expect(v.labels.bundler, metric.name).toBe('esbuild')
        expect(v.labels.project, metric.name).toBe('report-app')
        for (const [label, labelValue] of Object.entries(v.labels)) {
          expect(Object.keys(allowed), `${metric.name} label ${label}`).toContain(label)
          if (allowed[label]) expect([...allowed[label]!]).toContain(String(labelValue))
        }
      }
    }
  })
})
