/**
 * Vite 8 adapter: real `vite build`s of test/fixtures/vite-app (chunks via dynamic import, CSS,
 * an svg asset, a public dir with an executable) in temp copies.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { build, createBuilder, createLogger, type InlineConfig, type Plugin } from 'vite'
import type { RolldownWatcher } from 'rolldown'
import { unplugin } from '../src/unplugin.js'
import type { Options } from '../src/plugin/options.js'
import type { BuildReport } from '../src/plugin/report.js'
import { diffTrees, snapshot } from './support/tree.js'
import { cleanup, reportQueue, stagingLeftovers, stamps, tempCopy } from './support/vite-rolldown.js'

const made: string[] = []
afterEach(() => cleanup(made))

const emitOptimizer = (options: Options): Plugin => unplugin.vite(options) as Plugin

function config(root: string, plugins: Plugin[], extra: InlineConfig = {}): InlineConfig {
  return { root, configFile: false, logLevel: 'silent', ...extra, build: { sourcemap: true, ...extra.build }, plugins: [...plugins, ...(extra.plugins ?? [])] }
}

/** Builds with the plugin and returns its report. */
async function buildWith(root: string, extra: InlineConfig = {}, options: Options = {}): Promise<BuildReport> {
  let report: BuildReport | undefined
  await build(config(root, [emitOptimizer({ ...options, onReport: (r) => void (report = r) })], extra))
  if (!report) throw new Error('no report')
  return report
}

/** A plugin that throws in one hook. */
function failIn(hook: 'transform' | 'renderChunk' | 'generateBundle' | 'writeBundle', message: string): Plugin {
  const fail = (): never => {
    throw new Error(message)
  }
  return { name: `fail-in-${hook}`, [hook]: fail }
}

describe('vite adapter', () => {
  it('writes exactly what vite alone writes (paths, bytes, modes), public dir included', async () => {
    // One root for both builds: Vite ≥ 8.4 hashes depend on the project's absolute path.
    const withPlugin = tempCopy('vite-app', made)
    await build(config(withPlugin, []))
    const expected = snapshot(path.join(withPlugin, 'dist'))
    fs.rmSync(path.join(withPlugin, 'dist'), { recursive: true })
    const report = await buildWith(withPlugin)
    expect(report.status).toBe('committed')
    expect(expected.has('robots.txt') && expected.has('scripts/deploy.sh')).toBe(true)
    expect([...expected.keys()].filter((f) => f.endsWith('.js.map')).length).toBeGreaterThan(2)
    expect(diffTrees(snapshot(path.join(withPlugin, 'dist')), expected)).toEqual([])
    expect(report.result?.stats.written).toBe(expected.size)
    expect(stagingLeftovers(path.join(withPlugin, 'dist'))).toEqual([])
  })

  it('a second build with no change writes nothing and touches no file', async () => {
    const root = tempCopy('vite-app', made)
    await buildWith(root)
    const before = stamps(path.join(root, 'dist'))
    const report = await buildWith(root)
    expect(report.result?.stats).toMatchObject({ written: 0, deleted: 0, unchanged: before.size })
    expect(stamps(path.join(root, 'dist'))).toEqual(before)
  })

  it('a changed module rewrites only the files whose bytes changed and deletes stale ones', async () => {
    const root = tempCopy('vite-app', made)
    const dist = path.join(root, 'dist')
    await buildWith(root)
    const treeBefore = snapshot(dist)
    const stampsBefore = stamps(dist)
    fs.writeFileSync(path.join(root, 'src/settings.js'), "export const settings = { theme: 'light', version: 2 }\n")
    const report = await buildWith(root)
    const treeAfter = snapshot(dist)
    const stampsAfter = stamps(dist)
    const changed = [...treeAfter.keys()].filter((f) => JSON.stringify(treeAfter.get(f)) !== JSON.stringify(treeBefore.get(f))).sort()
    const removed = [...treeBefore.keys()].filter((f) => !treeAfter.has(f)).sort()
    expect(removed.some((f) => f.startsWith('assets/settings-'))).toBe(true)
    expect(report.result?.files.filter((f) => f.status === 'written').map((f) => f.path).sort()).toEqual(changed)
    expect(report.result?.files.filter((f) => f.status === 'deleted').map((f) => f.path).sort()).toEqual(removed)
    // Everything else kept its inode and mtime: the logo, the CSS, the shared chunk, the public files.
    const untouched = [...treeAfter.keys()].filter((f) => !changed.includes(f))
    expect(untouched).toEqual(expect.arrayContaining(['robots.txt', 'scripts/deploy.sh', 'favicon.svg']))
    expect(untouched.length).toBeGreaterThan(changed.length)
    for (const file of untouched) expect(stampsAfter.get(file), file).toBe(stampsBefore.get(file))
  })

  describe('a failing build keeps the previous output whole and fails with the original error', () => {
    const phases = [
      ['a transform error', failIn('transform', 'boom in transform')],
      ['a renderChunk error', failIn('renderChunk', 'boom in renderChunk')],
      // Regression (measured on Vite 8.3): an error in generateBundle used to leave dist with only
      // the public files, because vite:prepare-out-dir empties outDir at renderStart.
      ['an error in generateBundle (used to leave dist with only the public files)', failIn('generateBundle', 'boom in generateBundle')],
      ["another plugin's writeBundle error", failIn('writeBundle', 'boom in writeBundle')],
    ] as const
    for (const [name, plugin] of phases) {
      it(name, async () => {
        const root = tempCopy('vite-app', made)
        const dist = path.join(root, 'dist')
        await buildWith(root)
        const tree = snapshot(dist)
        const before = stamps(dist)
        const queue = reportQueue()
        await expect(build(config(root, [emitOptimizer({ onReport: queue.onReport })], { plugins: [plugin] }))).rejects.toThrow(/boom in/)
        expect(queue.all.map((r) => r.status)).toEqual(['rolled-back'])
        // Rolldown reports only transform/render errors to plugins (buildEnd, renderError); for
        // later phases the report says the bundle was not written.
        expect(String(queue.all[0]!.error)).toMatch(/boom in|the bundle was not written/)
        expect(diffTrees(snapshot(dist), tree)).toEqual([])
        expect(stamps(dist)).toEqual(before)
        expect(stagingLeftovers(dist)).toEqual([])
      })
    }

    it('regression premise: without the plugin, an error in generateBundle leaves dist with only the public files', async () => {
      const root = tempCopy('vite-app', made)
      await build(config(root, []))
      await expect(build(config(root, [failIn('generateBundle', 'boom in generateBundle')]))).rejects.toThrow(/boom/)
      expect([...snapshot(path.join(root, 'dist')).keys()].sort()).toEqual(['favicon.svg', 'robots.txt', 'scripts/deploy.sh'])
    })

    it("a failing write of Rolldown's own", async () => {
      const root = tempCopy('vite-app', made)
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
      await expect(build(config(root, [emitOptimizer({ onReport: queue.onReport })], { plugins: [conflict] }))).rejects.toThrow()
      expect(queue.all.map((r) => r.status)).toEqual(['rolled-back'])
      expect(diffTrees(snapshot(dist), tree)).toEqual([])
      expect(stagingLeftovers(dist)).toEqual([])
    })
  })

  it('captures files other plugins write into build.outDir themselves', async () => {
    const root = tempCopy('vite-app', made)
    let seenOutDir = ''
    const writer: Plugin = {
      name: 'writes-with-fs',
      configResolved(resolved) {
        seenOutDir = resolved.build.outDir
      },
      closeBundle() {
        fs.writeFileSync(path.join(path.resolve(root, seenOutDir), 'sitemap.xml'), '<urlset/>')
      },
    }
    const report = await buildWith(root, { plugins: [writer] })
    expect(report.status).toBe('committed')
    expect(fs.readFileSync(path.join(root, 'dist/sitemap.xml'), 'utf8')).toBe('<urlset/>')
  })

  it('emptyOutDir (the default) takes effect at commit: stray files go, and not before', async () => {
    const root = tempCopy('vite-app', made)
    const dist = path.join(root, 'dist')
    fs.mkdirSync(dist)
    fs.writeFileSync(path.join(dist, 'stray.txt'), 'old')
    await expect(build(config(root, [emitOptimizer({})], { plugins: [failIn('generateBundle', 'boom in generateBundle')] }))).rejects.toThrow(/boom/)
    expect(fs.readdirSync(dist)).toEqual(['stray.txt'])
    await buildWith(root)
    expect(fs.existsSync(path.join(dist, 'stray.txt'))).toBe(false)
    const kept = tempCopy('vite-app', made)
    fs.mkdirSync(path.join(kept, 'dist'))
    fs.writeFileSync(path.join(kept, 'dist/stray.txt'), 'old')
    await buildWith(kept, { build: { emptyOutDir: false } })
    expect(fs.readFileSync(path.join(kept, 'dist/stray.txt'), 'utf8')).toBe('old')
  })

  it("prints one summary line through Vite's logger", async () => {
    const root = tempCopy('vite-app', made)
    const lines: string[] = []
    const logger = createLogger('info')
    logger.info = (message) => void lines.push(message)
    await build({ ...config(root, [emitOptimizer({})]), logLevel: 'info', customLogger: logger })
    const summaries = lines.filter((line) => line.startsWith('emit-optimizer:'))
    expect(summaries).toHaveLength(1)
    expect(summaries[0]).toMatch(/^emit-optimizer: \d+ written · 0 unchanged · 0 deleted · .* · committed$/)
  })

  it('client and SSR environments each commit their own outDir, separately', async () => {
    const root = tempCopy('vite-app', made)
    fs.writeFileSync(path.join(root, 'src/server.js'), "import { format } from './format.js'\nexport const render = () => `<h1>${format('ssr')}</h1>`\n")
    const queue = reportQueue()
    const inline = (extra: Plugin[] = []): InlineConfig => ({
      root,
      configFile: false,
      logLevel: 'silent',
      plugins: [emitOptimizer({ onReport: queue.onReport }), ...extra],
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
    const root = tempCopy('vite-app', made)
    const queue = reportQueue()
    const output = [{ dir: 'dist/modern' }, { dir: 'dist/plain', minify: false }]
    await build(config(root, [emitOptimizer({ onReport: queue.onReport })], { build: { rolldownOptions: { output } } }))
    expect(queue.all.map((r) => [path.relative(root, r.outDir), r.status])).toEqual([
      ['dist/modern', 'committed'],
      ['dist/plain', 'committed'],
    ])
    // (Vite 8.3 alone leaves only the public files in both dirs here, so there is no native
    // output to compare with; each dir gets the bundle and the public dir.)
    for (const dir of ['dist/modern', 'dist/plain']) expect([...snapshot(path.join(root, dir)).keys()]).toEqual(expect.arrayContaining(['index.html', 'robots.txt', 'scripts/deploy.sh']))
  })

  it('watch mode: each rebuild is one transaction (change, no change, broken, fixed)', async () => {
    const root = tempCopy('vite-app', made)
    const dist = path.join(root, 'dist')
    const settings = path.join(root, 'src/settings.js')
    const queue = reportQueue()
    const watcher = (await build(config(root, [emitOptimizer({ onReport: queue.onReport })], { build: { watch: {} } }))) as RolldownWatcher
    try {
      const first = await queue.next()
      expect(first.status).toBe('committed')

      // change
      let stampsBefore = stamps(dist)
      fs.writeFileSync(settings, "export const settings = { theme: 'light', version: 2 }\n")
      const changed = await queue.next()
      expect(changed.status).toBe('committed')
      expect(changed.result!.stats.written).toBeGreaterThan(0)
      expect(changed.result!.stats.deleted).toBeGreaterThan(0)
      const stampsAfter = stamps(dist)
      expect(stampsAfter.get('robots.txt')).toBe(stampsBefore.get('robots.txt'))
      expect([...stampsAfter.keys()].find((f) => f.startsWith('assets/settings-') && f.endsWith('.js'))).toBeDefined()

      // no change (same bytes written again)
      stampsBefore = stampsAfter
      fs.writeFileSync(settings, fs.readFileSync(settings))
      const same = await queue.next()
      expect(same.status).toBe('committed')
      expect(same.result!.stats.written).toBe(0)
      expect(stamps(dist)).toEqual(stampsBefore)

      // broken
      const good = snapshot(dist)
      fs.writeFileSync(settings, 'export const settings = {\n')
      const broken = await queue.next()
      expect(broken.status).toBe('rolled-back')
      expect(diffTrees(snapshot(dist), good)).toEqual([])
      expect(stamps(dist)).toEqual(stampsBefore)

      // fixed
      fs.writeFileSync(settings, "export const settings = { theme: 'blue', version: 3 }\n")
      const fixed = await queue.next()
      expect(fixed.status).toBe('committed')
      expect(fixed.result!.stats.written).toBeGreaterThan(0)
      expect(fs.readdirSync(path.join(dist, 'assets')).filter((f) => f.startsWith('settings-') && f.endsWith('.js'))).toHaveLength(1)
      expect(stagingLeftovers(dist)).toEqual([])
    } finally {
      await watcher.close()
    }
  })
})
