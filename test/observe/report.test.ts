/**
 * Build reports: latest.json fields, history.ndjson retention and torn lines, alerts and
 * failOnAlert, and the `emit-optimizer report` verb; all from real commits through the capture.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/run.js'
import { isEmitOptimizerError } from '../../src/errors.js'
import { evaluateAlerts } from '../../src/observe/alerts.js'
import { appendHistory, readHistory, type HistoryEntry } from '../../src/observe/report-log.js'
import { BUNDLER_OPS_PER_FILE, percentile, type BuildSummary } from '../../src/observe/report-json.js'
import { files, project, type Project } from '../support/report-builds.js'

const projects: Project[] = []
afterEach(() => {
  for (const p of projects.splice(0)) p.cleanup()
})

function start(options: Parameters<typeof project>[0] = {}): Project {
  const p = project(options)
  projects.push(p)
  return p
}

const reportsOf = (p: Project): string => path.join(p.root, 'reports')
const latest = (p: Project): BuildSummary => JSON.parse(fs.readFileSync(path.join(reportsOf(p), 'latest.json'), 'utf8')) as BuildSummary

describe('latest.json', () => {
  it('has schemaVersion 1 and every documented field', async () => {
    const p = start({ report: { dir: 'reports' } })
    await p.build(files(10))
    const report = await p.build({ ...files(10), 'assets/f3.js': 'x\n', 'new.txt': 'n' }, ['assets/f9.js'])
    const s = latest(p)
    expect(s).toMatchObject({
      schemaVersion: 1,
      status: 'committed',
      bundler: 'esbuild',
      project: 'report-app',
      outDir: p.outDir,
      strategy: 'incremental',
      build: { id: report.result!.txId, startedAt: report.startedAt },
      files: { captured: 10, written: 2, unchanged: 8, deleted: 1, total: 10 },
      bytes: { written: 3 },
      fsOps: { performed: report.result!.stats.fsOps, bundlerAlone: 10 * BUNDLER_OPS_PER_FILE },
      errors: { count: 0, ratio: 0 },
      alerts: [],
      error: null,
    })
    expect(s.fsOps.saved).toBeCloseTo(1 - report.result!.stats.fsOps / 30, 3)
    expect(Object.keys(s.phasesMs!).sort()).toEqual(['finish', 'lock', 'plan', 'publish', 'recover', 'stage'])
    expect(s.changed.map((f) => [f.path, f.status])).toEqual([['assets/f3.js', 'written'], ['assets/f9.js', 'deleted'], ['new.txt', 'written']])
    const durations = report.result!.files.filter((f) => f.status === 'written').map((f) => f.durationMs!).sort((a, b) => a - b)
    expect(s.writeLatencyMs.max).toBeCloseTo(durations.at(-1)!, 3)
    expect(s.writeLatencyMs.p50).toBeCloseTo(durations[0]!, 3)
    expect(s.throughput.writesPerSecond).toBeCloseTo(2 / (report.result!.stats.durationMs / 1000), 0)
    expect(s.build.durationMs).toBeGreaterThan(0)
  })

  it('reports a rolled-back build with its error, and percentiles are nearest-rank', async () => {
    const p = start({ report: { dir: 'reports' } })
    await p.fail(files(3))
    const s = latest(p)
    expect(s).toMatchObject({ status: 'rolled-back', files: { captured: 3, written: 0 }, error: { code: null, message: 'bundler failed' }, writeLatencyMs: { p50: null, p99: null }, phasesMs: null })
    expect(s.alerts.map((a) => a.rule)).toEqual(['rollback'])
    const values = Array.from({ length: 100 }, (_, i) => i + 1)
    expect([percentile(values, 50), percentile(values, 95), percentile(values, 99), percentile(values, 100)]).toEqual([50, 95, 99, 100])
    expect(percentile([], 50)).toBeNull()
  })

  it('honours report: false and report.json/html = false', async () => {
    const off = start({ report: false })
    await off.build(files(2))
    expect(fs.existsSync(path.join(off.root, 'node_modules', '.cache', 'emit-optimizer'))).toBe(true)
    expect(fs.readdirSync(path.join(off.root, 'node_modules', '.cache', 'emit-optimizer'), { recursive: true }).some((f) => String(f).includes('reports'))).toBe(false)
    const some = start({ report: { dir: 'reports', html: false } })
    await some.build(files(2))
    expect(fs.readdirSync(reportsOf(some)).sort()).toEqual(['history.ndjson', 'latest.json'])
  })

  it('defaults to <stateDir>/reports', async () => {
    const p = start()
    const report = await p.build(files(2))
    expect(fs.readdirSync(path.join(report.result!.stateDir, 'reports')).sort()).toEqual(['history.ndjson', 'latest.html', 'latest.json'])
  })
})

describe('history.ndjson', () => {
  const entry = (time: string, id: string): HistoryEntry => ({ schemaVersion: 1, id, time, status: 'committed', bundler: 'vite', project: 'p', durationMs: 10, written: 1, unchanged: 0, deleted: 0, total: 1, bytes: 1, fsOps: 3, errorRatio: 0, p99Ms: 0.1, writesPerSecond: 100, alerts: [] })

  it('appends one line per build', async () => {
    const p = start({ report: { dir: 'reports' } })
    for (let i = 0; i < 3; i++) await p.build(files(3, i))
    await p.fail(files(1))
    const lines = fs.readFileSync(path.join(reportsOf(p), 'history.ndjson'), 'utf8').trimEnd().split('\n')
    expect(lines).toHaveLength(4)
    expect(lines.map((line) => (JSON.parse(line) as HistoryEntry).status)).toEqual(['committed', 'committed', 'committed', 'rolled-back'])
  })

  it('drops entries older than the retention, atomically (a new file renamed over the old one)', async () => {
    const dir = start().root
    const file = path.join(dir, 'history.ndjson')
    const now = Date.parse('2026-03-10T12:00:00Z')
    const day = 86_400_000
    fs.writeFileSync(file, [entry(new Date(now - 9 * day).toISOString(), 'old1'), entry(new Date(now - 8 * day).toISOString(), 'old2'), entry(new Date(now - 2 * day).toISOString(), 'kept')].map((e) => `${JSON.stringify(e)}\n`).join(''))
    const inode = fs.statSync(file).ino
    const warnings: string[] = []
    const kept = await appendHistory(file, entry(new Date(now).toISOString(), 'new'), { retentionDays: 7, now, warn: (m) => warnings.push(m) })
    expect(kept.map((e) => e.id)).toEqual(['kept', 'new'])
    expect((await readHistory(file, (m) => warnings.push(m))).map((e) => e.id)).toEqual(['kept', 'new'])
    expect(fs.statSync(file).ino).not.toBe(inode)
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('history.ndjson.'))).toEqual([])
    expect(warnings).toEqual([])
    // Nothing to prune: a plain append, same file.
    const inode2 = fs.statSync(file).ino
    await appendHistory(file, entry(new Date(now + 1000).toISOString(), 'next'), { retentionDays: 7, now, warn: (m) => warnings.push(m) })
    expect(fs.statSync(file).ino).toBe(inode2)
    // retention is configurable
    const shorter = await appendHistory(file, entry(new Date(now + 2000).toISOString(), 'last'), { retentionDays: 1, now, warn: (m) => warnings.push(m) })
    expect(shorter.map((e) => e.id)).toEqual(['new', 'next', 'last'])
  })

  it('skips a torn or corrupt line with a warning and keeps building', async () => {
    const p = start({ report: { dir: 'reports' } })
    await p.build(files(2, 1))
    const file = path.join(reportsOf(p), 'history.ndjson')
    // A crash mid-append: half a line, no newline.
    const good = fs.readFileSync(file, 'utf8')
    fs.writeFileSync(file, `${good}not json at all\n${good.slice(0, 40)}`)
    const report = await p.build(files(2, 2))
    expect(report.status).toBe('committed')
    expect(report.error).toBeUndefined()
    expect(p.warnings.some((w) => /skipped 2 unreadable lines \(2, 3\)/.test(w))).toBe(true)
    const after = fs.readFileSync(file, 'utf8').trimEnd().split('\n')
    expect(after).toHaveLength(2)
    for (const line of after) expect(() => JSON.parse(line)).not.toThrow()
    // Only a torn last line (no other damage): the next line starts on its own line.
    fs.appendFileSync(file, '{"time":"2026-')
    p.warnings.length = 0
    await p.build(files(2, 3))
    expect(p.warnings.filter((w) => w.includes('unreadable'))).toHaveLength(1)
    expect((await readHistory(file, () => {})).length).toBe(3)
  })
})

describe('alerts', () => {
  const thresholds = { errorRatio: 0.01, maxWritesPerSecond: undefined, p99LatencyMs: 1000, onRollback: true }

  it('fires on error ratio > 1 %, throughput over a set ceiling, p99 over the limit and any rollback', () => {
    const ok = { status: 'committed' as const, errorRatio: 0.01, writesPerSecond: 5000, p99Ms: 1000 }
    expect(evaluateAlerts(ok, thresholds)).toEqual([])
    expect(evaluateAlerts({ ...ok, errorRatio: 0.02 }, thresholds).map((a) => [a.rule, a.message])).toEqual([['error-ratio', 'error ratio 2.0 % > 1.0 %']])
    expect(evaluateAlerts(ok, { ...thresholds, maxWritesPerSecond: 80 }).map((a) => a.rule)).toEqual(['throughput'])
    expect(evaluateAlerts({ ...ok, p99Ms: 1000.5 }, thresholds).map((a) => a.rule)).toEqual(['p99-latency'])
    expect(evaluateAlerts({ ...ok, status: 'failed' }, thresholds).map((a) => [a.rule, a.severity])).toEqual([['rollback', 'critical']])
    expect(evaluateAlerts({ ...ok, status: 'rolled-back' }, { ...thresholds, onRollback: false })).toEqual([])
  })

  it('shows alerts as a warning in the summary line and records them in the report', async () => {
    const p = start({ report: { dir: 'reports' }, alerts: { p99LatencyMs: 0 } })
    const report = await p.build(files(3))
    expect(report.status).toBe('committed')
    expect(report.alerts?.map((a) => a.rule)).toEqual(['p99-latency'])
    expect(report.error).toBeUndefined()
    expect(p.infos).toEqual([])
    expect(p.warnings.at(-1)).toMatch(/^emit-optimizer: 3 written .* committed · ⚠ 1 alert: p99 write latency [\d.]+ ms > 0 ms$/)
    expect(latest(p).alerts).toEqual(report.alerts)
  })

  it('failOnAlert: the output is committed and the report carries EO_ALERT', async () => {
    const p = start({ report: { dir: 'reports' }, alerts: { p99LatencyMs: 0 }, failOnAlert: true })
    const report = await p.build(files(3))
    expect(report.status).toBe('committed')
    expect(fs.readdirSync(path.join(p.outDir, 'assets'))).toHaveLength(3)
    expect(isEmitOptimizerError(report.error) && report.error.code).toBe('EO_ALERT')
    expect((report.error as Error).message).toContain('p99 write latency')
    // Without alerts, no error.
    const quiet = start({ report: { dir: 'reports' }, failOnAlert: true })
    expect((await quiet.build(files(3))).error).toBeUndefined()
  })
})

describe('emit-optimizer report', () => {
  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = []
    const err: string[] = []
    const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) }, '/')
    return { code, out: out.join('\n'), err: err.join('\n') }
  }

  it('prints the latest report as text, JSON or the HTML path, and lists builds --since', async () => {
    const p = start()
    await p.build(files(4, 1))
    await p.build({ ...files(4, 1), 'assets/f2.js': 'changed\n' })
    const base = ['report', '--root', p.root, '--out', 'dist']
    const text = await cli(...base)
    expect(text.code).toBe(0)
    expect(text.out).toMatch(/^status +committed$/m)
    expect(text.out).toMatch(/^files +1 written · 3 unchanged · 0 deleted · 4 total$/m)
    expect(text.out).toContain('W assets/f2.js')
    const json = await cli(...base, '--json')
    expect((JSON.parse(json.out) as BuildSummary).schemaVersion).toBe(1)
    const html = await cli(...base, '--html')
    expect(html.out).toMatch(/reports\/latest\.html$/)
    expect(fs.existsSync(html.out)).toBe(true)
    const since = await cli(...base, '--since', '7d')
    expect(since.out.split('\n')).toHaveLength(2)
    const sinceJson = JSON.parse((await cli(...base, '--since', '1h', '--json')).out) as HistoryEntry[]
    expect(sinceJson.map((e) => e.written)).toEqual([4, 1])
    expect((await cli(...base, '--since', 'soon')).code).toBe(2)
  })

  it('exits 2 with a hint when there is no report', async () => {
    const p = start()
    const result = await cli('report', '--root', p.root, '--out', 'dist')
    expect(result.code).toBe(2)
    expect(result.err).toMatch(/no build report in .*run a build with the plugin first/)
  })
})
