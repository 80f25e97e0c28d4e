/**
 * esbuild adapter: real builds of test/fixtures/esbuild-app (two entries, one with a hashbang,
 * code splitting with a dynamic import, CSS, an SVG through the file loader), each in a temp copy.
 */
import fs from 'node:fs'
import path from 'node:path'
import * as esbuild from 'esbuild'
import { afterEach, describe, expect, it } from 'vitest'
import type { BuildReport } from '../../src/observe/types.js'
import { unplugin } from '../../src/adapters/unplugin.js'
import { cleanup, fileStamps, occupy, tempApp } from '../support/bundler-app.js'
import { diffTrees, snapshot } from '../support/tree.js'

const temps: string[] = []

afterEach(() => cleanup(temps))

const copyFixture = (): string => tempApp('esbuild-app', temps)

interface Setup {
  plugin?: boolean
  reports?: BuildReport[]
  onReport?: (report: BuildReport) => void
  extra?: esbuild.Plugin[]
  write?: boolean
}

function options(dir: string, setup: Setup = {}): esbuild.BuildOptions {
  const plugins = [...(setup.extra ?? [])]
  if (setup.plugin !== false) {
    plugins.push(
      unplugin.esbuild({
        summary: false,
        onReport: (report) => {
          setup.reports?.push(report)
          setup.onReport?.(report)
        },
      }),
    )
  }
  return {
    absWorkingDir: dir,
    entryPoints: ['src/main.js', 'src/cli.js'],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    outdir: 'dist',
    sourcemap: true,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    assetNames: 'assets/[name]-[hash]',
    loader: { '.svg': 'file' },
    logLevel: 'silent',
    plugins,
    ...(setup.write === undefined ? {} : { write: setup.write }),
  }
}

const build = (dir: string, setup: Setup = {}): Promise<esbuild.BuildResult> => esbuild.build(options(dir, setup))
const dist = (dir: string): string => path.join(dir, 'dist')

const editChart = (dir: string, body = "values.join(' | ')"): void => fs.writeFileSync(path.join(dir, 'src/chart.js'), `export function drawChart(values) {\n  return ${body}\n}\n`)

describe('esbuild adapter', () => {
  it('writes exactly what esbuild alone writes, paths, bytes and modes', async () => {
    const native = copyFixture()
    const withPlugin = copyFixture()
    const reports: BuildReport[] = []
    const nativeResult = await build(native, { plugin: false })
    const result = await build(withPlugin, { reports })

    const expected = snapshot(dist(native))
    expect(expected.size).toBeGreaterThan(6)
    expect(expected.get('cli.js')).toMatchObject({ mode: 0o755 & ~process.umask() })
    expect(diffTrees(snapshot(dist(withPlugin)), expected)).toEqual([])
    expect(reports.map((report) => report.status)).toEqual(['committed'])
    // The result looks like a writing build's.
    expect(result.outputFiles).toBeUndefined()
    expect(Object.keys(result).sort()).toEqual(Object.keys(nativeResult).sort())
  })

  it('writes nothing on a second build without changes (mtimes and inodes kept)', async () => {
    const dir = copyFixture()
    await build(dir)
    const before = fileStamps(dist(dir))
    const reports: BuildReport[] = []
    await build(dir, { reports })
    expect(reports[0]?.result?.stats.written).toBe(0)
    expect(fileStamps(dist(dir))).toEqual(before)
  })

  it('writes only the affected files after a change and deletes stale ones', async () => {
    const dir = copyFixture()
    const native = copyFixture()
    await build(dir)
    const before = snapshot(dist(dir))
    const ids = fileStamps(dist(dir))
    editChart(dir)
    editChart(native)
    const reports: BuildReport[] = []
    await build(dir, { reports })
    await build(native, { plugin: false })

    const expected = snapshot(dist(native))
    const after = snapshot(dist(dir))
    expect(diffTrees(after, expected)).toEqual([])
    const stale = [...before.keys()].filter((file) => !expected.has(file))
    const changed = [...after].filter(([file, entry]) => JSON.stringify(before.get(file)) !== JSON.stringify(entry)).map(([file]) => file)
    expect(stale.length).toBeGreaterThan(0)
    expect(reports[0]?.result?.stats).toMatchObject({ written: changed.length, deleted: stale.length })
    expect(changed.length).toBeLessThan(after.size / 2)
    const now = fileStamps(dist(dir))
    for (const [file, identity] of ids) if (!changed.includes(file) && !stale.includes(file)) expect(now.get(file), file).toBe(identity)
  })

  const failures: Array<[string, (dir: string) => esbuild.Plugin[], RegExp]> = [
    ['resolve', (dir) => (fs.appendFileSync(path.join(dir, 'src/cli.js'), "import './missing.js'\n"), []), /missing\.js/],
    ['parse', (dir) => (editChart(dir, '('), []), /Unexpected|Expected/],
    [
      'a plugin (onLoad)',
      () => [{ name: 'boom', setup: (b) => b.onLoad({ filter: /shared\.js$/ }, () => Promise.reject(new Error('load boom'))) }],
      /load boom/,
    ],
  ]
  for (const [phase, breaker, message] of failures) {
    it(`keeps the previous output whole when the build fails in ${phase}`, async () => {
      const dir = copyFixture()
      await build(dir)
      editChart(dir)
      const extra = breaker(dir)
      const before = snapshot(dist(dir))
      const reports: BuildReport[] = []
      await expect(build(dir, { reports, extra })).rejects.toThrow(message)
      expect(diffTrees(snapshot(dist(dir)), before)).toEqual([])
      expect(reports.map((report) => report.status)).toEqual(['rolled-back'])
    })
  }

  it('rolls back a commit whose write fails and fails the build with the EO code', async () => {
    const dir = copyFixture()
    await build(dir)
    editChart(dir)
    // A directory holding a file not ours where the new chart chunk must go: the commit is refused.
    const planned = await build(dir, { plugin: false, write: false })
    const chunk = planned.outputFiles?.map((file) => path.relative(dist(dir), file.path)).find((file) => /^chunks\/chart-.*\.js$/.test(file) && !fs.existsSync(path.join(dist(dir), file)))
    expect(chunk).toBeDefined()
    occupy(path.join(dist(dir), chunk!))
    const before = snapshot(dist(dir))
    const reports: BuildReport[] = []
    await expect(build(dir, { reports })).rejects.toThrow(/EO_/)
    expect(diffTrees(snapshot(dist(dir)), before)).toEqual([])
    expect(reports.map((report) => report.status)).toEqual(['rolled-back'])
  })

  it('leaves a build with write: false to the user', async () => {
    const dir = copyFixture()
    const reports: BuildReport[] = []
    const result = await build(dir, { reports, write: false })
    expect(result.outputFiles?.length).toBeGreaterThan(0)
    expect(fs.existsSync(dist(dir))).toBe(false)
    expect(reports).toEqual([])
  })

  it('watch mode: each rebuild one transaction; no change writes nothing; a broken rebuild keeps the last good output', async () => {
    const dir = copyFixture()
    const reports = reportQueue()
    const ctx = await esbuild.context(options(dir, { onReport: reports.push }))
    try {
      await ctx.watch()
      expect((await reports.next()).status).toBe('committed')
      const ids = fileStamps(dist(dir))

      // No change: a rebuild writes nothing.
      await ctx.rebuild()
      expect((await reports.next()).result?.stats.written).toBe(0)
      expect(fileStamps(dist(dir))).toEqual(ids)

      // A change: only the affected files, stale ones deleted.
      editChart(dir)
      const changed = await reports.next()
      expect(changed.status).toBe('committed')
      expect(changed.result?.stats.written).toBeGreaterThan(0)
      expect(changed.result?.stats.written).toBeLessThan(ids.size / 2)
      expect(changed.result?.stats.deleted).toBeGreaterThan(0)
      const good = snapshot(dist(dir))

      // Broken: esbuild alone would delete the outputs; the last good output stays.
      editChart(dir, '(')
      expect((await reports.next()).status).toBe('rolled-back')
      expect(diffTrees(snapshot(dist(dir)), good)).toEqual([])

      // Fixed.
      editChart(dir, 'values.length')
      expect((await reports.next()).status).toBe('committed')
      const fixed = copyFixture()
      editChart(fixed, 'values.length')
      await build(fixed, { plugin: false })
      const expected = snapshot(dist(fixed))
      expect(diffTrees(snapshot(dist(dir)), expected)).toEqual([])
    } finally {
      await ctx.dispose()
    }
  })
})

/** Reports in order; `next()` waits (bounded) for the next one. */
function reportQueue(): { push(report: BuildReport): void; next(): Promise<BuildReport> } {
  const queue: BuildReport[] = []
  let wake: (() => void) | undefined
  return {
    push(report) {
      queue.push(report)
      wake?.()
    },
    async next() {
      const deadline = Date.now() + 20_000
      while (queue.length === 0) {
        if (Date.now() > deadline) throw new Error('timed out waiting for a build report')
        await new Promise<void>((resolve) => {
          wake = resolve
          setTimeout(resolve, 1000).unref()
        })
      }
      return queue.shift()!
    },
  }
}
