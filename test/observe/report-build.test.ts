/**
 * A real esbuild build through the plugin writes latest.json, latest.html and a history line; the
 * HTML is rendered by real headless Chromium (DOM checked, screenshot kept in test-results/).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as esbuild from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'
import type { BuildReport } from '../../src/observe/types.js'
import type { HistoryEntry } from '../../src/observe/report-log.js'
import type { BuildSummary } from '../../src/observe/report-json.js'
import { unplugin } from '../../src/adapters/unplugin.js'
import { requireBinary, skipReason } from '../support/binaries.js'

const CHROMIUM = '/usr/bin/chromium'
// No '/' in a file name; '<script>' with quotes and '&' is enough to break unescaped HTML.
const NASTY = `x<script>alert("1")&'`
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-report-build-'))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

async function build(version: number): Promise<BuildReport> {
  fs.mkdirSync(path.join(root, 'src'), { recursive: true })
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'esbuild-report-app' }))
  fs.writeFileSync(path.join(root, 'src', 'main.js'), `import('./lazy.js').then((m) => console.log(m.v, ${version}))\n`)
  fs.writeFileSync(path.join(root, 'src', 'lazy.js'), 'export const v = 1\n')
  // A file name that is also markup: must come out escaped.
  fs.writeFileSync(path.join(root, 'src', 'nasty.js'), `export default ${version}\n`)
  const reports: BuildReport[] = []
  await esbuild.build({
    absWorkingDir: root,
    // esbuild sanitizes [name]; an explicit `out` is kept as given.
    entryPoints: [{ in: 'src/main.js', out: 'main' }, { in: 'src/nasty.js', out: NASTY }],
    bundle: true,
    splitting: true,
    format: 'esm',
    outdir: 'dist',
    entryNames: '[name]',
    logLevel: 'silent',
    plugins: [unplugin.esbuild({ summary: false, onReport: (report) => void reports.push(report) })],
  })
  expect(reports).toHaveLength(1)
  return reports[0]!
}

function chromium(args: string[]): string {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-chromium-'))
  try {
    return execFileSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 })
  } finally {
    fs.rmSync(profile, { recursive: true, force: true })
  }
}

describe('reports of a real esbuild build', () => {
  let reportDir = ''

  it('writes latest.json, latest.html and one history line per build', async () => {
    const first = await build(1)
    const second = await build(2)
    expect(second.status).toBe('committed')
    reportDir = path.join(second.result!.stateDir, 'reports')
    expect(fs.readdirSync(reportDir).sort()).toEqual(['history.ndjson', 'latest.html', 'latest.json'])
    const summary = JSON.parse(fs.readFileSync(path.join(reportDir, 'latest.json'), 'utf8')) as BuildSummary
    expect(summary).toMatchObject({ schemaVersion: 1, status: 'committed', bundler: 'esbuild', project: 'esbuild-report-app', build: { id: second.result!.txId } })
    expect(summary.changed.map((file) => file.path).sort()).toEqual([`${NASTY}.js`, 'main.js'].sort())
    const history = fs.readFileSync(path.join(reportDir, 'history.ndjson'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as HistoryEntry)
    expect(history.map((entry) => entry.id)).toEqual([first.result!.txId, second.result!.txId])
    const html = fs.readFileSync(path.join(reportDir, 'latest.html'), 'utf8')
    expect(html).toContain('x&lt;script&gt;alert(&quot;1&quot;)&amp;&#39;.js')
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i)
  })

  const ok = requireBinary('chromium', CHROMIUM)
  it.skipIf(!ok)(`renders in headless Chromium: SVG charts and the changed-files table, names escaped${skipReason('chromium', ok)}`, () => {
    expect(reportDir).not.toBe('')
    const url = `file://${path.join(reportDir, 'latest.html')}`
    const dom = chromium(['--dump-dom', url])
    for (const id of ['latency-histogram', 'trend-duration', 'trend-written', 'trend-error-ratio']) expect(dom).toMatch(new RegExp(`<svg[^>]*id="${id}"`))
    // Two written files: the histogram's bars add up to 2; two builds in each trend.
    const histogram = /<svg[^>]*id="latency-histogram"[\s\S]*?<\/svg>/.exec(dom)![0]
    expect([...histogram.matchAll(/<text class="count"[^>]*>(\d+)<\/text>/g)].reduce((sum, match) => sum + Number(match[1]), 0)).toBe(2)
    const trend = /<svg[^>]*id="trend-written"[\s\S]*?<\/svg>/.exec(dom)![0]
    expect(trend.match(/<circle/g)).toHaveLength(2)
    const rows = [...dom.matchAll(/<tr class="file">([\s\S]*?)<\/tr>/g)].map((match) => match[1]!)
    expect(rows).toHaveLength(2)
    // The parsed DOM holds the name as text: serialized escaped, never as an element.
    expect(rows.some((row) => row.includes('x&lt;script&gt;alert("1")&amp;\'.js'))).toBe(true)
    expect(dom).not.toMatch(/<script/i)
    fs.mkdirSync('test-results', { recursive: true })
    const screenshot = path.resolve('test-results', 'report.png')
    fs.rmSync(screenshot, { force: true })
    chromium([`--screenshot=${screenshot}`, '--window-size=1200,1600', '--hide-scrollbars', url])
    expect(fs.statSync(screenshot).size).toBeGreaterThan(10_000)
  })
})
