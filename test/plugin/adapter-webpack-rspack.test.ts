/**
 * webpack 5 and Rspack adapters, one suite run against each: real `compiler.run()` and
 * `compiler.watch()` builds of test/fixtures/webpack-rspack-app (a dynamic-import chunk, CSS, an
 * svg asset, contenthash names) in temp copies.
 */
import fs from 'node:fs'
import path from 'node:path'
import { rspack, type Configuration as RspackConfiguration } from '@rspack/core'
import webpack from 'webpack'
import { afterAll, describe, expect, it } from 'vitest'
import rspackPlugin from '../../plugins/rspack.js'
import webpackPlugin, { type Options } from '../../plugins/webpack.js'
import { cleanup, deletedFiles, fileStamps, occupy, reportQueue, tempApp, writtenFiles, type ReportQueue } from '../support/bundler-app.js'
import { diffTrees, snapshot } from '../support/tree.js'

/** The part of a compiler these tests drive; webpack's and Rspack's have the same shape. */
interface Stats {
  hasErrors(): boolean
  toString(): string
}
interface Compiler {
  run(callback: (error: Error | null, stats?: Stats) => void): void
  watch(options: { aggregateTimeout: number }, handler: () => void): { close(callback: () => void): void }
  close(callback: () => void): void
}

interface Bundler {
  name: string
  compiler(config: object): Compiler
  plugin(options: Options): unknown
  /** How CSS is enabled: webpack's `experiments.css`, Rspack's `css/auto` rule. */
  css: { experiments?: object; rules: object[] }
  /** The compilation error a syntax error gives in production and in development mode. */
  productionError: RegExp
  developmentError: RegExp
}

const bundlers: Bundler[] = [
  {
    name: 'webpack',
    compiler: (config) => webpack(config as webpack.Configuration) as unknown as Compiler,
    plugin: webpackPlugin,
    css: { experiments: { css: true }, rules: [] },
    productionError: /settings\.js[\s\S]*(SyntaxError|Unexpected token)/,
    developmentError: /settings\.js|Unexpected/,
  },
  {
    name: 'Rspack',
    compiler: (config) => rspack(config as RspackConfiguration) as unknown as Compiler,
    plugin: rspackPlugin,
    css: { rules: [{ test: /\.css$/, type: 'css/auto' }] },
    productionError: /settings\.js[\s\S]*parse error/,
    developmentError: /Module parse failed/,
  },
]

/**
 * The hooks a test plugin taps, typed once for both bundlers (`compiler.webpack` is Rspack's own
 * namespace under Rspack).
 */
interface TestCompiler {
  webpack: { Compilation: { PROCESS_ASSETS_STAGE_REPORT: number } }
  hooks: {
    thisCompilation: { tap(name: string, fn: (compilation: { hooks: { processAssets: { tap(options: { name: string; stage: number }, fn: () => void): void } } }) => void): void }
    assetEmitted: { tapPromise(name: string, fn: (file: string) => Promise<void>): void }
  }
}
interface TestPlugin {
  apply(compiler: TestCompiler): void
}

interface BuildOptions {
  mode?: 'production' | 'development'
  clean?: boolean
  plugins?: TestPlugin[]
  /** undefined: no emit-optimizer (the native build). */
  eo?: Options
}

const write = (dir: string, file: string, text: string): void => fs.writeFileSync(path.join(dir, 'src', file), text)

const made: string[] = []
afterAll(() => cleanup(made))

describe.each(bundlers.map((bundler) => [bundler.name, bundler] as const))('%s adapter', (_name, bundler) => {
  function app(): { dir: string; dist: string; queue: ReportQueue } {
    const dir = tempApp('webpack-rspack-app', made)
    return { dir, dist: path.join(dir, 'dist'), queue: reportQueue() }
  }

  function config(dir: string, options: BuildOptions): object {
    return {
      mode: options.mode ?? 'production',
      context: dir,
      entry: './src/index.js',
      devtool: false,
      output: { path: path.join(dir, 'dist'), filename: '[name].[contenthash:8].js', clean: options.clean ?? false },
      ...(bundler.css.experiments ? { experiments: bundler.css.experiments } : {}),
      module: { rules: [{ test: /\.svg$/, type: 'asset/resource' }, ...bundler.css.rules] },
      infrastructureLogging: { level: 'none' },
      plugins: [...(options.plugins ?? []), ...(options.eo ? [bundler.plugin({ summary: false, ...options.eo })] : [])],
    }
  }

  /** One `compiler.run()`: resolves with the stats, rejects with a fatal error. */
  function build(dir: string, options: BuildOptions): Promise<Stats> {
    const compiler = bundler.compiler(config(dir, options))
    return new Promise((resolve, reject) => {
      compiler.run((error, stats) => {
        compiler.close(() => (error ? reject(error) : resolve(stats!)))
      })
    })
  }

  it(`writes exactly what ${bundler.name} alone writes (paths, bytes, modes)`, async () => {
    const native = app()
    const ours = app()
    await build(native.dir, {})
    const stats = await build(ours.dir, { eo: { onReport: ours.queue.onReport } })
    expect(stats.hasErrors()).toBe(false)
    expect((await ours.queue.next()).status).toBe('committed')
    const expected = snapshot(native.dist)
    expect(expected.size).toBeGreaterThanOrEqual(5)
    expect(diffTrees(snapshot(ours.dist), expected)).toEqual([])
  })

  it('writes nothing on a rebuild without changes, and only the affected files after a change', async () => {
    const { dir, dist, queue } = app()
    const eo = { onReport: queue.onReport }
    await build(dir, { eo })
    await queue.next()
    const before = fileStamps(dist)

    await build(dir, { eo })
    const again = await queue.next()
    expect(again.status).toBe('committed')
    expect(again.result?.stats.written).toBe(0)
    expect(fileStamps(dist)).toEqual(before)

    write(dir, 'chart.js', `export function chart(values) {\n  return values.map((v) => '*'.repeat(v)).join('\\n')\n}\n`)
    const native = app()
    write(native.dir, 'chart.js', fs.readFileSync(path.join(dir, 'src/chart.js'), 'utf8'))
    await build(native.dir, {})
    await build(dir, { eo })
    const changed = await queue.next()
    const after = fileStamps(dist)
    const added = [...after.keys()].filter((file) => !before.has(file)).sort()
    const removed = [...before.keys()].filter((file) => !after.has(file)).sort()
    // The chunk and the runtime that names it; the CSS, the image and the other chunks stay.
    expect(added.length).toBeGreaterThanOrEqual(1)
    expect(writtenFiles(changed)).toEqual(added)
    expect(deletedFiles(changed)).toEqual(removed)
    for (const [file, stamp] of after) if (!added.includes(file)) expect(stamp).toBe(before.get(file))
    expect(diffTrees(snapshot(dist), snapshot(native.dist))).toEqual([])
  })

  describe('a failed build leaves the previous output whole and fails with the original error', () => {
    async function goodThenBad(options: BuildOptions, breakIt: (dir: string) => void) {
      const { dir, dist, queue } = app()
      fs.mkdirSync(dist)
      fs.writeFileSync(path.join(dist, 'keep-me.txt'), `not from ${bundler.name}`)
      await build(dir, { ...options, eo: { onReport: queue.onReport } })
      expect((await queue.next()).status).toBe('committed')
      const before = snapshot(dist)
      breakIt(dir)
      const outcome = await build(dir, { ...options, eo: { onReport: queue.onReport } }).then(
        (stats) => ({ stats, error: undefined }),
        (error: unknown) => ({ stats: undefined, error }),
      )
      const report = await queue.next()
      expect(report.status).toBe('rolled-back')
      expect(diffTrees(snapshot(dist), before)).toEqual([])
      return { outcome, report, dist }
    }
    const syntaxError = (dir: string): void => write(dir, 'settings.js', 'export const settings = {\n')

    it(`compilation error in production (${bundler.name} emits nothing)`, async () => {
      const { outcome } = await goodThenBad({}, syntaxError)
      expect(outcome.stats?.toString()).toMatch(bundler.productionError)
    })

    it(`compilation error in development mode (${bundler.name} would emit anyway)`, async () => {
      const { outcome, report } = await goodThenBad({ mode: 'development' }, syntaxError)
      expect(outcome.stats?.hasErrors()).toBe(true)
      expect(String(report.error)).toMatch(bundler.developmentError)
    })

    it('output.clean: true does not empty outDir before a failing build', async () => {
      const { dist } = await goodThenBad({ mode: 'development', clean: true }, syntaxError)
      // The first, good build's clean removed the foreign file at its commit.
      expect(fs.existsSync(path.join(dist, 'keep-me.txt'))).toBe(false)
    })

    it('an error in processAssets', async () => {
      let fail = false
      const thrower: TestPlugin = {
        apply(compiler) {
          compiler.hooks.thisCompilation.tap('thrower', (compilation) => {
            compilation.hooks.processAssets.tap({ name: 'thrower', stage: compiler.webpack.Compilation.PROCESS_ASSETS_STAGE_REPORT }, () => {
              if (fail) throw new Error('processAssets exploded')
            })
          })
        },
      }
      const { outcome } = await goodThenBad({ plugins: [thrower] }, () => {
        fail = true
      })
      const message = outcome.error instanceof Error ? outcome.error.message : outcome.stats?.toString()
      expect(message).toMatch(/processAssets exploded/)
    })

    it('a failing write (assetEmitted) after part of the files were written', async () => {
      let fail = false
      const failer: TestPlugin = {
        apply(compiler) {
          compiler.hooks.assetEmitted.tapPromise('failer', async (file) => {
            if (fail && file.endsWith('.css')) throw new Error(`EIO: write failed: ${file}`)
          })
        },
      }
      const { outcome } = await goodThenBad({ plugins: [failer] }, (dir) => {
        fail = true
        write(dir, 'style.css', 'body { color: red; }\n')
        write(dir, 'greet.js', 'export const greet = (name) => `Hi ${name}`\n')
      })
      expect(outcome.error).toBeInstanceOf(Error)
      expect((outcome.error as Error).message).toMatch(/EIO: write failed/)
    })

    it('our commit failing: reported through compilation.errors with its EO_ code', async () => {
      const { dir, dist, queue } = app()
      const native = app()
      await build(dir, { eo: { onReport: queue.onReport } })
      await queue.next()
      // Occupy the name of the next main chunk (known from a native build) with a directory.
      const greet = 'export const greet = (name) => `Hey ${name}`\n'
      write(native.dir, 'greet.js', greet)
      await build(native.dir, {})
      const main = fs.readdirSync(native.dist).find((file) => /^main\..*\.js$/.test(file))!
      occupy(path.join(dist, main))
      const before = snapshot(dist)
      write(dir, 'greet.js', greet)
      const stats = await build(dir, { eo: { onReport: queue.onReport } })
      const report = await queue.next()
      expect(report.status).toBe('rolled-back')
      expect(stats.hasErrors()).toBe(true)
      expect(stats.toString()).toMatch(/EO_OUTDIR_INVALID/)
      expect(diffTrees(snapshot(dist), before)).toEqual([])
    })
  })

  it('watch mode: each rebuild is one transaction (change, no change, broken, fixed)', async () => {
    const { dir, dist, queue } = app()
    const compiler = bundler.compiler(config(dir, { mode: 'development', eo: { onReport: queue.onReport } }))
    const watching = compiler.watch({ aggregateTimeout: 20 }, () => {})
    try {
      expect((await queue.next()).status).toBe('committed')
      const first = fileStamps(dist)

      write(dir, 'chart.js', 'export const chart = (values) => values.join(",")\n')
      const changed = await queue.next()
      expect(changed.status).toBe('committed')
      expect(changed.result!.stats.written).toBeGreaterThanOrEqual(1)
      expect(changed.result!.stats.unchanged).toBeGreaterThanOrEqual(2)
      const second = fileStamps(dist)
      for (const file of changed.result!.files) if (file.status === 'unchanged') expect(second.get(file.path)).toBe(first.get(file.path))

      write(dir, 'settings.js', fs.readFileSync(path.join(dir, 'src/settings.js'), 'utf8'))
      const same = await queue.next()
      expect(same.status).toBe('committed')
      expect(same.result!.stats.written).toBe(0)
      expect(fileStamps(dist)).toEqual(second)

      const good = snapshot(dist)
      write(dir, 'greet.js', 'export const greet = (name) => `Hello ${name\n')
      const broken = await queue.next()
      expect(broken.status).toBe('rolled-back')
      expect(diffTrees(snapshot(dist), good)).toEqual([])

      write(dir, 'greet.js', 'export const greet = (name) => `Hello, ${name}`\n')
      const fixed = await queue.next()
      expect(fixed.status).toBe('committed')
      const native = app()
      for (const file of ['chart.js', 'greet.js']) write(native.dir, file, fs.readFileSync(path.join(dir, 'src', file), 'utf8'))
      await build(native.dir, { mode: 'development' })
      expect(diffTrees(snapshot(dist), snapshot(native.dist))).toEqual([])
    } finally {
      await new Promise<void>((resolve) => watching.close(() => resolve()))
    }
  })
})
