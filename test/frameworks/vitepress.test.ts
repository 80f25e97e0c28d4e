/**
 * VitePress compatibility: the starter `vitepress init` generates (its `scaffold()` with the
 * defaults and `./docs` as root, from the template inside the published `vitepress` package),
 * built with `vitepress build docs` as whole processes, natively and through
 * `unplugin-emit-optimizer/vitepress` in `vite.plugins`.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffTrees, snapshot, type Tree } from '../support/tree.js'
import { stamps } from '../support/vite-rolldown.js'
import { copyProject, emptyProject, installStarter, latestReport, run, runModule, stagingDirsUnder, type ProcessResult } from '../support/starters.js'

export const VITEPRESS = '2.0.0-alpha.20'

const made: string[] = []
let cache: string
let template: string
let nativeTree: Tree

const dist = (project: string): string => path.join(project, 'docs', '.vitepress', 'dist')
const configFile = (project: string): string => path.join(project, 'docs', '.vitepress', 'config.mts')
const build = (project: string): Promise<ProcessResult> => run(project, [path.join(project, 'node_modules', 'vitepress', 'bin', 'vitepress.js'), 'build', 'docs'])

/** Adds a plugin to `vite.plugins` and optional site config lines, as a user edits config.mts. */
function configure(project: string, entry: 'vitepress' | 'vite' | undefined, siteLines = ''): void {
  const file = configFile(project)
  const anchor = 'export default defineConfig({\n'
  const source = fs.readFileSync(file, 'utf8')
  if (!source.includes(anchor)) throw new Error(`the scaffolded ${file} changed shape: no "${anchor.trim()}"`)
  const imports = entry ? `import emitOptimizer from 'unplugin-emit-optimizer/${entry}'\n` : ''
  const plugins = entry ? '  vite: { plugins: [emitOptimizer()] },\n' : ''
  fs.writeFileSync(file, imports + source.replace(anchor, anchor + plugins + siteLines))
}

function project(label: string, entry: 'vitepress' | 'vite' | undefined, siteLines = ''): string {
  const dir = copyProject(template, cache, made, label)
  configure(dir, entry, siteLines)
  return dir
}

async function buildOk(dir: string): Promise<ProcessResult> {
  const result = await build(dir)
  expect(result.code, result.output).toBe(0)
  return result
}

beforeAll(async () => {
  cache = installStarter('vitepress', { vitepress: VITEPRESS })
  template = emptyProject(cache, made, 'vitepress-starter')
  fs.writeFileSync(path.join(template, 'package.json'), `${JSON.stringify({ devDependencies: { vitepress: VITEPRESS } }, null, 2)}\n`)
  runModule(template, "const { scaffold } = await import('vitepress'); await scaffold({ root: './docs' })")
  const native = copyProject(template, cache, made, 'vitepress-native')
  await buildOk(native)
  nativeTree = snapshot(dist(native))
}, 900_000)

afterAll(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

describe(`VitePress ${VITEPRESS} starter through unplugin-emit-optimizer/vitepress`, { timeout: 300_000 }, () => {
  it('writes the same files and bytes as VitePress alone, in one commit shown at VitePress\'s log level; .temp is not an output', async () => {
    expect([...nativeTree.keys()]).toEqual(expect.arrayContaining(['index.html', 'markdown-examples.html', 'api-examples.html', '404.html', 'hashmap.json']))
    const dir = project('vitepress-entry', 'vitepress')
    const result = await buildOk(dir)
    expect(diffTrees(snapshot(dist(dir)), nativeTree)).toEqual([])
    const report = latestReport(dir)
    expect(report).toMatchObject({ status: 'committed', outDir: dist(dir), files: { written: nativeTree.size, total: nativeTree.size } })
    expect(result.output).toMatch(new RegExp(`emit-optimizer: ${nativeTree.size} written · 0 unchanged · 0 deleted .* committed`))
    // One state dir, next to the project (not in docs/), for dist only: .temp is not tracked.
    expect(fs.readdirSync(path.join(dir, 'node_modules', '.cache', 'emit-optimizer'))).toEqual([expect.stringMatching(/^dist-/)])
    expect(fs.existsSync(path.join(dir, 'docs', 'node_modules'))).toBe(false)
    expect(fs.existsSync(path.join(dir, 'docs', '.vitepress', '.temp'))).toBe(false)
    expect(stagingDirsUnder(dir)).toEqual([])
  })

  it('a rebuild with no change writes nothing and touches no file', async () => {
    const dir = project('vitepress-nochange', 'vitepress')
    await buildOk(dir)
    const before = stamps(dist(dir))
    await buildOk(dir)
    expect(latestReport(dir)).toMatchObject({ status: 'committed', files: { written: 0, deleted: 0, unchanged: before.size } })
    expect(stamps(dist(dir))).toEqual(before)
  })

  it('one changed page rewrites only the files whose bytes changed', async () => {
    const dir = project('vitepress-change', 'vitepress')
    await buildOk(dir)
    const treeBefore = snapshot(dist(dir))
    const stampsBefore = stamps(dist(dir))
    fs.appendFileSync(path.join(dir, 'docs', 'markdown-examples.md'), '\n## One more section\n\nAdded by the test.\n')
    await buildOk(dir)
    const treeAfter = snapshot(dist(dir))
    const stampsAfter = stamps(dist(dir))
    const changed = [...treeAfter.keys()].filter((file) => JSON.stringify(treeAfter.get(file)) !== JSON.stringify(treeBefore.get(file))).sort()
    const removed = [...treeBefore.keys()].filter((file) => !treeAfter.has(file)).sort()
    expect(changed).toContain('markdown-examples.html')
    const report = latestReport(dir)
    expect(report.changed.filter((file) => file.status === 'written').map((file) => file.path).sort()).toEqual(changed)
    expect(report.changed.filter((file) => file.status === 'deleted').map((file) => file.path).sort()).toEqual(removed)
    const untouched = [...treeAfter.keys()].filter((file) => !changed.includes(file))
    expect(untouched.length).toBeGreaterThan(changed.length)
    for (const file of untouched) expect(stampsAfter.get(file), file).toBe(stampsBefore.get(file))
  })

  describe('a failure keeps the previous site byte for byte and fails with the original error', () => {
    const failures = [
      ['in bundling (a page importing a missing module)', /missing-module/, (dir: string) => fs.writeFileSync(path.join(dir, 'docs', 'broken.md'), "# Broken\n\n<script setup>\nimport value from './missing-module.js'\n</script>\n\n{{ value }}\n")],
      ['in SSR rendering (a page that throws)', /boom in page render/, (dir: string) => fs.writeFileSync(path.join(dir, 'docs', 'broken.md'), '# Broken\n\n<script setup>\nthrow new Error("boom in page render")\n</script>\n')],
      ['in a post-build step (a throwing buildEnd)', /boom in buildEnd/, (dir: string) => configure(dir, undefined, '  buildEnd() { throw new Error("boom in buildEnd") },\n')],
    ] as const
    for (const [phase, message, inject] of failures) {
      it(phase, async () => {
        const dir = project('vitepress-fail', 'vitepress')
        await buildOk(dir)
        const tree = snapshot(dist(dir))
        const before = stamps(dist(dir))
        // A change that would be published, so that keeping the old site is visible.
        fs.appendFileSync(path.join(dir, 'docs', 'index.md'), '\nChanged.\n')
        inject(dir)
        const result = await build(dir)
        expect(result.code).not.toBe(0)
        expect(result.output).toMatch(message)
        expect(diffTrees(snapshot(dist(dir)), tree)).toEqual([])
        expect(stamps(dist(dir))).toEqual(before)
        const report = latestReport(dir)
        expect(report.status).toBe('rolled-back')
        expect(report.error?.message).toMatch(phase.startsWith('in bundling') ? /missing-module|not written/ : message)
        expect(stagingDirsUnder(dir)).toEqual([])
      })
    }

    it('premise: without the plugin, a page that throws while rendering leaves a half-built site', async () => {
      const dir = project('vitepress-native-fail', undefined)
      await buildOk(dir)
      fs.writeFileSync(path.join(dir, 'docs', 'broken.md'), '# Broken\n\n<script setup>\nthrow new Error("boom in page render")\n</script>\n')
      const result = await build(dir)
      expect(result.code).not.toBe(0)
      // VitePress emptied dist in its client build; hashmap.json is written once every page rendered.
      expect(snapshot(dist(dir)).has('hashmap.json')).toBe(false)
    })
  })

  it('the plain Vite plugin in vite.plugins steps aside with one warning naming the entry, and the build equals the native one', async () => {
    const dir = project('vitepress-plain-vite', 'vite')
    const result = await buildOk(dir)
    expect(diffTrees(snapshot(dist(dir)), nativeTree)).toEqual([])
    expect(result.output.match(/Use unplugin-emit-optimizer\/vitepress/g)).toHaveLength(1)
    expect(fs.existsSync(path.join(dir, 'node_modules', '.cache', 'emit-optimizer'))).toBe(false)
    expect(stagingDirsUnder(dir)).toEqual([])
  })
})
