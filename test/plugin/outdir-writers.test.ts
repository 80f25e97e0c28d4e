/**
 * Plugins that delete, copy or write the output directory by path: real rollup-plugin-delete
 * (`dist/*` at buildStart) and rollup-plugin-copy (fs-extra at buildEnd) in a real Rollup build
 * and a real Vite 8 build, with vite-plugin-static-copy beside them in Vite. The build runs as an
 * in-place session: a failure anywhere after the delete keeps the previous output byte for byte
 * (same inodes and mtimes), a no-change rebuild touches nothing, success equals the native output.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { rolldown, type Plugin as RolldownPlugin } from 'rolldown'
import { rollup, type Plugin, type RollupOptions } from 'rollup'
import copyModule from 'rollup-plugin-copy'
import del from 'rollup-plugin-delete'
import { build as viteBuild, type InlineConfig, type Plugin as VitePlugin } from 'vite'
import { viteStaticCopy } from 'vite-plugin-static-copy'
import { afterEach, describe, expect, it } from 'vitest'
import type { BuildReport } from '../../src/observe/types.js'
import { unplugin } from '../../src/adapters/unplugin.js'
import { cleanup, fileStamps, stagingLeftovers, tempApp, writtenFiles } from '../support/bundler-app.js'
import { startChild } from '../support/children.js'
import { diffTrees, snapshot } from '../support/tree.js'

const CHILD = fileURLToPath(new URL('../fixtures/outdir-writers-child.mts', import.meta.url))

/** rollup-plugin-copy is CommonJS whose types declare an ES default export. */
type Copy = (options: { targets: Array<{ src: string; dest: string }>; hook?: string }) => Plugin
const copy = ((copyModule as unknown as { default?: Copy }).default ?? copyModule) as unknown as Copy

/** The fixture imports a stylesheet: make it an empty module, as a CSS plugin would. */
const css: Plugin = { name: 'test-css', transform: (code, id) => (id.endsWith('.css') ? { code: 'export {}', map: null } : null) }

const temps: string[] = []
afterEach(() => cleanup(temps))

type Hook = 'renderChunk' | 'generateBundle' | 'writeBundle'
const HOOKS: Hook[] = ['renderChunk', 'generateBundle', 'writeBundle']

/** A plugin that throws in `hook` when told to (after rollup-plugin-delete has emptied dist). */
function failing(hook: Hook | undefined): Plugin {
  return {
    name: 'test-failing',
    [hook ?? 'buildEnd']() {
      if (hook) throw new Error(`planted failure in ${hook}`)
    },
  }
}

function withAsset(dir: string): void {
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'assets/logo.txt'), 'logo\n')
}

interface Run {
  plugin: boolean
  fail?: Hook
  reports?: BuildReport[]
  /** Filled with the inode of every file in dist as the build left it (before the commit). */
  inodes?: Map<string, string>
}

/** Records dist's inodes in closeBundle, which runs before the in-place session's (order 'post'). */
function recordInodes(dist: string, into: Map<string, string>): Plugin {
  return {
    name: 'test-inodes',
    closeBundle() {
      into.clear()
      for (const [rel, stamp] of fileStamps(dist)) into.set(rel, stamp.split(':')[1]!)
    },
  }
}

/** Files of dist whose inode is not the one the build left: copied at commit instead of renamed (zero copy). */
const copiedFiles = (dist: string, files: Iterable<string>, inodes: Map<string, string>): string[] =>
  [...files].filter((rel) => fileStamps(dist).get(rel)?.split(':')[1] !== inodes.get(rel))

function rollupConfig(dir: string, run: Run): RollupOptions & { output: { dir: string; format: 'es' } } {
  const plugins: Plugin[] = [
    css,
    del({ targets: 'dist/*', cwd: dir }),
    copy({ targets: [{ src: path.join(dir, 'assets/logo.txt'), dest: path.join(dir, 'dist') }] }),
    failing(run.fail),
  ]
  if (run.inodes) plugins.push(recordInodes(path.join(dir, 'dist'), run.inodes))
  if (run.plugin) plugins.push(unplugin.rollup({ summary: false, stateDir: path.join(dir, '.eo-state'), onReport: (r) => void run.reports?.push(r) }) as Plugin)
  return { input: path.join(dir, 'src/main.js'), plugins, output: { dir: path.join(dir, 'dist'), format: 'es' } }
}

/** What `rollup -c` does: write, then close the bundle whatever happened. */
async function rollupBuild(dir: string, run: Run): Promise<void> {
  const options = rollupConfig(dir, run)
  const bundle = await rollup(options)
  try {
    await bundle.write(options.output)
  } finally {
    await bundle.close()
  }
}

const editChart = (dir: string): void =>
  fs.writeFileSync(path.join(dir, 'src/chart.js'), "export function drawChart(values) {\n  return values.join(' | ')\n}\n")

describe('Rollup with rollup-plugin-delete and rollup-plugin-copy', () => {
  it('equals the native output; a no-change rebuild touches nothing; one change writes only what changed', async () => {
    const native = tempApp('rollup-app', temps)
    const ours = tempApp('rollup-app', temps)
    for (const dir of [native, ours]) withAsset(dir)
    await rollupBuild(native, { plugin: false })
    const reports: BuildReport[] = []
    const inodes = new Map<string, string>()
    await rollupBuild(ours, { plugin: true, reports, inodes })
    expect(reports.map((r) => r.status)).toEqual(['committed'])
    expect(diffTrees(snapshot(path.join(ours, 'dist')), snapshot(path.join(native, 'dist')))).toEqual([])
    expect(snapshot(path.join(ours, 'dist')).has('logo.txt')).toBe(true)
    // Zero copy: the files the build wrote into outDir's place are the published ones.
    expect(inodes.size).toBeGreaterThan(2)
    expect(copiedFiles(path.join(ours, 'dist'), inodes.keys(), inodes)).toEqual([])

    const before = fileStamps(path.join(ours, 'dist'))
    await rollupBuild(ours, { plugin: true, reports })
    expect(fileStamps(path.join(ours, 'dist'))).toEqual(before)
    expect(writtenFiles(reports[1]!)).toEqual([])

    editChart(native)
    editChart(ours)
    await rollupBuild(native, { plugin: false })
    await rollupBuild(ours, { plugin: true, reports, inodes })
    expect(diffTrees(snapshot(path.join(ours, 'dist')), snapshot(path.join(native, 'dist')))).toEqual([])
    const after = fileStamps(path.join(ours, 'dist'))
    const touched = [...after.keys()].filter((file) => after.get(file) !== before.get(file))
    expect(touched.sort()).toEqual(writtenFiles(reports[2]!))
    expect(touched.length).toBeGreaterThan(0)
    expect(copiedFiles(path.join(ours, 'dist'), touched, inodes)).toEqual([])
    expect(touched).not.toContain('logo.txt')
    expect(stagingLeftovers(path.join(ours, 'dist'))).toEqual([])
  })

  /** An app built once with the plugin (its output's tree and stamps), then edited for the next build. */
  const builtThenEdited = async (): Promise<{ dir: string; tree: ReturnType<typeof snapshot>; stamps: Map<string, string> }> => {
    const dir = tempApp('rollup-app', temps)
    withAsset(dir)
    await rollupBuild(dir, { plugin: true })
    const tree = snapshot(path.join(dir, 'dist'))
    const stamps = fileStamps(path.join(dir, 'dist'))
    editChart(dir)
    return { dir, tree, stamps }
  }

  it.each(HOOKS)('a failure in %s keeps the previous output byte for byte, with the original error', async (hook) => {
    const { dir, tree, stamps } = await builtThenEdited()
    const reports: BuildReport[] = []
    await expect(rollupBuild(dir, { plugin: true, fail: hook, reports })).rejects.toThrow(`planted failure in ${hook}`)
    expect(diffTrees(snapshot(path.join(dir, 'dist')), tree)).toEqual([])
    expect(fileStamps(path.join(dir, 'dist'))).toEqual(stamps)
    expect(reports.map((r) => r.status)).toEqual(['rolled-back'])
    expect(stagingLeftovers(path.join(dir, 'dist'))).toEqual([])
    expect(fs.readdirSync(dir).filter((name) => name.includes('.eo-kept-'))).toEqual([])
  })

  /** The previous output, its stamps, and no session leftovers: what every failure must leave. */
  const expectPrevious = (dir: string, tree: ReturnType<typeof snapshot>, stamps: Map<string, string>): void => {
    expect(diffTrees(snapshot(path.join(dir, 'dist')), tree)).toEqual([])
    expect(fileStamps(path.join(dir, 'dist'))).toEqual(stamps)
    expect(fs.readdirSync(dir).filter((name) => name.includes('.eo-kept-') || name.includes('.eo-staging-'))).toEqual([])
    expect(fs.existsSync(path.join(dir, '.eo-state/run-session.json'))).toBe(false)
  }

  it("a failure in another plugin's closeBundle (ours never runs) keeps the previous output when the process ends", { timeout: 120_000 }, async () => {
    const { dir, tree, stamps } = await builtThenEdited()
    const child = startChild(CHILD, [dir, 'close-fail'])
    const exit = await child.exited
    expect(exit.code, exit.stderr).not.toBe(0)
    expect(exit.stderr).toContain('planted failure in closeBundle')
    expectPrevious(dir, tree, stamps)
  })

  it('SIGKILL mid-build (after the delete and the copy): the next build puts the previous output back before it starts', { timeout: 120_000 }, async () => {
    const { dir, tree, stamps } = await builtThenEdited()
    const child = startChild(CHILD, [dir, 'hold'])
    await child.waitForLine('HELD', 60_000)
    expect(fs.existsSync(path.join(dir, '.eo-state/run-session.json'))).toBe(true)
    child.process.kill('SIGKILL')
    await child.exited
    // The killed build's half-made output is in place; a failing next build recovers first, then keeps it.
    await expect(rollupBuild(dir, { plugin: true, fail: 'generateBundle' })).rejects.toThrow('planted failure')
    expectPrevious(dir, tree, stamps)
  })

  it('natively, the same failure loses the output (what the session protects against)', async () => {
    const dir = tempApp('rollup-app', temps)
    withAsset(dir)
    await rollupBuild(dir, { plugin: false })
    await expect(rollupBuild(dir, { plugin: false, fail: 'generateBundle' })).rejects.toThrow('planted failure')
    expect([...snapshot(path.join(dir, 'dist')).keys()]).toEqual(['logo.txt'])
  })
})

/**
 * Vite 8 (vite-app fixture: a public dir, CSS, an SVG) with the same two Rollup plugins as Vite
 * users write them (`dist/*` deleted at buildStart, a file copied in writeBundle) and
 * vite-plugin-static-copy, which writes into Vite's resolved `build.outDir`.
 */
function viteConfig(dir: string, run: Run): InlineConfig {
  const plugins: VitePlugin[] = [
    del({ targets: 'dist/*', cwd: dir }) as VitePlugin,
    copy({ targets: [{ src: path.join(dir, 'assets/logo.txt'), dest: path.join(dir, 'dist') }], hook: 'writeBundle' }) as VitePlugin,
    ...viteStaticCopy({ targets: [{ src: 'assets/extra.txt', dest: 'static' }] }),
    failing(run.fail) as VitePlugin,
  ]
  if (run.plugin)
    plugins.push(unplugin.vite({ summary: false, stateDir: path.join(dir, '.eo-state'), onReport: (r) => void run.reports?.push(r) }) as VitePlugin)
  return { root: dir, configFile: false, logLevel: 'silent', plugins }
}

function viteApp(): string {
  const dir = tempApp('vite-app', temps)
  withAsset(dir)
  fs.writeFileSync(path.join(dir, 'assets/extra.txt'), 'extra\n')
  return dir
}

const editFormat = (dir: string): void => fs.writeFileSync(path.join(dir, 'src/format.js'), 'export const format = (name) => `Hi, ${name}!`\n')

describe('Vite with rollup-plugin-delete, rollup-plugin-copy and vite-plugin-static-copy', () => {
  // Vite's chunk hashes depend on the app's absolute path: native and plugin builds share one dir.
  it('equals the native output; a no-change rebuild touches nothing; one change writes only what changed', async () => {
    const dir = viteApp()
    const dist = path.join(dir, 'dist')
    await viteBuild(viteConfig(dir, { plugin: false }))
    const nativeTree = snapshot(dist)
    expect(nativeTree.has('logo.txt') && nativeTree.has('static/extra.txt')).toBe(true)
    const reports: BuildReport[] = []
    await viteBuild(viteConfig(dir, { plugin: true, reports }))
    expect(reports.map((r) => r.status)).toEqual(['committed'])
    expect(diffTrees(snapshot(dist), nativeTree)).toEqual([])

    const before = fileStamps(dist)
    await viteBuild(viteConfig(dir, { plugin: true, reports }))
    expect(fileStamps(dist)).toEqual(before)
    expect(writtenFiles(reports[1]!)).toEqual([])

    editFormat(dir)
    await viteBuild(viteConfig(dir, { plugin: true, reports }))
    const ours = snapshot(dist)
    const after = fileStamps(dist)
    const touched = [...after.keys()].filter((file) => after.get(file) !== before.get(file))
    expect(touched.sort()).toEqual(writtenFiles(reports[2]!))
    expect(touched.length).toBeGreaterThan(0)
    expect(touched.filter((file) => file.endsWith('.txt') || file.endsWith('.svg'))).toEqual([])
    expect(stagingLeftovers(dist)).toEqual([])
    await viteBuild(viteConfig(dir, { plugin: false }))
    expect(diffTrees(snapshot(dist), ours)).toEqual([])
  })

  it.each(HOOKS)('a failure in %s keeps the previous output byte for byte, with the original error', async (hook) => {
    const dir = viteApp()
    await viteBuild(viteConfig(dir, { plugin: true }))
    const tree = snapshot(path.join(dir, 'dist'))
    const stamps = fileStamps(path.join(dir, 'dist'))
    editFormat(dir)
    const reports: BuildReport[] = []
    await expect(viteBuild(viteConfig(dir, { plugin: true, fail: hook, reports }))).rejects.toThrow(`planted failure in ${hook}`)
    expect(diffTrees(snapshot(path.join(dir, 'dist')), tree)).toEqual([])
    expect(fileStamps(path.join(dir, 'dist'))).toEqual(stamps)
    expect(reports.map((r) => r.status)).toEqual(['rolled-back'])
    expect(fs.readdirSync(dir).filter((name) => name.includes('.eo-kept-') || name.includes('.eo-staging-'))).toEqual([])
  })
})

/** Rolldown tells the output directory only at write time: the plugin's `outDir` names it. */
async function rolldownBuild(dir: string, run: Run): Promise<void> {
  const plugins = [
    del({ targets: 'dist/*', cwd: dir }),
    copy({ targets: [{ src: path.join(dir, 'assets/logo.txt'), dest: path.join(dir, 'dist') }] }),
    failing(run.fail),
  ] as RolldownPlugin[]
  if (run.plugin)
    plugins.push(
      unplugin.rolldown({
        outDir: 'dist',
        summary: false,
        stateDir: path.join(dir, '.eo-state'),
        onReport: (r) => void run.reports?.push(r),
      }) as RolldownPlugin,
    )
  const bundle = await rolldown({ cwd: dir, input: path.join(dir, 'src/main.js'), moduleTypes: { '.css': 'empty' }, logLevel: 'silent', plugins })
  try {
    await bundle.write({ dir: path.join(dir, 'dist') })
  } finally {
    await bundle.close()
  }
}

describe('Rolldown with rollup-plugin-delete and rollup-plugin-copy', () => {
  it('equals the native output, touches nothing when nothing changed, and keeps the previous output on a failure after the delete', async () => {
    const dir = tempApp('rollup-app', temps)
    withAsset(dir)
    const dist = path.join(dir, 'dist')
    await rolldownBuild(dir, { plugin: false })
    const nativeTree = snapshot(dist)
    expect(nativeTree.has('logo.txt')).toBe(true)
    const reports: BuildReport[] = []
    await rolldownBuild(dir, { plugin: true, reports })
    expect(diffTrees(snapshot(dist), nativeTree)).toEqual([])
    const stamps = fileStamps(dist)
    await rolldownBuild(dir, { plugin: true, reports })
    expect(fileStamps(dist)).toEqual(stamps)
    expect(reports.map((r) => r.status)).toEqual(['committed', 'committed'])

    editChart(dir)
    for (const hook of HOOKS) {
      await expect(rolldownBuild(dir, { plugin: true, fail: hook, reports }), hook).rejects.toThrow(`planted failure in ${hook}`)
      expect(diffTrees(snapshot(dist), nativeTree), hook).toEqual([])
      expect(fileStamps(dist), hook).toEqual(stamps)
    }
    expect(reports.slice(2).map((r) => r.status)).toEqual(HOOKS.map(() => 'rolled-back'))
  })
})

describe('outDirWriters: plugins declared by name', () => {
  /** A hand-written pair: one empties dist at buildStart, one writes a sitemap into it at closeBundle. */
  const own = (dir: string): Plugin[] => [
    { name: 'wipe', buildStart: () => fs.rmSync(path.join(dir, 'dist'), { recursive: true, force: true }) },
    {
      name: 'my-sitemap',
      closeBundle() {
        fs.mkdirSync(path.join(dir, 'dist'), { recursive: true })
        fs.writeFileSync(path.join(dir, 'dist/sitemap.xml'), '<urlset/>\n')
      },
    },
  ]
  const build = async (dir: string, plugin: boolean, fail?: Hook): Promise<void> => {
    const plugins: Plugin[] = [css, ...own(dir), failing(fail)]
    if (plugin) plugins.push(unplugin.rollup({ summary: false, stateDir: path.join(dir, '.eo-state'), outDirWriters: ['wipe', 'my-sitemap'] }) as Plugin)
    const output = { dir: path.join(dir, 'dist'), format: 'es' as const }
    const bundle = await rollup({ input: path.join(dir, 'src/main.js'), plugins, output })
    try {
      await bundle.write(output)
    } finally {
      await bundle.close()
    }
  }

  it('are part of the transaction: native output, nothing touched when nothing changed, previous output kept on failure', async () => {
    const dir = tempApp('rollup-app', temps)
    const dist = path.join(dir, 'dist')
    await build(dir, false)
    const nativeTree = snapshot(dist)
    expect(nativeTree.has('sitemap.xml')).toBe(true)
    await build(dir, true)
    expect(diffTrees(snapshot(dist), nativeTree)).toEqual([])
    const stamps = fileStamps(dist)
    await build(dir, true)
    expect(fileStamps(dist)).toEqual(stamps)
    editChart(dir)
    await expect(build(dir, true, 'generateBundle')).rejects.toThrow('planted failure in generateBundle')
    expect(diffTrees(snapshot(dist), nativeTree)).toEqual([])
    expect(fileStamps(dist)).toEqual(stamps)
  })
})
