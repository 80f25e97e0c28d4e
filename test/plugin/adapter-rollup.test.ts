/**
 * Rollup 4 adapter: real builds of test/fixtures/rollup-app (two entries, a dynamic-import chunk,
 * a CSS asset, three outputs: ESM + CJS sharing dist/, ESM in lib/), each in a temp copy.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { rollup, watch, type OutputOptions, type Plugin, type RollupOptions, type RollupWatcher, type RollupWatcherEvent } from 'rollup'
import { afterEach, describe, expect, it } from 'vitest'
import type { BuildReport } from '../../src/observe/types.js'
import { unplugin } from '../../src/adapters/unplugin.js'
import { cleanup, fileStamps, occupy, tempApp } from '../support/bundler-app.js'
import { diffTrees, snapshot, type Tree } from '../support/tree.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/rollup-app', import.meta.url))
const temps: string[] = []

afterEach(() => cleanup(temps))

const copyFixture = (): string => tempApp('rollup-app', temps)

/** Collects `import './x.css'` and emits them as one hashed asset, like a CSS plugin would. */
function cssAsset(): Plugin {
  const styles = new Map<string, string>()
  return {
    name: 'test-css',
    transform(code, id) {
      if (!id.endsWith('.css')) return null
      styles.set(id, code)
      return { code: 'export {}', map: null }
    },
    generateBundle() {
      this.emitFile({ type: 'asset', name: 'style.css', source: [...styles.values()].join('\n') })
      this.emitFile({ type: 'asset', fileName: 'meta.json', source: JSON.stringify({ entries: ['main', 'cli'] }) })
    },
  }
}

function outputs(dir: string): OutputOptions[] {
  return [
    { dir: path.join(dir, 'dist'), format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs', sourcemap: true },
    { dir: path.join(dir, 'dist'), format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs' },
    { dir: path.join(dir, 'lib'), format: 'es' },
  ]
}

interface Setup {
  plugin?: boolean
  extra?: Plugin[]
  reports?: BuildReport[]
}

function config(dir: string, setup: Setup = {}): RollupOptions & { output: OutputOptions[] } {
  const plugins: Plugin[] = [cssAsset(), ...(setup.extra ?? [])]
  if (setup.plugin !== false) plugins.push(unplugin.rollup({ summary: false, stateDir: path.join(dir, '.eo-state'), onReport: (report) => void setup.reports?.push(report) }) as Plugin)
  return { input: { main: path.join(dir, 'src/main.js'), cli: path.join(dir, 'src/cli.js') }, plugins, output: outputs(dir) }
}

/** What `rollup -c` does: every output written in parallel, then the bundle closed. */
async function build(dir: string, setup: Setup = {}): Promise<void> {
  const options = config(dir, setup)
  const bundle = await rollup(options)
  try {
    await Promise.all(options.output.map((output) => bundle.write(output)))
  } finally {
    await bundle.close()
  }
}

function trees(dir: string): { dist: Tree; lib: Tree } {
  return { dist: snapshot(path.join(dir, 'dist')), lib: snapshot(path.join(dir, 'lib')) }
}

function expectSameTrees(actual: { dist: Tree; lib: Tree }, expected: { dist: Tree; lib: Tree }): void {
  expect(diffTrees(actual.dist, expected.dist)).toEqual([])
  expect(diffTrees(actual.lib, expected.lib)).toEqual([])
}

const editChart = (dir: string): void => fs.writeFileSync(path.join(dir, 'src/chart.js'), "export function drawChart(values) {\n  return values.join(' | ')\n}\n")

describe('rollup adapter', () => {
  it('writes exactly what Rollup alone writes, paths, bytes and modes', async () => {
    const native = copyFixture()
    const withPlugin = copyFixture()
    const reports: BuildReport[] = []
    await build(native, { plugin: false })
    await build(withPlugin, { reports })

    const expected = trees(native)
    expect(expected.dist.size).toBeGreaterThan(8)
    expect([...expected.dist.keys()].some((file) => file.startsWith('assets/style-'))).toBe(true)
    expectSameTrees(trees(withPlugin), expected)
    // dist/ (ESM + CJS) commits together, lib/ separately.
    expect(reports.map((report) => [path.basename(report.outDir), report.status]).sort()).toEqual([
      ['dist', 'committed'],
      ['lib', 'committed'],
    ])
  })

  it('JS API: outputs written one after the other into one directory all end up there', async () => {
    const native = copyFixture()
    const dir = copyFixture()
    await build(native, { plugin: false })
    // No `output` in the options: each write() commits, recommitting the earlier outputs' files.
    const { output, ...input } = config(dir)
    const bundle = await rollup(input)
    for (const options of output) await bundle.write(options)
    await bundle.close()
    expectSameTrees(trees(dir), trees(native))
  })

  it('writes nothing on a second build without changes (mtimes and inodes kept)', async () => {
    const dir = copyFixture()
    await build(dir)
    const before = { dist: fileStamps(path.join(dir, 'dist')), lib: fileStamps(path.join(dir, 'lib')) }
    const reports: BuildReport[] = []
    await build(dir, { reports })
    expect(reports.map((report) => report.result?.stats.written)).toEqual([0, 0])
    expect(fileStamps(path.join(dir, 'dist'))).toEqual(before.dist)
    expect(fileStamps(path.join(dir, 'lib'))).toEqual(before.lib)
  })

  it('writes only the affected files after a change and deletes stale ones', async () => {
    const dir = copyFixture()
    const native = copyFixture()
    await build(dir)
    const before = snapshot(path.join(dir, 'dist'))
    const ids = fileStamps(path.join(dir, 'dist'))
    editChart(dir)
    editChart(native)
    const reports: BuildReport[] = []
    await build(dir, { reports })
    await build(native, { plugin: false })

    // A fresh native build of the changed source: same files; the old chart chunks are gone.
    const expected = trees(native)
    const stale = [...before.keys()].filter((file) => !expected.dist.has(file))
    expect(stale.length).toBeGreaterThan(0)
    expectSameTrees(trees(dir), expected)

    const after = snapshot(path.join(dir, 'dist'))
    const changed = [...after].filter(([file, entry]) => JSON.stringify(before.get(file)) !== JSON.stringify(entry)).map(([file]) => file)
    const dist = reports.find((report) => path.basename(report.outDir) === 'dist')
    expect(dist?.result?.stats.written).toBe(changed.length)
    expect(dist?.result?.stats.deleted).toBe(stale.length)
    expect(changed.length).toBeLessThan(after.size / 2)
    const now = fileStamps(path.join(dir, 'dist'))
    for (const [file, identity] of ids) if (!changed.includes(file) && !stale.includes(file)) expect(now.get(file), file).toBe(identity)
  })

  const failures: Array<[string, (dir: string) => Plugin[], RegExp]> = [
    ['resolve', (dir) => (fs.appendFileSync(path.join(dir, 'src/cli.js'), "import './missing.js'\n"), []), /missing\.js/],
    ['transform', () => [{ name: 'boom', transform: (_code, id) => (id.endsWith('shared.js') ? Promise.reject(new Error('transform boom')) : null) }], /transform boom/],
    ['renderChunk', () => [{ name: 'boom', renderChunk: (_code, chunk) => (chunk.name === 'chart' ? Promise.reject(new Error('renderChunk boom')) : null) }], /renderChunk boom/],
    ['generateBundle', () => [{ name: 'boom', generateBundle: (output) => (output.format === 'cjs' ? Promise.reject(new Error('generateBundle boom')) : undefined) }], /generateBundle boom/],
  ]
  for (const [phase, breaker, message] of failures) {
    it(`keeps the previous output whole when the build fails in ${phase}`, async () => {
      const dir = copyFixture()
      await build(dir)
      editChart(dir)
      const before = trees(dir)
      const reports: BuildReport[] = []
      await expect(build(dir, { reports, extra: breaker(dir) })).rejects.toThrow(message)
      expectSameTrees(trees(dir), before)
      expect(reports.length).toBeGreaterThan(0)
      for (const report of reports) expect(report.status).toBe('rolled-back')
      expect(reports.map((report) => path.basename(report.outDir))).toContain('dist')
    })
  }

  it('rolls back a commit whose write fails and fails the build with the EO code', async () => {
    const dir = copyFixture()
    await build(dir)
    editChart(dir)
    // A directory holding a file not ours where the new chart chunk must go: the commit is refused.
    const before = trees(dir)
    const reports: BuildReport[] = []
    const blocker: Plugin = {
      name: 'blocker',
      generateBundle(_output, bundle) {
        for (const file of Object.keys(bundle)) if (file.startsWith('chunks/chart-') && file.endsWith('.mjs')) occupy(path.join(dir, 'dist', file))
      },
    }
    await expect(build(dir, { reports, extra: [blocker] })).rejects.toThrow(/EO_/)
    // dist's file tree is the previous one plus the blocker's file. lib/ is another output
    // directory, committed separately: it is either untouched or its complete new build.
    const after = trees(dir)
    expect(diffTrees(after.dist, before.dist)).toEqual([expect.stringMatching(/^unexpected chunks\/chart-[\w-]+\.mjs\/not-ours\.txt /)])
    expect(reports.find((report) => path.basename(report.outDir) === 'dist')?.status).toBe('rolled-back')
    const lib = reports.find((report) => path.basename(report.outDir) === 'lib')
    if (lib?.status !== 'committed') expect(diffTrees(after.lib, before.lib)).toEqual([])
    else expect(lib.result?.stats.written).toBeGreaterThan(0)
  })

  it('watch mode: each rebuild one transaction; no change writes nothing; a broken rebuild keeps the last good output', async () => {
    const dir = copyFixture()
    const reports: BuildReport[] = []
    const watcher = watch({ ...config(dir, { reports }), watch: { buildDelay: 0 } })
    const events = eventQueue(watcher)
    try {
      await events.next('BUNDLE_END')
      const first = trees(dir)
      const ids = fileStamps(path.join(dir, 'dist'))

      // No change in content: the rebuild writes nothing.
      reports.length = 0
      fs.writeFileSync(path.join(dir, 'src/shared.js'), fs.readFileSync(path.join(dir, 'src/shared.js')))
      await events.next('BUNDLE_END')
      expect(reports.map((report) => report.result?.stats.written)).toEqual([0, 0])
      expect(fileStamps(path.join(dir, 'dist'))).toEqual(ids)

      // A change: only the affected files.
      reports.length = 0
      editChart(dir)
      await events.next('BUNDLE_END')
      const changed = reports.find((report) => path.basename(report.outDir) === 'dist')?.result?.stats
      expect(changed?.written).toBeGreaterThan(0)
      expect(changed?.written).toBeLessThan(first.dist.size / 2)
      expect(changed?.deleted).toBeGreaterThan(0)
      const good = trees(dir)

      // Broken: the last good output stays.
      reports.length = 0
      fs.writeFileSync(path.join(dir, 'src/chart.js'), 'export function drawChart( {\n')
      await events.next('ERROR')
      expectSameTrees(trees(dir), good)
      expect(reports.map((report) => report.status)).toEqual(['rolled-back', 'rolled-back'])

      // Fixed: back to a committed build equal to the first one.
      reports.length = 0
      fs.cpSync(path.join(FIXTURE, 'src/chart.js'), path.join(dir, 'src/chart.js'))
      await events.next('BUNDLE_END')
      expect(reports.map((report) => report.status)).toEqual(['committed', 'committed'])
      expectSameTrees(trees(dir), first)
    } finally {
      await watcher.close()
    }
  })
})

/** Watcher events in order; `next(code)` waits (bounded) for that event, failing on an unexpected end state. */
function eventQueue(watcher: RollupWatcher): { next(code: 'BUNDLE_END' | 'ERROR'): Promise<RollupWatcherEvent> } {
  const queue: RollupWatcherEvent[] = []
  let wake: (() => void) | undefined
  watcher.on('event', (event) => {
    // Close every result, as `rollup -w` does: that is what runs closeBundle.
    if ('result' in event && event.result) void event.result.close()
    if (event.code === 'BUNDLE_END' || event.code === 'ERROR') {
      queue.push(event)
      wake?.()
    }
  })
  return {
    async next(code) {
      const deadline = Date.now() + 20_000
      while (queue.length === 0) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${code}`)
        await new Promise<void>((resolve) => {
          wake = resolve
          setTimeout(resolve, 1000).unref()
        })
      }
      const event = queue.shift()!
      if (event.code !== code) throw new Error(`expected ${code}, got ${event.code}${event.code === 'ERROR' ? `: ${event.error.message}` : ''}`)
      return event
    },
  }
}
