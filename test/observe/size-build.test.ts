/**
 * Output sizes on real Vite builds through the plugin, in a real git repository: sizes equal
 * zlib's, only changed files are compressed, hashed renames are matched, the baseline is the
 * default branch's version, budgets fire (and do not), the Markdown parses into the expected
 * tables, the HTML report renders in headless Chromium, and the metrics carry the totals.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { marked } from 'marked'
import { build, type Logger, type Plugin } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { viteAdapter } from '../../src/adapters/vite.js'
import type { BuildSummary } from '../../src/observe/report-json.js'
import { isCompressible } from '../../src/observe/size/kinds.js'
import type { BuildReport } from '../../src/observe/types.js'
import { createPluginInstance, type PluginInstance } from '../../src/plugin/instance.js'
import type { Options } from '../../src/plugin/plugin-options.js'
import { requireBinary, skipReason } from '../support/binaries.js'
import { cleanup, fileStamps as stamps, tempApp as tempCopy } from '../support/bundler-app.js'

const CHROMIUM = '/usr/bin/chromium'
const repoRoot = path.resolve(import.meta.dirname, '../..')
const made: string[] = []
const CI_BRANCH_VARS = ['GITHUB_BASE_REF', 'CI_MERGE_REQUEST_TARGET_BRANCH_NAME', 'CI_DEFAULT_BRANCH', 'GITHUB_STEP_SUMMARY'] as const
const savedEnv = Object.fromEntries(CI_BRANCH_VARS.map((name) => [name, process.env[name]]))
let root = ''
let stepSummary = ''

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: root, encoding: 'utf8', stdio: 'pipe' }).trim()
}

beforeAll(() => {
  // This test decides the branch and the step summary file; the CI's own must not leak in.
  for (const name of CI_BRANCH_VARS) delete process.env[name]
  root = tempCopy('vite-app', made)
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'size-app' }))
  fs.writeFileSync(path.join(root, '.gitignore'), 'dist\nnode_modules\n')
  stepSummary = path.join(root, 'step-summary.md')
  process.env.GITHUB_STEP_SUMMARY = stepSummary
  git('init', '-q', '-b', 'main')
  git('add', '.')
  git('commit', '-q', '-m', 'first')
})
afterAll(() => {
  for (const name of CI_BRANCH_VARS) {
    if (savedEnv[name] === undefined) delete process.env[name]
    else process.env[name] = savedEnv[name]
  }
  cleanup(made)
})

/** The summary lines the plugin logged through vite's logger. */
const logged: string[] = []
const logger: Logger = {
  info: (message) => void (message.startsWith('emit-optimizer:') && logged.push(message)),
  warn: (message) => void (message.startsWith('emit-optimizer:') && logged.push(message)),
  warnOnce: () => {},
  error: () => {},
  clearScreen: () => {},
  hasErrorLogged: () => false,
  hasWarned: false,
}

/** A real `vite build` with the plugin (the same hooks unplugin.vite() returns); resolves with its report, also when vite rejects. */
async function viteBuild(options: Options = {}): Promise<BuildReport & { thrown?: unknown; instance: PluginInstance }> {
  let report: BuildReport | undefined
  const instance = createPluginInstance({ ...options, onReport: (r) => void (report = r) })
  const plugin = { name: 'unplugin-emit-optimizer', ...viteAdapter(instance) } as Plugin
  let thrown: unknown
  await build({ root, configFile: false, logLevel: 'silent', customLogger: logger, build: { sourcemap: true }, plugins: [plugin] }).catch((error: unknown) => {
    thrown = error
  })
  if (!report) throw thrown ?? new Error('no report')
  return Object.assign(report as BuildReport, { thrown, instance })
}

const dist = () => path.join(root, 'dist')
const sizesDir = (report: BuildReport) => path.join(report.result!.stateDir, 'sizes')
const written = (report: BuildReport) => report.result!.files.filter((f) => f.status === 'written').map((f) => f.path).sort()
const gzipOf = (bytes: Buffer) => zlib.gzipSync(bytes, { level: 6 }).length
const brotliOf = (bytes: Buffer) => zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }).length

/** Edits a module the way a developer would (code that ends up in the bundle) and commits it. */
function editModule(file: string, from: string, to: string): void {
  const abs = path.join(root, 'src', file)
  const text = fs.readFileSync(abs, 'utf8')
  expect(text).toContain(from)
  fs.writeFileSync(abs, text.replace(from, to))
  git('commit', '-q', '-am', `edit ${file}`)
}

describe('output sizes of real vite builds', () => {
  const reports: Record<string, BuildReport> = {}
  const coldBytes = new Map<string, Buffer>()

  it('a cold build measures every file: raw, gzip and brotli equal zlib at the CDN levels', async () => {
    const report = await viteBuild()
    reports.cold = report
    expect(report.status).toBe('committed')
    for (const file of report.sizes!.files) coldBytes.set(file.path, fs.readFileSync(path.join(dist(), file.path)))
    const sizes = report.sizes!
    const onDisk = (fs.readdirSync(dist(), { recursive: true }) as string[]).map((f) => f.split(path.sep).join('/')).filter((f) => fs.statSync(path.join(dist(), f)).isFile()).sort()
    expect(sizes.files.map((f) => f.path).sort()).toEqual(onDisk)
    expect(onDisk.filter((f) => /^assets\/.+-[\w-]{8}\.js$/.test(f)).length).toBeGreaterThanOrEqual(3)
    for (const file of sizes.files) {
      const bytes = fs.readFileSync(path.join(dist(), file.path))
      expect(file.raw, file.path).toBe(bytes.length)
      expect(file.gzip, file.path).toBe(isCompressible(file.path) ? gzipOf(bytes) : bytes.length)
      expect(file.brotli, file.path).toBe(isCompressible(file.path) ? brotliOf(bytes) : bytes.length)
    }
    const js = sizes.files.filter((f) => f.kind === 'js')
    expect(sizes.totals.js).toEqual({ files: js.length, raw: js.reduce((s, f) => s + f.raw, 0), gzip: js.reduce((s, f) => s + f.gzip!, 0), brotli: js.reduce((s, f) => s + f.brotli!, 0) })
    expect(sizes.totals.all.files).toBe(onDisk.length)
    expect(sizes.work).toMatchObject({ compressed: onDisk.length, cached: 0 })
    // Hashed and compressed while the commit ran (prepareSizes), not only after it.
    expect(sizes.work.overlappedMs).toBeGreaterThan(0)
    expect(sizes.previous).toBeNull()
    expect(sizes.baseline).toBeNull()
    expect(sizes.baselineWanted).toBe('main')
    const summary = JSON.parse(fs.readFileSync(path.join(report.result!.stateDir, 'reports', 'latest.json'), 'utf8')) as BuildSummary
    expect(summary.sizes).toEqual(JSON.parse(JSON.stringify(sizes)))
  })

  it('a no-change rebuild compresses nothing and rewrites no size file', async () => {
    const before = stamps(sizesDir(reports.cold!))
    const report = await viteBuild()
    reports.unchanged = report
    expect(report.result!.stats.written).toBe(0)
    const sizes = report.sizes!
    expect(sizes.work).toMatchObject({ compressed: 0, cached: sizes.files.length })
    expect(sizes.files).toEqual(reports.cold!.sizes!.files)
    expect(sizes.previous).toMatchObject({ changes: [], totals: { all: { raw: 0, gzip: 0, brotli: 0 } } })
    expect(stamps(sizesDir(report))).toEqual(before)
  })

  it('the summary line shows the total, gzip and the change since the previous build', () => {
    const all = reports.unchanged!.sizes!.totals.all
    const line = logged.at(-1)!
    expect(line).toMatch(/^emit-optimizer: 0 written · \d+ unchanged · 0 deleted · .* · output (\d+\.\d kB) \(gzip (\d+\.\d kB), ±0 B\) · committed$/)
    expect(line).toContain(`output ${(all.raw / 1000).toFixed(1)} kB (gzip ${(all.gzip! / 1000).toFixed(1)} kB, ±0 B)`)
  })

  it('a one-module change compresses exactly the files the commit wrote, and matches the renamed hashed files', async () => {
    git('checkout', '-q', '-b', 'feature')
    editModule('chart.js', "el.className = 'chart'", `el.className = ${JSON.stringify(Array.from({ length: 40 }, (_, i) => `chart-variant-${i}`).join(' '))}`)
    const report = await viteBuild()
    reports.feature = report
    const sizes = report.sizes!
    const files = written(report)
    expect(files.some((f) => /^assets\/chart-[\w-]{8}\.js$/.test(f))).toBe(true)
    expect(files.length).toBeLessThan(sizes.files.length)
    expect(sizes.work).toMatchObject({ compressed: files.length, cached: sizes.files.length - files.length })
    for (const file of sizes.files.filter((f) => files.includes(f.path))) {
      const bytes = fs.readFileSync(path.join(dist(), file.path))
      expect([file.gzip, file.brotli], file.path).toEqual([gzipOf(bytes), brotliOf(bytes)])
    }
    // Every renamed chunk (and its map) is one change with its old name, not a removal plus an addition.
    const previous = sizes.previous!
    const chart = previous.changes.find((c) => /^assets\/chart-[\w-]{8}\.js$/.test(c.path))!
    expect(chart).toMatchObject({ status: 'grown', kind: 'js' })
    expect(chart.from).toMatch(/^assets\/chart-[\w-]{8}\.js$/)
    expect(chart.from).not.toBe(chart.path)
    expect(reports.cold!.sizes!.files.some((f) => f.path === chart.from)).toBe(true)
    expect(previous.counts.added).toBe(0)
    expect(previous.counts.removed).toBe(0)
    expect(previous.changes.filter((c) => c.from !== undefined).length).toBeGreaterThanOrEqual(2)
    expect(previous.totals.js.raw).toBe(sizes.totals.js.raw - reports.cold!.sizes!.totals.js.raw)
    expect(previous.totals.js.raw).toBeGreaterThan(500)
    expect(previous.totals.js.gzip).toBe(sizes.totals.js.gzip! - reports.cold!.sizes!.totals.js.gzip!)
  })

  it("takes the default branch's version as the baseline, from a feature branch, build after build", async () => {
    const coldId = reports.cold!.sizes!.id
    const mainCommit = git('rev-parse', 'main')
    const first = reports.feature!.sizes!
    expect(first.baseline).toMatchObject({ label: `main (${mainCommit.slice(0, 7)})`, against: { id: coldId, git: { branch: 'main', commit: mainCommit } } })
    editModule('settings.js', "version: 1", "version: 2, extra: 'more settings'")
    const report = await viteBuild()
    reports.feature2 = report
    const sizes = report.sizes!
    expect(sizes.baseline!.against.id).toBe(coldId)
    expect(sizes.previous!.against.id).toBe(first.id)
    expect(sizes.previous!.against.git).toEqual({ branch: 'feature', commit: git('rev-parse', 'HEAD~1') })
    expect(sizes.baseline!.totals.all.raw).toBe(sizes.totals.all.raw - reports.cold!.sizes!.totals.all.raw)
    // A named baseline: the previous feature build by its version id.
    const named = await viteBuild({ sizes: { baseline: first.id } })
    expect(named.sizes!.baseline!.against.id).toBe(first.id)
  })

  it('each kind of budget fires when exceeded and not at its limit; failOnAlert fails the build, the output stays', async () => {
    const sizes = reports.feature2!.sizes!
    const chart = sizes.files.find((f) => /^assets\/chart-[\w-]{8}\.js$/.test(f.path))!
    const biggestJs = Math.max(...sizes.files.filter((f) => f.path.startsWith('assets/') && f.kind === 'js').map((f) => f.gzip!))
    const growth = sizes.baseline!.totals.all.gzip!
    const cases: Array<[Options['sizes'], number]> = [
      [{ budgets: [{ path: 'assets/*.js', maxGzip: biggestJs }] }, 0],
      [{ budgets: [{ path: 'assets/*.js', maxGzip: biggestJs - 1 }] }, 1],
      [{ budgets: [{ path: 'assets/chart-*.js', maxBytes: chart.raw - 1, maxBrotli: chart.brotli! - 1 }] }, 2],
      [{ budgets: [{ total: 'js', maxGzip: sizes.totals.js.gzip! }] }, 0],
      [{ budgets: [{ total: 'js', maxGzip: sizes.totals.js.gzip! - 1 }] }, 1],
      [{ budgets: [{ total: 'css', maxBytes: sizes.totals.css.raw - 1 }] }, 1],
      [{ budgets: [{ maxIncrease: growth }] }, 0],
      [{ budgets: [{ maxIncrease: growth - 1 }] }, 1],
      [{ budgets: [{ maxIncrease: '1000%' }] }, 0],
      [{ budgets: [{ maxIncrease: '0%' }] }, 1],
      // Against the previous build (identical output): no increase.
      [{ budgets: [{ maxIncrease: '0%', against: 'previous' }] }, 0],
    ]
    for (const [options, expected] of cases) {
      const report = await viteBuild({ sizes: options })
      const alerts = (report.alerts ?? []).filter((a) => a.rule === 'size-budget')
      expect(alerts, JSON.stringify(options)).toHaveLength(expected)
      expect(report.sizes!.budgets.every((b) => b.ok), JSON.stringify(options)).toBe(expected === 0)
    }
    const failing = await viteBuild({ sizes: { budgets: [{ total: 'all', maxBytes: 1000 }] }, failOnAlert: true })
    expect(failing.status).toBe('committed')
    expect(String(failing.thrown)).toContain('EO_ALERT')
    expect(String(failing.thrown)).toMatch(/all total raw \d+\.\d kB > 1\.0 kB/)
    expect(fs.existsSync(path.join(dist(), 'index.html'))).toBe(true)
  })

  it('emit-optimizer report --markdown prints tables a Markdown parser renders; the step summary got one per build', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'report', '--root', root, '--out', 'dist', ...args], { cwd: repoRoot, encoding: 'utf8' })
    const result = run('--markdown')
    expect(result.status, result.stderr).toBe(0)
    const summary = JSON.parse(fs.readFileSync(path.join(reports.feature2!.result!.stateDir, 'reports', 'latest.json'), 'utf8')) as BuildSummary
    const html = marked.parse(result.stdout, { async: false })
    const tables = [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((m) => [...m[1]!.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim())))
    expect(tables.length).toBeGreaterThanOrEqual(1)
    const [header, ...rows] = tables[0]!
    expect(header).toEqual(['kind', 'files', 'raw', 'gzip', 'brotli', 'Δ gzip vs previous', `Δ gzip vs ${summary.sizes!.baseline!.label}`])
    const total = rows.find((row) => row[0] === 'total')!
    expect(total[1]).toBe(String(summary.sizes!.totals.all.files))
    expect(total[3]).toBe(`${(summary.sizes!.totals.all.gzip! / 1000).toFixed(1)} kB`)
    expect(total[6]).toMatch(/^\+\d+(\.\d)? (B|kB) \(\+\d+\.\d %\)$/)
    expect(rows.map((row) => row[0])).toEqual(expect.arrayContaining(['js', 'css', 'html', 'images', 'other']))
    // The HTML entry's initial load, then the biggest changes.
    const [entryHeader, ...entryRows] = tables[1]!
    expect(entryHeader!.slice(0, 3)).toEqual(['entry', 'files', 'raw'])
    expect(entryRows.map((row) => row.slice(0, 2))).toEqual([['index.html', String(summary.sizes!.entries![0]!.files.length)]])
    expect(tables[2]![0]).toEqual(['file', 'status', 'gzip', 'Δ gzip'])
    expect(tables[2]!.slice(1).some((row) => /^assets\/chart-[\w-]{8}\.js \(was assets\/chart-[\w-]{8}\.js\)$/.test(row[0]!) && row[1] === 'grown')).toBe(true)
    expect(html).toContain(summary.status)
    // The text report has the output line too.
    const text = run()
    expect(text.stdout).toMatch(new RegExp(`^output +\\d+\\.\\d kB · gzip \\d+\\.\\d kB · brotli \\d+\\.\\d kB · .* vs previous · \\+\\d+(\\.\\d)? k?B vs ${summary.sizes!.baseline!.label.replace(/[()]/g, '\\$&')}$`, 'm'))
    // --baseline with a version id: compared with the cold main build.
    const named = run('--markdown', '--baseline', reports.cold!.sizes!.id)
    expect(named.status, named.stderr).toBe(0)
    expect(named.stdout).toContain(`vs main (${git('rev-parse', 'main').slice(0, 7)})`)
    const missing = run('--markdown', '--baseline', 'no-such-branch')
    expect(missing.status).toBe(2)
    expect(missing.stderr).toContain('no kept build matches the baseline "no-such-branch"')
    // Every build appended its section to $GITHUB_STEP_SUMMARY.
    const appended = fs.readFileSync(stepSummary, 'utf8')
    expect(appended.match(/^### emit-optimizer: size-app \(vite\)/gm)!.length).toBeGreaterThanOrEqual(Object.keys(reports).length + 11)
  })

  const ok = requireBinary('chromium', CHROMIUM)
  it.skipIf(!ok)(`the HTML report opens with sizes and deltas first, in headless Chromium${skipReason('chromium', ok)}`, async () => {
    // A fresh look at the feature build against main, without budgets in the way.
    const report = await viteBuild({ sizes: { budgets: [{ total: 'js', maxGzip: 100_000 }, { maxIncrease: '10%' }] } })
    const url = `file://${path.join(report.result!.stateDir, 'reports', 'latest.html')}`
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-chromium-'))
    made.push(profile)
    const chromium = (...args: string[]) => execFileSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 })
    const dom = chromium('--dump-dom', url)
    // Sizes come before the engine figures.
    expect(dom.indexOf('id="sizes"')).toBeGreaterThan(0)
    expect(dom.indexOf('id="sizes"')).toBeLessThan(dom.indexOf('<h2>Engine</h2>'))
    const sizes = report.sizes!
    const kinds = /<table id="size-kinds">[\s\S]*?<\/table>/.exec(dom)![0]
    const cells = (row: string) => [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''))
    const kindRows = [...kinds.matchAll(/<tr class="size-kind">([\s\S]*?)<\/tr>/g)].map((m) => cells(m[1]!))
    const jsRow = kindRows.find((row) => row[0] === 'js')!
    expect(jsRow.slice(1, 5)).toEqual([String(sizes.totals.js.files), `${(sizes.totals.js.raw / 1000).toFixed(1)} kB`, `${(sizes.totals.js.gzip! / 1000).toFixed(1)} kB`, `${(sizes.totals.js.brotli! / 1000).toFixed(1)} kB`])
    const totalRow = kindRows.find((row) => row[0] === 'total')!
    expect(totalRow[6]).toBe(`+${(sizes.baseline!.totals.all.gzip! / 1000).toFixed(1)} kB`.replace(/^\+(\d+\.\d) kB$/, (m, n: string) => (Number(n) < 1 ? `+${sizes.baseline!.totals.all.gzip} B` : m)))
    const entryRows = [.../<table id="size-entries">[\s\S]*?<\/table>/.exec(dom)![0].matchAll(/<tr class="size-entry">([\s\S]*?)<\/tr>/g)].map((m) => cells(m[1]!))
    expect(entryRows.map((row) => row.slice(0, 3))).toEqual([['index.html', String(sizes.entries![0]!.files.length), `${(sizes.entries![0]!.raw / 1000).toFixed(1)} kB`]])
    const byGzip = /<table id="size-files-by-compressed"[\s\S]*?<\/table>/.exec(dom)![0]
    const fileRows = [...byGzip.matchAll(/<tr class="size-file">([\s\S]*?)<\/tr>/g)].map((m) => cells(m[1]!))
    expect(fileRows).toHaveLength(sizes.files.length)
    expect(fileRows[0]![0]).toBe([...sizes.files].sort((a, b) => b.gzip! - a.gzip!)[0]!.path)
    const changes = /<table id="size-changes-baseline">[\s\S]*?<\/table>/.exec(dom)![0]
    expect(changes).toMatch(/assets\/chart-[\w-]{8}\.js<\/code> <span class="meta">was <code>assets\/chart-[\w-]{8}\.js/)
    expect(/<svg[^>]*id="size-bars"[\s\S]*?<\/svg>/.exec(dom)![0].match(/<g class="size-bar">/g)!.length).toBe(Math.min(25, sizes.files.length))
    expect(dom).toMatch(/<table id="size-budgets">[\s\S]*?✓ ok[\s\S]*?<\/table>/)
    // Files whose bytes changed at the same length are listed too (index.html: new chunk hashes), whether
    // or not their compressed sizes moved: compared with the cold build's bytes on disk.
    const sameLength = sizes.files.filter((f) => {
      const before = coldBytes.get(f.path)
      return before?.length === f.raw && !before.equals(fs.readFileSync(path.join(dist(), f.path)))
    })
    expect(sameLength.map((f) => f.path)).toContain('index.html')
    for (const file of sameLength) expect(changes).toContain(`<td><code>${file.path}</code></td><td>changed</td>`)
    expect(dom).not.toMatch(/<script/i)
    fs.mkdirSync('test-results', { recursive: true })
    const screenshot = path.resolve('test-results', 'size-report.png')
    fs.rmSync(screenshot, { force: true })
    chromium(`--screenshot=${screenshot}`, '--window-size=1100,1500', '--hide-scrollbars', url)
    expect(fs.statSync(screenshot).size).toBeGreaterThan(20_000)
  })

  it('emit_optimizer_output_bytes carries the totals by kind and compression, no file names', async () => {
    const report = await viteBuild()
    const text = await report.instance.observer.metrics('vite')!.registry.metrics()
    const lines = text.split('\n').filter((line) => line.startsWith('emit_optimizer_output_bytes{'))
    for (const kind of ['js', 'css', 'html', 'images', 'other'] as const) {
      for (const compression of ['raw', 'gzip', 'brotli'] as const) {
        const line = lines.find((l) => l.includes(`kind="${kind}"`) && l.includes(`compression="${compression}"`))
        expect(line, `${kind} ${compression}`).toBeDefined()
        expect(Number(line!.split(' ').at(-1)), `${kind} ${compression}`).toBe(report.sizes!.totals[kind][compression])
      }
    }
    // No fonts in this app: a measured 0, like every kind of a measured build.
    expect(lines.filter((l) => l.includes('kind="fonts"')).map((l) => l.split(' ').at(-1))).toEqual(['0', '0', '0'])
    expect(lines).toHaveLength(18)
    expect(text).not.toContain('assets/')
  })
})
