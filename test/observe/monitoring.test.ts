/**
 * The monitoring kit: alert rules and their unit tests through the real promtool, the Grafana
 * dashboard's shape, its PromQL (through the generated recording rules) and the example config.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireBinary, skipReason } from '../support/binaries.js'

const PROMTOOL = '/usr/bin/promtool'
const hasPromtool = requireBinary('promtool', PROMTOOL)
const monitoring = path.resolve(import.meta.dirname, '..', '..', 'monitoring')
const script = path.join(monitoring, 'extract-dashboard-rules.mjs')

function run(command: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 })
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

interface Target { refId: string; expr: string; datasource: { type: string; uid: string } }
interface Panel { id: number; title: string; type: string; datasource: { type: string; uid: string }; targets: Target[] }
interface Variable { name: string; type: string; query: unknown; allValue?: string; multi?: boolean; includeAll?: boolean }
const dashboard = JSON.parse(fs.readFileSync(path.join(monitoring, 'grafana-dashboard.json'), 'utf8')) as {
  __inputs?: unknown
  panels: Panel[]
  templating: { list: Variable[] }
}

let scratch: string
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-monitoring-'))
})
afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true })
})

describe('grafana-dashboard.json', () => {
  it('takes its datasource from a template variable, with no __inputs', () => {
    expect(dashboard).not.toHaveProperty('__inputs')
    expect(dashboard).not.toHaveProperty('__requires')
    const datasource = dashboard.templating.list.find((variable) => variable.name === 'datasource')
    expect(datasource).toMatchObject({ type: 'datasource', query: 'prometheus' })
    for (const panel of dashboard.panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' })
      for (const target of panel.targets) expect(target.datasource, `${panel.title} ${target.refId}`).toEqual({ type: 'prometheus', uid: '${datasource}' })
    }
  })

  it('has the seven panels, filtered by the bundler and project variables', () => {
    expect(dashboard.panels.map((panel) => panel.title)).toEqual(['Writes/s', 'Error ratio %', 'p99 write latency', 'Written vs unchanged', 'Rollbacks', 'Last build duration', 'Output size'])
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(7)
    for (const name of ['bundler', 'project']) {
      expect(dashboard.templating.list.find((variable) => variable.name === name)).toMatchObject({ type: 'query', multi: true, includeAll: true, allValue: '.*' })
    }
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0)
      for (const target of panel.targets) {
        expect(target.expr, `${panel.title} ${target.refId}`).toContain('bundler=~"$bundler"')
        expect(target.expr, `${panel.title} ${target.refId}`).toContain('project=~"$project"')
      }
    }
  })

  it('dashboard-rules.yml is what the script generates from it (one rule per target and variable)', () => {
    const regenerated = path.join(scratch, 'dashboard-rules.yml')
    const result = run(process.execPath, [script, path.join(monitoring, 'grafana-dashboard.json'), regenerated])
    expect(result.status, result.output).toBe(0)
    const committed = fs.readFileSync(path.join(monitoring, 'dashboard-rules.yml'), 'utf8')
    expect(fs.readFileSync(regenerated, 'utf8'), 'run: node monitoring/extract-dashboard-rules.mjs').toBe(committed)
    const targets = dashboard.panels.reduce((sum, panel) => sum + panel.targets.length, 0)
    const variables = dashboard.templating.list.filter((variable) => variable.type === 'query').length
    expect(committed.match(/^ {6}- record: /gm)).toHaveLength(targets + variables)
    expect(committed).not.toContain('$')
  })

  it('the script refuses a Grafana variable it does not know', () => {
    const broken = structuredClone(dashboard)
    broken.panels[0]!.targets[0]!.expr = 'sum(rate(emit_optimizer_writes_total{job=~"$job"}[5m]))'
    const input = path.join(scratch, 'unknown-variable.json')
    fs.writeFileSync(input, JSON.stringify(broken))
    const result = run(process.execPath, [script, input, path.join(scratch, 'unknown-variable.yml')])
    expect(result.status).not.toBe(0)
    expect(result.output).toContain('unknown Grafana variable')
  })
})

describe.skipIf(!hasPromtool)(`promtool${skipReason('promtool', hasPromtool)}`, () => {
  it('accepts alerts.yml', () => {
    const result = run(PROMTOOL, ['check', 'rules', path.join(monitoring, 'alerts.yml')])
    expect(result.status, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS: 6 rules found')
  })

  it('passes the alert unit tests (each alert firing and not firing)', () => {
    const result = run(PROMTOOL, ['test', 'rules', path.join(monitoring, 'alerts.test.yml')])
    expect(result.status, result.output).toBe(0)
    const tests = fs.readFileSync(path.join(monitoring, 'alerts.test.yml'), 'utf8')
    for (const alert of ['EmitOptimizerWriteErrorRatioHigh', 'EmitOptimizerNoRecentSuccess', 'EmitOptimizerWriteLatencyP99High', 'EmitOptimizerRollback', 'EmitOptimizerRollbackRateHigh', 'EmitOptimizerOutputSizeJump']) {
      expect(tests, alert).toMatch(new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`))
      expect(tests, alert).toMatch(new RegExp(`alertname: ${alert}\\n\\s+exp_alerts: \\[\\]`))
    }
  })

  it('accepts every PromQL expression of the dashboard (regenerated rules)', () => {
    const regenerated = path.join(scratch, 'checked-rules.yml')
    expect(run(process.execPath, [script, path.join(monitoring, 'grafana-dashboard.json'), regenerated]).status).toBe(0)
    const result = run(PROMTOOL, ['check', 'rules', regenerated])
    expect(result.status, result.output).toBe(0)
  })

  it('rejects a dashboard with a PromQL typo (the check is real)', () => {
    const broken = structuredClone(dashboard)
    broken.panels[2]!.targets[0]!.expr = 'histogram_quantile(0.99, sum by (le (emit_optimizer_write_duration_seconds_bucket{bundler=~"$bundler", project=~"$project"}))'
    const input = path.join(scratch, 'typo.json')
    const rules = path.join(scratch, 'typo.yml')
    fs.writeFileSync(input, JSON.stringify(broken))
    expect(run(process.execPath, [script, input, rules]).status).toBe(0)
    const result = run(PROMTOOL, ['check', 'rules', rules])
    expect(result.status).not.toBe(0)
    expect(result.output).toMatch(/p99_write_latency|parse error/)
  })

  it('the output size panel reads emit_optimizer_output_bytes by kind (gzip) and the raw total', () => {
    const panel = dashboard.panels.find((p) => p.title === 'Output size')!
    expect(panel.targets.map((t) => t.expr)).toEqual([
      'sum by (bundler, project, kind) (emit_optimizer_output_bytes{bundler=~"$bundler", project=~"$project", compression="gzip"})',
      'sum by (bundler, project) (emit_optimizer_output_bytes{bundler=~"$bundler", project=~"$project", compression="raw"})',
    ])
  })

  it('accepts the example prometheus.yml (Pushgateway with honor_labels, alerts.yml loaded)', () => {
    const config = fs.readFileSync(path.join(monitoring, 'prometheus.yml'), 'utf8')
    expect(config).toMatch(/job_name: pushgateway\n\s+honor_labels: true/)
    expect(config).toMatch(/rule_files:\n\s+- alerts\.yml/)
    const result = run(PROMTOOL, ['check', 'config', path.join(monitoring, 'prometheus.yml')])
    expect(result.status, result.output).toBe(0)
  })
})
