/**
 * Rolldown adapter: real Rolldown builds (JS API and `watch()`) of test/fixtures/rolldown-app
 * (dynamic-import chunks, CSS and svg emitted as assets, sourcemaps) in temp copies.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { rolldown, watch, type InputOptions, type OutputOptions, type Plugin, type RolldownWatcher } from 'rolldown'
import { unplugin } from '../src/adapters/unplugin.js'
import type { Options } from '../src/plugin/plugin-options.js'
import type { BuildReport } from '../src/observe/types.js'
import { diffTrees, snapshot } from './support/tree.js'
import { cleanup, reportQueue, stagingLeftovers, stamps, tempCopy } from './support/vite-rolldown.js'

const made: string[] = []
afterEach(() => cleanup(made))

const emitOptimizer = (options: Options): Plugin => unplugin.rolldown(options) as Plugin

function input(root: string, plugins: Plugin[], extra: Partial<InputOptions> = {}): InputOptions {
  return { cwd: root, input: path.join(root, 'src/main.js'), moduleTypes: { '.svg': 'asset', '.css': 'asset' }, logLevel: 'silent', ...extra, plugins }
}

const output = (root: string, extra: OutputOptions = {}): OutputOptions => ({ dir: path.join(root, 'dist'), sourcemap: true, ...extra })

/** One `rolldown().write()`; rejects with the build's error. */
async function buildOnce(root: string, plugins: Plugin[], extra: { input?: Partial<InputOptions>; output?: OutputOptions } = {}): Promise<void> {
  const bundle = await rolldown(input(root, plugins, extra.input))
  try {
    await bundle.write(output(root, extra.output))
  } finally {
    await bundle.close()
  }
}

async function buildWith(root: string, options: Options = {}, extra: { input?: Partial<InputOptions>; output?: OutputOptions } = {}): Promise<BuildReport> {
  let report: BuildReport | undefined
  await buildOnce(root, [emitOptimizer({ ...options, onReport: (r) => void (report = r) })], extra)
  if (!report) throw new Error('no report')
  return report
}

function failIn(hook: 'transform' | 'renderChunk' | 'generateBundle' | 'writeBundle', message: string): Plugin {
  const fail = (): never => {
    throw new Error(message)
  }
  return { name: `fail-in-${hook}`, [hook]: fail }
}

describe('rolldown adapter', () => {
  it('writes exactly what rolldown alone writes (paths, bytes, modes)', async () => {
    const native = tempCopy('rolldown-app', made)
    const withPlugin = tempCopy('rolldown-app', made)
    await buildOnce(native, [])
    const report = await buildWith(withPlugin)
    expect(report.status).toBe('committed')
    const expected = snapshot(path.join(native, 'dist'))
    expect([...expected.keys()].filter((f) => f.endsWith('.js.map')).length).toBeGreaterThan(2)
    expect(diffTrees(snapshot(path.join(withPlugin, 'dist')), expected)).toEqual([])
    expect(report.result?.stats.written).toBe(expected.size)
    expect(stagingLeftovers(path.join(withPlugin, 'dist'))).toEqual([])
  })

  it('a second build with no change writes nothing and touches no file', async () => {
    const root = tempCopy('rolldown-app', made)
    await buildWith(root)
    const before = stamps(path.join(root, 'dist'))
    const report = await buildWith(root)
    expect(report.result?.stats).toMatchObject({ written: 0, deleted: 0, unchanged: before.size })
    expect(stamps(path.join(root, 'dist'))).toEqual(before)
  })

  it('a changed module rewrites only the files whose bytes changed and deletes stale ones', async () => {
    const root = tempCopy('rolldown-app', made)
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
    expect(removed.some((f) => f.startsWith('settings-'))).toBe(true)
    expect(report.result?.files.filter((f) => f.status === 'written').map((f) => f.path).sort()).toEqual(changed)
    expect(report.result?.files.filter((f) => f.status === 'deleted').map((f) => f.path).sort()).toEqual(removed)
    const untouched = [...treeAfter.keys()].filter((f) => !changed.includes(f))
    expect(untouched.length).toBeGreaterThan(changed.length)
    for (const file of untouched) expect(stampsAfter.get(file), file).toBe(stampsBefore.get(file))
  })

  describe('a failing build keeps the previous output whole and fails with the original error', () => {
    const phases = [
      ['a transform error', failIn('transform', 'boom in transform')],
      ['a renderChunk error', failIn('renderChunk', 'boom in renderChunk')],
      ['a generateBundle error', failIn('generateBundle', 'boom in generateBundle')],
      ["another plugin's writeBundle error", failIn('writeBundle', 'boom in writeBundle')],
    ] as const
    for (const [name, plugin] of phases) {
      it(name, async () => {
        const root = tempCopy('rolldown-app', made)
        const dist = path.join(root, 'dist')
        await buildWith(root, {}, { output: { cleanDir: true } })
        const tree = snapshot(dist)
        const before = stamps(dist)
        const queue = reportQueue()
        await expect(buildOnce(root, [emitOptimizer({ onReport: queue.onReport }), plugin], { output: { cleanDir: true } })).rejects.toThrow(/boom in/)
        expect(queue.all.map((r) => r.status)).toEqual(['rolled-back'])
        expect(queue.all[0]!.outDir).toBe(dist)
        expect(diffTrees(snapshot(dist), tree)).toEqual([])
        expect(stamps(dist)).toEqual(before)
        expect(stagingLeftovers(dist)).toEqual([])
      })
    }

    it("a failing write of Rolldown's own", async () => {
      const root = tempCopy('rolldown-app', made)
      const dist = path.join(root, 'dist')
      await buildWith(root)
      const tree = snapshot(dist)
      const queue = reportQueue()
      const conflict: Plugin = {
        name: 'conflict',
        generateBundle() {
          this.emitFile({ type: 'asset', fileName: 'clash', source: 'file' })
          this.emitFile({ type: 'asset', fileName: 'clash/inner.txt', source: 'nested' })
        },
      }
      await expect(buildOnce(root, [emitOptimizer({ onReport: queue.onReport }), conflict])).rejects.toThrow()
      expect(queue.all.map((r) => r.status)).toEqual(['rolled-back'])
      expect(diffTrees(snapshot(dist), tree)).toEqual([])
      expect(stagingLeftovers(dist)).toEqual([])
    })
  })

  it('output.cleanDir takes effect at commit, not before', async () => {
    const root = tempCopy('rolldown-app', made)
    const dist = path.join(root, 'dist')
    fs.mkdirSync(dist)
    fs.writeFileSync(path.join(dist, 'stray.txt'), 'old')
    await buildWith(root)
    expect(fs.existsSync(path.join(dist, 'stray.txt'))).toBe(true)
    await expect(buildOnce(root, [emitOptimizer({}), failIn('generateBundle', 'boom in generateBundle')], { output: { cleanDir: true } })).rejects.toThrow(/boom/)
    expect(fs.existsSync(path.join(dist, 'stray.txt'))).toBe(true)
    await buildWith(root, {}, { output: { cleanDir: true } })
    expect(fs.existsSync(path.join(dist, 'stray.txt'))).toBe(false)
  })

  it('several outputs of one bundle commit separately, each when its write() ends', async () => {
    const root = tempCopy('rolldown-app', made)
    const queue = reportQueue()
    const bundle = await rolldown(input(root, [emitOptimizer({ onReport: queue.onReport })]))
    try {
      await bundle.write(output(root, { dir: path.join(root, 'dist/esm'), format: 'es' }))
      expect(queue.all.map((r) => path.relative(root, r.outDir))).toEqual(['dist/esm'])
      await bundle.write(output(root, { dir: path.join(root, 'dist/cjs'), format: 'cjs' }))
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
    const root = tempCopy('rolldown-app', made)
    const infos: string[] = []
    await buildOnce(root, [emitOptimizer({})], { input: { logLevel: 'info', onLog: (level, log) => void (level === 'info' && infos.push(log.message)) } })
    const summaries = infos.filter((m) => m.includes('emit-optimizer:'))
    expect(summaries).toHaveLength(1)
    expect(summaries[0]).toMatch(/emit-optimizer: \d+ written · 0 unchanged · 0 deleted · .* · committed$/)
  })

  it('watch mode: each rebuild is one transaction (change, no change, broken, fixed)', async () => {
    const root = tempCopy('rolldown-app', made)
    const dist = path.join(root, 'dist')
    const settings = path.join(root, 'src/settings.js')
    const queue = reportQueue()
    const watcher: RolldownWatcher = watch({ ...input(root, [emitOptimizer({ onReport: queue.onReport })]), output: output(root) })
    watcher.on('event', (event) => {
      if (event.code === 'BUNDLE_END' || event.code === 'ERROR') void event.result?.close()
    })
    try {
      expect((await queue.next()).status).toBe('committed')

      let stampsBefore = stamps(dist)
      fs.writeFileSync(settings, "export const settings = { theme: 'light', version: 2 }\n")
      const changed = await queue.next()
      expect(changed.status).toBe('committed')
      expect(changed.result!.stats.written).toBeGreaterThan(0)
      expect(changed.result!.stats.deleted).toBeGreaterThan(0)
      const stampsAfter = stamps(dist)
      expect(stampsAfter.get('format-DQgLhSSY.js') ?? [...stampsAfter.keys()].find((f) => f.startsWith('format-'))).toBeDefined()
      for (const file of [...stampsBefore.keys()].filter((f) => f.startsWith('format-') || f.startsWith('assets/'))) expect(stampsAfter.get(file), file).toBe(stampsBefore.get(file))

      stampsBefore = stampsAfter
      fs.writeFileSync(settings, fs.readFileSync(settings))
      const same = await queue.next()
      expect(same.status).toBe('committed')
      expect(same.result!.stats.written).toBe(0)
      expect(stamps(dist)).toEqual(stampsBefore)

      const good = snapshot(dist)
      fs.writeFileSync(settings, 'export const settings = {\n')
      const broken = await queue.next()
      expect(broken.status).toBe('rolled-back')
      expect(diffTrees(snapshot(dist), good)).toEqual([])
      expect(stamps(dist)).toEqual(stampsBefore)

      fs.writeFileSync(settings, "export const settings = { theme: 'blue', version: 3 }\n")
      const fixed = await queue.next()
      expect(fixed.status).toBe('committed')
      expect(fixed.result!.stats.written).toBeGreaterThan(0)
      expect(fs.readdirSync(dist).filter((f) => f.startsWith('settings-') && f.endsWith('.js'))).toHaveLength(1)
      expect(stagingLeftovers(dist)).toEqual([])
    } finally {
      await watcher.close()
    }
  })
})
