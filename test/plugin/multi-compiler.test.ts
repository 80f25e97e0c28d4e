/**
 * webpack and Rspack MultiCompilers in the shape of webpack's own `examples/multi-compiler`: two
 * compilers (`mobile`, `desktop`) building one entry into one output.path. Regression for the
 * silent data loss where each compiler committed on its own and the second commit deleted the
 * first one's output.
 */
import fs from 'node:fs'
import path from 'node:path'
import { rspack } from '@rspack/core'
import { afterAll, describe, expect, it } from 'vitest'
import webpack from 'webpack'
import rspackPlugin from '../../plugins/rspack.js'
import webpackPlugin from '../../plugins/webpack.js'
import type { Options } from '../../src/plugin/plugin-options.js'
import { formatSummary } from '../../src/observe/summary-line.js'
import type { BuildReport } from '../../src/observe/types.js'
import type { BuildSummary } from '../../src/observe/report-json.js'
import { fileStamps, reportQueue, tempApp, type ReportQueue } from '../support/bundler-app.js'
import { diffTrees, snapshot } from '../support/tree.js'

const temps: string[] = []
afterAll(() => temps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })))

function app(): { dir: string; dist: string; queue: ReportQueue } {
  const dir = tempApp('multi-compiler-app', temps)
  return { dir, dist: path.join(dir, 'dist'), queue: reportQueue() }
}

interface Shape {
  /** Output path per compiler, relative to the app (default: both `dist`). */
  paths?: { mobile: string; desktop: string }
  /** desktop waits for mobile (`dependencies`) and one compiler runs at a time (`parallelism: 1`). */
  sequential?: boolean
  mode?: 'production' | 'development'
  /** A plugin that fails this compiler's `make` hook: a fatal error, the MultiCompiler stops. */
  fatalIn?: 'mobile' | 'desktop'
  /** undefined: the native build. */
  eo?: Options
}

interface MultiLike {
  run(callback: (error: Error | null, stats?: { hasErrors(): boolean; toString(): string }) => void): void
  watch(options: object, callback: (error: Error | null) => void): { close(callback: () => void): void }
  close(callback: (error?: Error | null) => void): void
}

const bundlers = {
  webpack: {
    create: (configs: object[]) => webpack(configs as webpack.Configuration[]) as unknown as MultiLike,
    plugin: (options: Options) => webpackPlugin(options),
    define: (env: string) => new webpack.DefinePlugin({ ENV: JSON.stringify(env) }),
  },
  rspack: {
    create: (configs: object[]) => rspack(configs as Parameters<typeof rspack>[0] & unknown[]) as unknown as MultiLike,
    plugin: (options: Options) => rspackPlugin(options),
    define: (env: string) => new rspack.DefinePlugin({ ENV: JSON.stringify(env) }),
  },
}
type BundlerKey = keyof typeof bundlers

const fatalMake = {
  apply(compiler: { hooks: { make: { tapPromise(name: string, fn: () => Promise<void>): void } } }) {
    compiler.hooks.make.tapPromise('fatal', async () => {
      throw new Error('make exploded')
    })
  },
}

function configs(bundler: BundlerKey, dir: string, shape: Shape): object[] {
  const { plugin, define } = bundlers[bundler]
  const list: object[] = (['mobile', 'desktop'] as const).map((name) => ({
    name,
    mode: shape.mode ?? 'production',
    context: dir,
    entry: './example.js',
    devtool: false,
    output: { path: path.join(dir, shape.paths?.[name] ?? 'dist'), filename: `${name}.js`, chunkFilename: `${name}.[name].[contenthash:8].js` },
    infrastructureLogging: { level: 'none' },
    ...(shape.sequential && name === 'desktop' ? { dependencies: ['mobile'] } : {}),
    plugins: [define(name), ...(shape.fatalIn === name ? [fatalMake] : []), ...(shape.eo ? [plugin({ summary: false, ...shape.eo })] : [])],
  }))
  if (shape.sequential) Object.assign(list, { parallelism: 1 })
  return list
}

/** One `run()` of the whole MultiCompiler. */
function build(bundler: BundlerKey, dir: string, shape: Shape): Promise<{ error: Error | null; hasErrors: boolean; text: string }> {
  const compiler = bundlers[bundler].create(configs(bundler, dir, shape))
  return new Promise((resolve) => {
    compiler.run((error, stats) => {
      compiler.close(() => resolve({ error, hasErrors: stats?.hasErrors() ?? true, text: `${error?.message ?? ''}${stats?.toString() ?? ''}` }))
    })
  })
}

/**
 * The next report of a watch rebuild that did something: webpack's watcher may rebuild once more
 * for a file written right after the previous build started; such a rebuild writes nothing.
 */
async function nextChange(queue: ReportQueue): Promise<BuildReport> {
  for (;;) {
    const report = await queue.next()
    if (report.status !== 'committed' || report.result!.stats.written > 0 || report.result!.stats.deleted > 0) return report
  }
}

/** Every report the builds produced so far (the queue holds them in order). */
const drain = (queue: ReportQueue): BuildReport[] => queue.all.splice(0)

describe.each(['webpack', 'rspack'] as const)('%s MultiCompiler', (bundler) => {
  it('two compilers, one output.path: the output is exactly the native one, committed once, and named', async () => {
    const native = app()
    await build(bundler, native.dir, {})
    const expected = snapshot(native.dist)
    expect([...expected.keys()].filter((file) => !file.includes('.')).length).toBe(0)
    expect([...expected.keys()].some((file) => file === 'mobile.js') && [...expected.keys()].some((file) => file === 'desktop.js')).toBe(true)

    const ours = app()
    for (let run = 0; run < 3; run++) {
      const outcome = await build(bundler, ours.dir, { eo: { onReport: ours.queue.onReport } })
      expect(outcome.hasErrors, outcome.text).toBe(false)
      expect(diffTrees(snapshot(ours.dist), expected)).toEqual([])
      const reports = drain(ours.queue)
      expect(reports.map((report) => report.status)).toEqual(['committed'])
      expect(reports[0]!.target).toBe('mobile+desktop → dist')
      expect(formatSummary(reports[0]!)).toMatch(/^emit-optimizer \(mobile\+desktop → dist\): /)
      if (run > 0) expect(reports[0]!.result!.stats.written).toBe(0)
    }
  })

  it('a rebuild without changes touches no file; a change to one compiler writes only its files', async () => {
    const ours = app()
    const eo = { onReport: ours.queue.onReport }
    await build(bundler, ours.dir, { eo })
    drain(ours.queue)
    const before = fileStamps(ours.dist)
    await build(bundler, ours.dir, { eo })
    expect(fileStamps(ours.dist)).toEqual(before)

    fs.writeFileSync(path.join(ours.dir, 'mobile-stuff.js'), "export const touch = { pointer: 'fine' }\nconsole.log('mobile', touch)\n")
    const native = app()
    fs.copyFileSync(path.join(ours.dir, 'mobile-stuff.js'), path.join(native.dir, 'mobile-stuff.js'))
    await build(bundler, native.dir, {})
    drain(ours.queue)
    await build(bundler, ours.dir, { eo })
    const [report] = drain(ours.queue)
    expect(report!.status).toBe('committed')
    expect(diffTrees(snapshot(ours.dist), snapshot(native.dist))).toEqual([])
    const after = fileStamps(ours.dist)
    // desktop.js does not load mobile-stuff: untouched.
    expect(after.get('desktop.js')).toBe(before.get('desktop.js'))
    const written = report!.result!.files.filter((file) => file.status === 'written').map((file) => file.path)
    expect(written.length).toBeGreaterThan(0)
    expect(written.every((file) => file.startsWith('mobile'))).toBe(true)
  })

  it('dependencies + parallelism 1 (desktop runs after mobile): one commit after both, equal to native', async () => {
    const native = app()
    await build(bundler, native.dir, { sequential: true })
    const ours = app()
    for (let run = 0; run < 2; run++) {
      const outcome = await build(bundler, ours.dir, { sequential: true, eo: { onReport: ours.queue.onReport } })
      expect(outcome.hasErrors, outcome.text).toBe(false)
      expect(drain(ours.queue).map((report) => `${report.status} ${report.target}`)).toEqual(['committed mobile+desktop → dist'])
      expect(diffTrees(snapshot(ours.dist), snapshot(native.dist))).toEqual([])
    }
  })

  it.each([false, true])('one compiler failing keeps all of the shared dir as it was (sequential: %s)', async (sequential) => {
    const ours = app()
    const eo = { onReport: ours.queue.onReport }
    await build(bundler, ours.dir, { sequential, eo })
    const { stateDir } = drain(ours.queue)[0]!.result!
    const before = snapshot(ours.dist)
    const stamps = fileStamps(ours.dist)
    fs.writeFileSync(path.join(ours.dir, 'example.js'), fs.readFileSync(path.join(ours.dir, 'example.js'), 'utf8').replace("import { greet } from './shared.js'", "import { greet } from './shared.js'\nif (ENV === 'desktop') { const broken = ; }"))
    const outcome = await build(bundler, ours.dir, { sequential, eo })
    expect(outcome.hasErrors).toBe(true)
    const reports = drain(ours.queue)
    expect(reports.map((report) => report.status)).toEqual(['rolled-back'])
    expect(String(reports[0]!.error)).toMatch(/example\.js|Unexpected token|Expression expected/i)
    expect(diffTrees(snapshot(ours.dist), before)).toEqual([])
    expect(fileStamps(ours.dist)).toEqual(stamps)
    // The rolled-back report counts what outDir still holds, not 0.
    const latest = JSON.parse(fs.readFileSync(path.join(stateDir, 'reports', 'latest.json'), 'utf8')) as BuildSummary
    expect(latest.status).toBe('rolled-back')
    expect(latest.files.total).toBe(before.size)
  })

  it('a fatal error in the first of two sequential compilers (the second never runs) keeps the dir and reports rolled-back', async () => {
    const ours = app()
    const eo = { onReport: ours.queue.onReport }
    await build(bundler, ours.dir, { sequential: true, eo })
    drain(ours.queue)
    const before = snapshot(ours.dist)
    const stamps = fileStamps(ours.dist)
    fs.writeFileSync(path.join(ours.dir, 'shared.js'), 'export const greet = (env) => `Hi ${env}`\n')
    const outcome = await build(bundler, ours.dir, { sequential: true, eo, fatalIn: 'mobile' })
    expect(outcome.error?.message).toMatch(/make exploded/)
    const reports = drain(ours.queue)
    expect(reports.map((report) => report.status)).toEqual(['rolled-back'])
    expect(diffTrees(snapshot(ours.dist), before)).toEqual([])
    expect(fileStamps(ours.dist)).toEqual(stamps)
  })

  it('different output paths commit separately, each summary naming its compiler and dir', async () => {
    const paths = { mobile: 'dist/m', desktop: 'public' }
    const native = app()
    await build(bundler, native.dir, { paths })
    const ours = app()
    const outcome = await build(bundler, ours.dir, { paths, eo: { onReport: ours.queue.onReport } })
    expect(outcome.hasErrors, outcome.text).toBe(false)
    const reports = drain(ours.queue)
    expect(reports.map((report) => `${report.status} ${report.target}`).sort()).toEqual(['committed desktop → public', 'committed mobile → dist/m'])
    // dist/m's owner marker sits beside it, in dist/ (engine state of the outDir dist/m, like its lock).
    const withoutMarker = (tree: ReturnType<typeof snapshot>) => new Map([...tree].filter(([file]) => file !== '.m.eo-owner.json'))
    expect(snapshot(path.join(ours.dir, 'dist')).has('.m.eo-owner.json')).toBe(true)
    for (const dir of ['dist', 'public']) expect(diffTrees(withoutMarker(snapshot(path.join(ours.dir, dir))), snapshot(path.join(native.dir, dir)))).toEqual([])
  })

  it('nested output paths (dist and dist/m) commit together to the outer one', async () => {
    const paths = { mobile: 'dist/m', desktop: 'dist' }
    const native = app()
    await build(bundler, native.dir, { paths })
    const ours = app()
    for (let run = 0; run < 2; run++) {
      await build(bundler, ours.dir, { paths, eo: { onReport: ours.queue.onReport } })
      expect(drain(ours.queue).map((report) => `${report.status} ${report.target}`)).toEqual(['committed mobile+desktop → dist'])
      expect(diffTrees(snapshot(ours.dist), snapshot(native.dist))).toEqual([])
    }
  })

  it('watch mode: a change seen by one compiler commits the union; the other keeps its files untouched', async () => {
    const ours = app()
    const compiler = bundlers[bundler].create(configs(bundler, ours.dir, { mode: 'development', eo: { onReport: ours.queue.onReport } }))
    const watching = compiler.watch({ aggregateTimeout: 20 }, () => {})
    try {
      const first = await ours.queue.next()
      expect(`${first.status} ${first.target}`).toBe('committed mobile+desktop → dist')
      const stamps = fileStamps(ours.dist)

      fs.writeFileSync(path.join(ours.dir, 'mobile-stuff.js'), "export const touch = { pointer: 'fine' }\nconsole.log('mobile', touch)\n")
      const changed = await nextChange(ours.queue)
      expect(changed.status).toBe('committed')
      // Which compilers rebuild is the watcher's call (webpack's may also wake the sibling when the
      // change lands within its first timestamp scan); ours is that the commit covers both outputs.
      expect(['mobile → dist', 'mobile+desktop → dist']).toContain(changed.target)
      expect(fileStamps(ours.dist).get('desktop.js')).toBe(stamps.get('desktop.js'))
      const native = app()
      fs.copyFileSync(path.join(ours.dir, 'mobile-stuff.js'), path.join(native.dir, 'mobile-stuff.js'))
      await build(bundler, native.dir, { mode: 'development' })
      expect(diffTrees(snapshot(ours.dist), snapshot(native.dist))).toEqual([])

      const good = snapshot(ours.dist)
      fs.writeFileSync(path.join(ours.dir, 'mobile-stuff.js'), 'export const touch = {\n')
      const broken = await nextChange(ours.queue)
      expect(broken.status).toBe('rolled-back')
      expect(diffTrees(snapshot(ours.dist), good)).toEqual([])
    } finally {
      await new Promise<void>((resolve) => watching.close(() => resolve()))
    }
  })
})
