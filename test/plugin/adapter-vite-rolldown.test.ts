/**
 * Vite 8 and Rolldown adapters: one suite run against each, then what only one of them has.
 * Real `vite build`s of test/fixtures/vite-app (chunks via dynamic import, CSS, an svg asset, a
 * public dir with an executable) and real Rolldown builds (JS API and `watch()`) of
 * test/fixtures/rolldown-app (dynamic-import chunks, CSS and svg emitted as assets, sourcemaps),
 * each in a temp copy.
 */
import fs from 'node:fs'
import path from 'node:path'
import { rolldown, watch, type InputOptions, type OutputOptions, type Plugin, type RolldownWatcher } from 'rolldown'
import { build as viteBuild, createBuilder, createLogger, type InlineConfig, type Plugin as VitePlugin } from 'vite'
import { afterEach, describe, expect, it } from 'vitest'
import rolldownPlugin from '../../plugins/rolldown.js'
import vitePlugin, { type BuildReport, type Options } from '../../plugins/vite.js'
import { cleanup, fileStamps, reportQueue, stagingLeftovers, tempApp } from '../support/bundler-app.js'
import { diffTrees, snapshot } from '../support/tree.js'

const made: string[] = []
afterEach(() => cleanup(made))

/** A plugin that throws in one hook (the plain Rolldown plugin shape, which Vite takes too). */
function failIn(hook: 'transform' | 'renderChunk' | 'generateBundle' | 'writeBundle', message: string): Plugin {
  const fail = (): never => {
    throw new Error(message)
  }
  return { name: `fail-in-${hook}`, [hook]: fail }
}

// --- Vite: `vite build` through the JS API.

const viteEmitOptimizer = (options: Options): VitePlugin => vitePlugin(options) as VitePlugin

function viteConfig(root: string, plugins: Array<VitePlugin | Plugin>, extra: InlineConfig = {}): InlineConfig {
  return { root, configFile: false, logLevel: 'silent', ...extra, build: { sourcemap: true, ...extra.build }, plugins: [...(plugins as VitePlugin[]), ...(extra.plugins ?? [])] }
}

/** Builds with the plugin and returns its report. */
async function viteBuildWith(root: string, extra: InlineConfig = {}, options: Options = {}): Promise<BuildReport> {
  let report: BuildReport | undefined
  await viteBuild(viteConfig(root, [viteEmitOptimizer({ ...options, onReport: (r) => void (report = r) })], extra))
  if (!report) throw new Error('no report')
  return report
}

// --- Rolldown: `rolldown()` + `bundle.write()`, and `watch()`.

const rolldownEmitOptimizer = (options: Options): Plugin => rolldownPlugin(options) as Plugin

function rolldownInput(root: string, plugins: Plugin[], extra: Partial<InputOptions> = {}): InputOptions {
  return { cwd: root, input: path.join(root, 'src/main.js'), moduleTypes: { '.svg': 'asset', '.css': 'asset' }, logLevel: 'silent', ...extra, plugins }
}

const rolldownOutput = (root: string, extra: OutputOptions = {}): OutputOptions => ({ dir: path.join(root, 'dist'), sourcemap: true, ...extra })

interface RolldownExtra {
  input?: Partial<InputOptions>
  output?: OutputOptions
}

/** One `rolldown().write()`; rejects with the build's error. */
async function rolldownBuild(root: string, plugins: Plugin[], extra: RolldownExtra = {}): Promise<void> {
  const bundle = await rolldown(rolldownInput(root, plugins, extra.input))
  try {
    await bundle.write(rolldownOutput(root, extra.output))
  } finally {
    await bundle.close()
  }
}

async function rolldownBuildWith(root: string, options: Options = {}, extra: RolldownExtra = {}): Promise<BuildReport> {
  let report: BuildReport | undefined
  await rolldownBuild(root, [rolldownEmitOptimizer({ ...options, onReport: (r) => void (report = r) })], extra)
  if (!report) throw new Error('no report')
  return report
}

// --- The suite both run.

interface Bundler {
  name: string
  fixture: string
  /** Where chunks and assets go inside outDir. */
  chunks: '' | 'assets/'
  /** What the native build copies from the public dir (Vite's). */
  publicFiles: string[]
  /** Outputs a change of src/settings.js leaves alone: each pattern matches at least one. */
  untouchedBySettings: RegExp[]
  emitOptimizer(options: Options): Plugin
  /** One build with these plugins, no emit-optimizer unless among them; `clean`: empty outDir first (Vite's default, Rolldown's `output.cleanDir`). */
  build(root: string, plugins: Plugin[], options?: { clean?: boolean }): Promise<void>
  /** A watch-mode build; the caller closes it. */
  watch(root: string, plugins: Plugin[]): Promise<{ close(): Promise<void> }>
}

const bundlers: Bundler[] = [
  {
    name: 'vite',
    fixture: 'vite-app',
    chunks: 'assets/',
    publicFiles: ['robots.txt', 'scripts/deploy.sh', 'favicon.svg'],
    untouchedBySettings: [/^robots\.txt$/, /^scripts\/deploy\.sh$/, /^favicon\.svg$/],
    emitOptimizer: (options) => viteEmitOptimizer(options) as Plugin,
    build: async (root, plugins) => void (await viteBuild(viteConfig(root, plugins))),
    watch: async (root, plugins) => (await viteBuild(viteConfig(root, plugins, { build: { watch: {} } }))) as RolldownWatcher,
  },
  {
    name: 'rolldown',
    fixture: 'rolldown-app',
    chunks: '',
    publicFiles: [],
    untouchedBySettings: [/^format-.*\.js$/, /^assets\//],
    emitOptimizer: rolldownEmitOptimizer,
    build: (root, plugins, options = {}) => rolldownBuild(root, plugins, options.clean ? { output: { cleanDir: true } } : {}),
    watch: async (root, plugins) => {
      const watcher: RolldownWatcher = watch({ ...rolldownInput(root, plugins), output: rolldownOutput(root) })
      watcher.on('event', (event) => {
        if (event.code === 'BUNDLE_END' || event.code === 'ERROR') void event.result?.close()
      })
      return watcher
    },
  },
]

describe.each(bundlers.map((bundler) => [bundler.name, bundler] as const))('%s adapter', (_name, bundler) => {
  const app = (): string => tempApp(bundler.fixture, made)

  /** Builds with the plugin and returns its report. */
  async function buildWith(root: string, options: { clean?: boolean } = {}): Promise<BuildReport> {
    let report: BuildReport | undefined
    await bundler.build(root, [bundler.emitOptimizer({ onReport: (r) => void (report = r) })], options)
    if (!report) throw new Error('no report')
    return report
  }

  it(`writes exactly what ${bundler.name} alone writes (paths, bytes, modes), public dir included`, async () => {
    // Both builds in the same directory: Vite's entry chunk hash depends on the project's path.
    const root = app()
    const dist = path.join(root, 'dist')
    await bundler.build(root, [])
    const expected = snapshot(dist)
    fs.rmSync(dist, { recursive: true })
    const report = await buildWith(root)
    expect(report.status).toBe('committed')
    for (const file of bundler.publicFiles) expect(expected.has(file), file).toBe(true)
    expect([...expected.keys()].filter((f) => f.endsWith('.js.map')).length).toBeGreaterThan(2)
    expect(diffTrees(snapshot(dist), expected)).toEqual([])
    expect(report.result?.stats.written).toBe(expected.size)
    expect(stagingLeftovers(dist)).toEqual([])
  })

  it('a second build with no change writes nothing and touches no file', async () => {
    const root = app()
    await buildWith(root)
    const before = fileStamps(path.join(root, 'dist'))
    const report = await buildWith(root)
    expect(report.result?.stats).toMatchObject({ written: 0, deleted: 0, unchanged: before.size })
    expect(fileStamps(path.join(root, 'dist'))).toEqual(before)
  })

  it('a changed module rewrites only the files whose bytes changed and deletes stale ones', async () => {
    const root = app()
    const dist = path.join(root, 'dist')
    await buildWith(root)
    const treeBefore = snapshot(dist)
    const stampsBefore = fileStamps(dist)
    fs.writeFileSync(path.join(root, 'src/settings.js'), "export const settings = { theme: 'light', version: 2 }\n")
    const report = await buildWith(root)
    const treeAfter = snapshot(dist)
    const stampsAfter = fileStamps(dist)
    const changed = [...treeAfter.keys()].filter((f) => JSON.stringify(treeAfter.get(f)) !== JSON.stringify(treeBefore.get(f))).sort()
    const removed = [...treeBefore.keys()].filter((f) => !treeAfter.has(f)).sort()
    expect(removed.some((f) => f.startsWith(`${bundler.chunks}settings-`))).toBe(true)
    expect(report.result?.files.filter((f) => f.status === 'written').map((f) => f.path).sort()).toEqual(changed)
    expect(report.result?.files.filter((f) => f.status === 'deleted').map((f) => f.path).sort()).toEqual(removed)
    // Everything else kept its inode and mtime: the logo, the CSS, the shared chunk, the public files.
    const untouched = [...treeAfter.keys()].filter((f) => !changed.includes(f))
    for (const pattern of bundler.untouchedBySettings) expect(untouched.filter((f) => pattern.test(f)), String(pattern)).not.toEqual([])
    expect(untouched.length).toBeGreaterThan(changed.length)
    for (const file of untouched) expect(stampsAfter.get(file), file).toBe(stampsBefore.get(file))
  })

  describe('a failing build keeps the previous output whole and fails with the original error', () => {
    const phases = [
      ['a transform error', failIn('transform', 'boom in transform')],
      ['a renderChunk error', failIn('renderChunk', 'boom in renderChunk')],
      // Regression (measured on Vite 8.3): an error in generateBundle used to leave dist with only
      // the public files, because vite:prepare-out-dir empties outDir at renderStart.
      ['an error in generateBundle (under Vite, used to leave dist with only the public files)', failIn('generateBundle', 'boom in generateBundle')],
      ["another plugin's writeBundle error", failIn('writeBundle', 'boom in writeBundle')],
    ] as const
    for (const [name, plugin] of phases) {
      it(name, async () => {
        const root = app()
        const dist = path.join(root, 'dist')
        await buildWith(root, { clean: true })
        const tree = snapshot(dist)
        const before = fileStamps(dist)
        const queue = reportQueue()
        await expect(bundler.build(root, [bundler.emitOptimizer({ onReport: queue.onReport }), plugin], { clean: true })).rejects.toThrow(/boom in/)
        expect(queue.all.map((r) => r.status)).toEqual(['rolled-back'])
        expect(queue.all[0]!.outDir).toBe(dist)
        // Rolldown reports only transform/render errors to plugins (buildEnd, renderError); for
        // later phases the report says the bundle was not written.
        expect(String(queue.all[0]!.error)).toMatch(/boom in|the bundle was not written/)
        expect(diffTrees(snapshot(dist), tree)).toEqual([])
        expect(fileStamps(dist)).toEqual(before)
        expect(stagingLeftovers(dist)).toEqual([])
      })
    }

    it("a failing write of Rolldown's own", async () => {
      const root = app()
      const dist = path.join(root, 'dist')
      await buildWith(root)
      const tree = snapshot(dist)
      const queue = reportQueue()
      // A file and a directory with the same name: the second write fails (ENOTDIR / EEXIST).
      const conflict: Plugin = {
        name: 'conflict',
        generateBundle() {
          this.emitFile({ type: 'asset', fileName: 'clash', source: 'file' })
          this.emitFile({ type: 'asset', fileName: 'clash/inner.txt', source: 'nested' })
        },
      }
      await expect(bundler.build(root, [bundler.emitOptimizer({ onReport: queue.onReport }), conflict])).rejects.toThrow()
      expect(queue.all.map((r) => r.status)).toEqual(['rolled-back'])
      expect(diffTrees(snapshot(dist), tree)).toEqual([])
      expect(stagingLeftovers(dist)).toEqual([])
    })
  })

  it('watch mode: each rebuild is one transaction (change, no change, broken, fixed)', async () => {
    const root = app()
    const dist = path.join(root, 'dist')
    const settings = path.join(root, 'src/settings.js')
    const queue = reportQueue()
    const watcher = await bundler.watch(root, [bundler.emitOptimizer({ onReport: queue.onReport })])
    try {
      const first = await queue.next()
      expect(first.status).toBe('committed')

      // change
      let stampsBefore = fileStamps(dist)
      fs.writeFileSync(settings, "export const settings = { theme: 'light', version: 2 }\n")
      const changed = await queue.next()
      expect(changed.status).toBe('committed')
      expect(changed.result!.stats.written).toBeGreaterThan(0)
      expect(changed.result!.stats.deleted).toBeGreaterThan(0)
      const stampsAfter = fileStamps(dist)
      for (const pattern of bundler.untouchedBySettings) {
        const files = [...stampsBefore.keys()].filter((f) => pattern.test(f))
        expect(files, String(pattern)).not.toEqual([])
        for (const file of files) expect(stampsAfter.get(file), file).toBe(stampsBefore.get(file))
      }
      expect([...stampsAfter.keys()].find((f) => f.startsWith(`${bundler.chunks}settings-`) && f.endsWith('.js'))).toBeDefined()

      // no change (same bytes written again)
      stampsBefore = stampsAfter
      fs.writeFileSync(settings, fs.readFileSync(settings))
      const same = await queue.next()
      expect(same.status).toBe('committed')
      expect(same.result!.stats.written).toBe(0)
      expect(fileStamps(dist)).toEqual(stampsBefore)

      // broken
      const good = snapshot(dist)
      fs.writeFileSync(settings, 'export const settings = {\n')
      const broken = await queue.next()
      expect(broken.status).toBe('rolled-back')
      expect(diffTrees(snapshot(dist), good)).toEqual([])
      expect(fileStamps(dist)).toEqual(stampsBefore)

      // fixed
      fs.writeFileSync(settings, "export const settings = { theme: 'blue', version: 3 }\n")
      const fixed = await queue.next()
      expect(fixed.status).toBe('committed')
      expect(fixed.result!.stats.written).toBeGreaterThan(0)
      expect(fs.readdirSync(path.join(dist, bundler.chunks)).filter((f) => f.startsWith('settings-') && f.endsWith('.js'))).toHaveLength(1)
      expect(stagingLeftovers(dist)).toEqual([])
    } finally {
      await watcher.close()
    }
  })
})

// --- What only Vite has: a public dir, emptyOutDir, its logger, environments, several outputs.

describe('vite adapter, Vite only', () => {
  it('regression premise: without the plugin, an error in generateBundle leaves dist with only the public files', async () => {
    const root = tempApp('vite-app', made)
    await viteBuild(viteConfig(root, []))
    await expect(viteBuild(viteConfig(root, [failIn('generateBundle', 'boom in generateBundle')]))).rejects.toThrow(/boom/)
    expect([...snapshot(path.join(root, 'dist')).keys()].sort()).toEqual(['favicon.svg', 'robots.txt', 'scripts/deploy.sh'])
  })

  it('captures files other plugins write into build.outDir themselves', async () => {
    const root = tempApp('vite-app', made)
    let seenOutDir = ''
    const writer: VitePlugin = {
      name: 'writes-with-fs',
      configResolved(resolved) {
        seenOutDir = resolved.build.outDir
      },
      closeBundle() {
        fs.writeFileSync(path.join(path.resolve(root, seenOutDir), 'sitemap.xml'), '<urlset/>')
      },
    }
    const report = await viteBuildWith(root, { plugins: [writer] })
    expect(report.status).toBe('committed')
    expect(fs.readFileSync(path.join(root, 'dist/sitemap.xml'), 'utf8')).toBe('<urlset/>')
  })

  it('emptyOutDir (the default) takes effect at commit: stray files go, and not before', async () => {
    const root = tempApp('vite-app', made)
    const dist = path.join(root, 'dist')
    fs.mkdirSync(dist)
    fs.writeFileSync(path.join(dist, 'stray.txt'), 'old')
    await expect(viteBuild(viteConfig(root, [viteEmitOptimizer({})], { plugins: [failIn('generateBundle', 'boom in generateBundle') as VitePlugin] }))).rejects.toThrow(/boom/)
    expect(fs.readdirSync(dist)).toEqual(['stray.txt'])
    await viteBuildWith(root)
    expect(fs.existsSync(path.join(dist, 'stray.txt'))).toBe(false)
    const kept = tempApp('vite-app', made)
    fs.mkdirSync(path.join(kept, 'dist'))
    fs.writeFileSync(path.join(kept, 'dist/stray.txt'), 'old')
    await viteBuildWith(kept, { build: { emptyOutDir: false } })
    expect(fs.readFileSync(path.join(kept, 'dist/stray.txt'), 'utf8')).toBe('old')
  })

  it("prints one summary line through Vite's logger", async () => {
    const root = tempApp('vite-app', made)
    const lines: string[] = []
    const logger = createLogger('info')
    logger.info = (message) => void lines.push(message)
    await viteBuild({ ...viteConfig(root, [viteEmitOptimizer({})]), logLevel: 'info', customLogger: logger })
    const summaries = lines.filter((line) => line.startsWith('emit-optimizer:'))
    expect(summaries).toHaveLength(1)
    expect(summaries[0]).toMatch(/^emit-optimizer: \d+ written · 0 unchanged · 0 deleted · .* · committed$/)
  })

  it('client and SSR environments each commit their own outDir, separately', async () => {
    const root = tempApp('vite-app', made)
    fs.writeFileSync(path.join(root, 'src/server.js'), "import { format } from './format.js'\nexport const render = () => `<h1>${format('ssr')}</h1>`\n")
    const queue = reportQueue()
    const inline = (extra: VitePlugin[] = []): InlineConfig => ({
      root,
      configFile: false,
      logLevel: 'silent',
      plugins: [viteEmitOptimizer({ onReport: queue.onReport }), ...extra],
      builder: {},
      environments: {
        client: { build: { outDir: 'dist/client' } },
        ssr: { build: { outDir: 'dist/server', rolldownOptions: { input: path.join(root, 'src/server.js') } } },
      },
    })
    await (await createBuilder(inline())).buildApp()
    expect(queue.all.map((r) => [path.relative(root, r.outDir), r.status])).toEqual([
      ['dist/client', 'committed'],
      ['dist/server', 'committed'],
    ])
    expect(fs.existsSync(path.join(root, 'dist/server/server.mjs'))).toBe(true)
    const client = snapshot(path.join(root, 'dist/client'))
    const server = snapshot(path.join(root, 'dist/server'))
    fs.writeFileSync(path.join(root, 'src/server.js'), 'export const render = (\n')
    await expect((await createBuilder(inline())).buildApp()).rejects.toThrow()
    expect(queue.all.slice(2).map((r) => [path.relative(root, r.outDir), r.status])).toEqual([
      ['dist/client', 'committed'],
      ['dist/server', 'rolled-back'],
    ])
    expect(diffTrees(snapshot(path.join(root, 'dist/client')), client)).toEqual([])
    expect(diffTrees(snapshot(path.join(root, 'dist/server')), server)).toEqual([])
  })

  it('several rolldownOptions.output entries commit each of their dirs', async () => {
    const root = tempApp('vite-app', made)
    const queue = reportQueue()
    const output = [{ dir: 'dist/modern' }, { dir: 'dist/plain', minify: false }]
    await viteBuild(viteConfig(root, [viteEmitOptimizer({ onReport: queue.onReport })], { build: { rolldownOptions: { output } } }))
    expect(queue.all.map((r) => [path.relative(root, r.outDir), r.status])).toEqual([
      ['dist/modern', 'committed'],
      ['dist/plain', 'committed'],
    ])
    // (Vite 8.3 alone leaves only the public files in both dirs here, so there is no native
    // output to compare with; each dir gets the bundle and the public dir.)
    for (const dir of ['dist/modern', 'dist/plain']) expect([...snapshot(path.join(root, dir)).keys()]).toEqual(expect.arrayContaining(['index.html', 'robots.txt', 'scripts/deploy.sh']))
  })
})

// --- What only the Rolldown API has: output.cleanDir, one bundle written twice, this.info.

describe('rolldown adapter, Rolldown only', () => {
  it('output.cleanDir takes effect at commit, not before', async () => {
    const root = tempApp('rolldown-app', made)
    const dist = path.join(root, 'dist')
    fs.mkdirSync(dist)
    fs.writeFileSync(path.join(dist, 'stray.txt'), 'old')
    await rolldownBuildWith(root)
    expect(fs.existsSync(path.join(dist, 'stray.txt'))).toBe(true)
    await expect(rolldownBuild(root, [rolldownEmitOptimizer({}), failIn('generateBundle', 'boom in generateBundle')], { output: { cleanDir: true } })).rejects.toThrow(/boom/)
    expect(fs.existsSync(path.join(dist, 'stray.txt'))).toBe(true)
    await rolldownBuildWith(root, {}, { output: { cleanDir: true } })
    expect(fs.existsSync(path.join(dist, 'stray.txt'))).toBe(false)
  })

  it('several outputs of one bundle commit separately, each when its write() ends', async () => {
    const root = tempApp('rolldown-app', made)
    const queue = reportQueue()
    const bundle = await rolldown(rolldownInput(root, [rolldownEmitOptimizer({ onReport: queue.onReport })]))
    try {
      await bundle.write(rolldownOutput(root, { dir: path.join(root, 'dist/esm'), format: 'es' }))
      expect(queue.all.map((r) => path.relative(root, r.outDir))).toEqual(['dist/esm'])
      await bundle.write(rolldownOutput(root, { dir: path.join(root, 'dist/cjs'), format: 'cjs' }))
    } finally {
      await bundle.close()
    }
    expect(queue.all.map((r) => [path.relative(root, r.outDir), r.status])).toEqual([
      ['dist/esm', 'committed'],
      ['dist/cjs', 'committed'],
    ])
    expect(fs.readFileSync(path.join(root, 'dist/cjs/main.js'), 'utf8')).toMatch(/exports/)
  })

  it("prints one summary line through Rolldown's logger (this.info)", async () => {
    const root = tempApp('rolldown-app', made)
    const infos: string[] = []
    await rolldownBuild(root, [rolldownEmitOptimizer({})], { input: { logLevel: 'info', onLog: (level, log) => void (level === 'info' && infos.push(log.message)) } })
    const summaries = infos.filter((m) => m.includes('emit-optimizer:'))
    expect(summaries).toHaveLength(1)
    expect(summaries[0]).toMatch(/emit-optimizer: \d+ written · 0 unchanged · 0 deleted · .* · committed$/)
  })
})
