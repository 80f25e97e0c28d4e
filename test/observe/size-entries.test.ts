/**
 * Entry points' initial-load totals on real builds through the plugin (Vite, Rollup, webpack and
 * Rspack, esbuild). The expected files are derived from the output itself, not from the bundler's
 * graph: the `<script>`/`<link>` tags of the HTML, the static `import`/`export … from` statements of
 * the emitted JS followed file by file, the assets those files name, marker strings of the source
 * modules. Totals are checked against zlib; an entry budget fires above its limit, not at it.
 */
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { rspack, type Configuration as RspackConfiguration } from '@rspack/core'
import * as esbuild from 'esbuild'
import { rolldown, type Plugin as RolldownPlugin } from 'rolldown'
import { rollup, type Plugin as RollupPlugin } from 'rollup'
import { build as viteBuild, type Plugin as VitePlugin } from 'vite'
import webpack from 'webpack'
import { afterAll, describe, expect, it } from 'vitest'
import { viteAdapter } from '../../src/adapters/vite.js'
import { unplugin } from '../../src/adapters/unplugin.js'
import type { EntrySizes } from '../../src/observe/size/entries.js'
import type { BuildReport } from '../../src/observe/types.js'
import { createPluginInstance } from '../../src/plugin/instance.js'
import type { Options } from '../../src/plugin/plugin-options.js'
import rspackPlugin from '../../plugins/rspack.js'
import rolldownPlugin from '../../plugins/rolldown.js'
import webpackPlugin from '../../plugins/webpack.js'
import { cleanup, tempApp } from '../support/bundler-app.js'

const made: string[] = []
afterAll(() => cleanup(made))

/** `import … from "x"`, `import "x"`, `export … from "x"`; not `import("x")`. */
const STATIC_IMPORT = /(?:^|[^\w$.])(?:import|export)\s*(?:[\w$*{}\s,]*?from\s*)?["']([^"']+)["']/g

/** `start` and every file its JS statically imports, transitively (specifiers resolved like a browser, against the importer). */
function staticClosure(dist: string, start: string[]): string[] {
  const seen = new Set(start)
  for (const file of seen) {
    if (!/\.[cm]?js$/.test(file)) continue
    for (const [, spec] of fs.readFileSync(path.join(dist, file), 'utf8').matchAll(STATIC_IMPORT)) {
      if (!spec!.startsWith('.') && !spec!.startsWith('/')) continue
      const target = spec!.startsWith('/') ? spec!.slice(1) : path.posix.join(path.posix.dirname(file), spec!)
      if (fs.existsSync(path.join(dist, target))) seen.add(target)
    }
  }
  return [...seen]
}

/** The non-code files of `dist` whose name the JS among `files` mentions (an imported image's URL). */
function namedAssets(dist: string, files: readonly string[]): string[] {
  const text = files
    .filter((f) => /\.[cm]?js$/.test(f))
    .map((f) => fs.readFileSync(path.join(dist, f), 'utf8'))
    .join('\n')
  return filesIn(dist).filter((f) => !/\.([cm]?js|css|html|map)$/.test(f) && text.includes(path.posix.basename(f)))
}

/** Every file under `dir`, posix, relative. */
const filesIn = (dir: string): string[] =>
  (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => f.split(path.sep).join('/')).filter((f) => fs.statSync(path.join(dir, f)).isFile())

/** raw, gzip 6 and brotli 4 of the files on disk, summed (the CDN levels the sizes default to). */
function zlibTotals(dist: string, files: readonly string[]): { raw: number; gzip: number; brotli: number } {
  const total = { raw: 0, gzip: 0, brotli: 0 }
  for (const file of files) {
    const bytes = fs.readFileSync(path.join(dist, file))
    total.raw += bytes.length
    total.gzip += zlib.gzipSync(bytes, { level: 6 }).length
    total.brotli += zlib.brotliCompressSync(bytes, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }).length
  }
  return total
}

const sorted = (files: readonly string[]): string[] => [...files].sort()
const entry = (report: BuildReport, name: string): EntrySizes => {
  const found = report.sizes?.entries?.find((e) => e.name === name)
  if (!found) throw new Error(`no entry ${name} in ${JSON.stringify(report.sizes?.entries?.map((e) => e.name))}`)
  return found
}

describe('Vite: an HTML entry', () => {
  it('counts the page, the script it loads, its static imports and the CSS it links; the dynamic imports are not counted', async () => {
    const root = tempApp('vite-app', made)
    let report: BuildReport | undefined
    const instance = createPluginInstance({ summary: false, onReport: (r) => void (report = r) })
    const plugin = { name: 'unplugin-emit-optimizer', ...viteAdapter(instance) } as VitePlugin
    await viteBuild({ root, configFile: false, logLevel: 'silent', plugins: [plugin] })
    const dist = path.join(root, 'dist')
    expect(report?.status).toBe('committed')

    const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8')
    const tags = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="(?:stylesheet|modulepreload)"[^>]*\shref)="\/([^"]+)"/g)].map((m) => m[1]!)
    const closure = staticClosure(dist, tags)
    const expected = sorted(['index.html', ...closure, ...namedAssets(dist, closure)])
    const index = entry(report!, 'index.html')
    expect(sorted(index.files)).toEqual(expected)
    expect(expected.some((f) => f.endsWith('.css'))).toBe(true)
    // The click- and await-loaded chunks (chart with its CSS, settings) exist but are not initial.
    const dynamic = filesIn(dist).filter((f) => /assets\/(chart|settings)-/.test(f))
    expect(dynamic.length).toBeGreaterThanOrEqual(3)
    for (const file of dynamic) expect(index.files).not.toContain(file)
    expect(report!.sizes!.entries!.map((e) => e.name)).toEqual(['index.html'])
    expect({ raw: index.raw, gzip: index.gzip, brotli: index.brotli }).toEqual(zlibTotals(dist, expected))
  })
})

describe('Rollup: two entries sharing a chunk', () => {
  const cssStub: RollupPlugin = { name: 'css-stub', transform: (code, id) => (id.endsWith('.css') ? { code: 'export {}', map: null } : null) }

  async function build(dir: string, options: Options): Promise<BuildReport> {
    const reports: BuildReport[] = []
    const bundle = await rollup({
      input: { main: path.join(dir, 'src/main.js'), cli: path.join(dir, 'src/cli.js') },
      plugins: [cssStub, unplugin.rollup({ summary: false, ...options, onReport: (r) => void reports.push(r) }) as RollupPlugin],
    })
    try {
      await bundle.write({ dir: path.join(dir, 'dist'), format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' })
    } finally {
      await bundle.close()
    }
    expect(reports.map((r) => r.status)).toEqual(['committed'])
    return reports[0]!
  }

  it('each entry counts its own chunk and the shared one, not the dynamic import; totals and deltas equal zlib; a budget fires above its limit only', async () => {
    const dir = tempApp('rollup-app', made)
    const dist = path.join(dir, 'dist')
    const first = await build(dir, {})
    const main = staticClosure(dist, ['main.js'])
    const cli = staticClosure(dist, ['cli.js'])
    const shared = main.filter((f) => cli.includes(f) && f.startsWith('chunks/'))
    expect(shared).toHaveLength(1)
    expect(sorted(entry(first, 'main').files)).toEqual(sorted(main))
    expect(sorted(entry(first, 'cli').files)).toEqual(sorted(cli))
    const chart = filesIn(dist).filter((f) => f.startsWith('chunks/chart-'))
    expect(chart).toHaveLength(1)
    expect(entry(first, 'main').files).not.toContain(chart[0])
    const before = zlibTotals(dist, main)
    expect(entry(first, 'main')).toMatchObject({ ...before, previous: null, baseline: null })

    // The shared module grows: both entries grow by what the shared chunk grew, against the previous build.
    fs.writeFileSync(path.join(dir, 'src/shared.js'), 'export function greet(name) {\n  return `Hello, ${name}! Welcome back, ${name.toUpperCase()}.`\n}\n')
    const second = await build(dir, { sizes: { budgets: [{ entry: 'main', maxGzip: 0 }] } })
    const now = zlibTotals(dist, staticClosure(dist, ['main.js']))
    expect(entry(second, 'main')).toMatchObject({
      ...now,
      previous: { raw: now.raw - before.raw, gzip: now.gzip - before.gzip, brotli: now.brotli - before.brotli },
    })
    expect(entry(second, 'main').previous!.raw).toBeGreaterThan(0)
    expect(entry(second, 'cli').previous!.raw).toBe(entry(second, 'main').previous!.raw)

    // At the limit: quiet; one byte below: an alert, like the other budgets.
    const third = await build(dir, {
      sizes: {
        budgets: [
          { entry: 'main', maxGzip: now.gzip },
          { entry: 'cli', maxBrotli: zlibTotals(dist, staticClosure(dist, ['cli.js'])).brotli - 1 },
        ],
      },
    })
    expect(third.sizes!.budgets.map((b) => b.ok)).toEqual([true, false])
    expect(third.alerts).toEqual([expect.objectContaining({ rule: 'size-budget', message: expect.stringMatching(/^entry cli initial load brotli .* > /) })])
    expect(second.alerts?.map((a) => a.message)).toEqual([expect.stringMatching(/^entry main initial load gzip/)])
  })
})

describe('Rolldown: an entry with static and dynamic imports', () => {
  it('counts the entry chunk and its static imports, not the chunks it imports dynamically', async () => {
    const root = tempApp('rolldown-app', made)
    const dist = path.join(root, 'dist')
    let report: BuildReport | undefined
    const plugin = rolldownPlugin({ summary: false, onReport: (r) => void (report = r) }) as RolldownPlugin
    const bundle = await rolldown({
      cwd: root,
      input: { main: path.join(root, 'src/main.js') },
      moduleTypes: { '.svg': 'asset', '.css': 'asset' },
      logLevel: 'silent',
      plugins: [plugin],
    })
    try {
      await bundle.write({ dir: dist, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' })
    } finally {
      await bundle.close()
    }
    expect(report?.status).toBe('committed')
    const main = entry(report!, 'main')
    expect(sorted(main.files)).toEqual(sorted(staticClosure(dist, ['main.js'])))
    const dynamic = filesIn(dist).filter((f) => /^chunks\/(chart|settings)-/.test(f))
    expect(dynamic).toHaveLength(2)
    for (const file of dynamic) expect(main.files).not.toContain(file)
    expect({ raw: main.raw, gzip: main.gzip, brotli: main.brotli }).toEqual(zlibTotals(dist, main.files))
  })
})

describe.each([
  {
    name: 'webpack',
    compiler: (c: object) => webpack(c as webpack.Configuration),
    plugin: webpackPlugin,
    css: { experiments: { css: true }, rules: [] as object[] },
  },
  {
    name: 'Rspack',
    compiler: (c: object) => rspack(c as RspackConfiguration),
    plugin: rspackPlugin,
    css: { rules: [{ test: /\.css$/, type: 'css/auto' }] as object[] },
  },
])('$name: an entry with a split chunk and CSS', ({ compiler, plugin, css }) => {
  it('counts the runtime, the entry chunk, the split chunk and the CSS; not the dynamic chunks', async () => {
    const dir = tempApp('webpack-rspack-app', made)
    const dist = path.join(dir, 'dist')
    let report: BuildReport | undefined
    const config = {
      mode: 'production',
      context: dir,
      entry: { main: './src/index.js' },
      devtool: false,
      output: {
        path: dist,
        filename: '[name].[contenthash:8].js',
        chunkFilename: 'chunk-[name].[contenthash:8].js',
        cssFilename: '[name].[contenthash:8].css',
      },
      ...(css.experiments ? { experiments: css.experiments } : {}),
      module: { rules: [{ test: /\.svg$/, type: 'asset/resource' }, ...css.rules] },
      optimization: {
        runtimeChunk: 'single',
        splitChunks: { chunks: 'all', minSize: 0, cacheGroups: { greet: { test: /greet\.js$/, name: 'greet', chunks: 'initial', enforce: true } } },
      },
      infrastructureLogging: { level: 'none' },
      plugins: [plugin({ summary: false, onReport: (r) => void (report = r) })],
    }
    const c = compiler(config) as unknown as { run(cb: (e: Error | null) => void): void; close(cb: () => void): void }
    await new Promise<void>((resolve, reject) => c.run((error) => c.close(() => (error ? reject(error) : resolve()))))
    expect(report?.status).toBe('committed')

    // What the page must load before main runs: the files holding a statically imported module
    // (index.js, greet.js, style.css, by a string each holds) and the runtime they all need.
    const all = filesIn(dist)
    const holds = (marker: string) => all.filter((f) => /\.(js|css)$/.test(f) && fs.readFileSync(path.join(dist, f), 'utf8').includes(marker))
    const runtime = all.filter((f) => f.startsWith('runtime.'))
    const expected = sorted([...new Set([...runtime, ...holds('"webpack"'), ...holds('Hello from'), ...holds('system-ui')])])
    expect(runtime).toHaveLength(1)
    expect(expected.filter((f) => f.startsWith('greet.'))).toHaveLength(1)
    expect(expected.filter((f) => f.endsWith('.css'))).toHaveLength(1)
    const main = entry(report!, 'main')
    expect(sorted(main.files)).toEqual(expected)
    const dynamic = all.filter((f) => f.startsWith('chunk-'))
    expect(dynamic.length).toBeGreaterThanOrEqual(2)
    for (const file of dynamic) expect(main.files).not.toContain(file)
    expect({ raw: main.raw, gzip: main.gzip, brotli: main.brotli }).toEqual(zlibTotals(dist, expected))
  })
})

describe('esbuild: entries from the metafile', () => {
  const options = (dir: string, eo: Options, metafile?: boolean): esbuild.BuildOptions => ({
    absWorkingDir: dir,
    entryPoints: ['src/main.js', 'src/cli.js'],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    outdir: 'dist',
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    assetNames: 'assets/[name]-[hash]',
    loader: { '.svg': 'file' },
    logLevel: 'silent',
    ...(metafile === undefined ? {} : { metafile }),
    plugins: [unplugin.esbuild({ summary: false, ...eo })],
  })

  it('counts each entry, its static chunks, its CSS bundle and the assets they name; the metafile stays the user’s choice', async () => {
    const dir = tempApp('esbuild-app', made)
    const dist = path.join(dir, 'dist')
    let report: BuildReport | undefined
    const result = await esbuild.build(options(dir, { onReport: (r) => void (report = r) }))
    expect(report?.status).toBe('committed')
    expect(result.metafile).toBeUndefined()

    // The JS closure, the CSS esbuild names after the entry, and the assets the closure's code names.
    const derive = (entryFile: string): string[] => {
      const js = staticClosure(dist, [entryFile])
      const cssFile = entryFile.replace(/\.js$/, '.css')
      return sorted([...js, ...(fs.existsSync(path.join(dist, cssFile)) ? [cssFile] : []), ...namedAssets(dist, js)])
    }
    const main = entry(report!, 'src/main.js')
    expect(sorted(main.files)).toEqual(derive('main.js'))
    expect(main.files.some((f) => f.endsWith('.css')) && main.files.some((f) => f.endsWith('.svg'))).toBe(true)
    expect(sorted(entry(report!, 'src/cli.js').files)).toEqual(derive('cli.js'))
    const chart = filesIn(dist).filter((f) => f.startsWith('chunks/chart-'))
    expect(chart).toHaveLength(1)
    expect(main.files).not.toContain(chart[0])
    expect({ raw: main.raw, gzip: main.gzip, brotli: main.brotli }).toEqual(zlibTotals(dist, main.files))

    const asked = await esbuild.build(options(dir, {}, true))
    expect(Object.keys(asked.metafile?.outputs ?? {})).toContain('dist/main.js')
  })
})
