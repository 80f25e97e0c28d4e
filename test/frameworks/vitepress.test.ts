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
import { fileStamps as stamps } from '../support/bundler-app.js'
import { stagingDirsUnder } from '../support/frameworks/files.js'
import { REPO } from '../support/frameworks/install.js'
import { createProject } from '../support/frameworks/project.js'
import { latestReport } from '../support/frameworks/report.js'
import type { RunResult } from '../support/frameworks/run.js'
import { VITEPRESS, vitepressStarter, type FrameworkStarter } from '../support/frameworks/starters.js'

const made: string[] = []
let starter: FrameworkStarter
let nativeTree: Tree

const dist = (project: string): string => starter.outDir(project)
const build = (project: string): Promise<RunResult> => starter.build(project)
const project = (label: string, entry: 'vitepress' | 'vite' | undefined, siteLines = ''): string => starter.project(made, label, entry, siteLines)

/**
 * Site config lines: a user `buildEnd` (runs before the commit, while siteConfig.outDir is the
 * staging dir) recording the inode of every file VitePress wrote, in `<project>/staged-inodes.json`.
 */
const RECORD_INODES = `  async buildEnd(site) {
    const fs = await import('node:fs')
    const path = await import('node:path')
    const inodes = {}
    for (const rel of fs.readdirSync(site.outDir, { recursive: true })) {
      const stats = fs.statSync(path.join(site.outDir, rel))
      if (stats.isFile()) inodes[rel.split(path.sep).join('/')] = stats.ino
    }
    fs.writeFileSync(path.join(site.root, '..', 'staged-inodes.json'), JSON.stringify(inodes))
  },
`

/** Files of dist that are not the inode VitePress wrote them as: copied at commit instead of renamed (zero copy). */
function copiedFiles(project: string, files: Iterable<string>): string[] {
  const inodes = JSON.parse(fs.readFileSync(path.join(project, 'staged-inodes.json'), 'utf8')) as Record<string, number>
  return [...files].filter((file) => fs.statSync(path.join(dist(project), file)).ino !== inodes[file])
}

async function buildOk(dir: string): Promise<RunResult> {
  const result = await build(dir)
  expect(result.code, result.output).toBe(0)
  return result
}

beforeAll(async () => {
  starter = await vitepressStarter(made)
  const native = project('vitepress-native', undefined)
  await buildOk(native)
  nativeTree = snapshot(dist(native))
}, 900_000)

afterAll(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

describe(`VitePress ${VITEPRESS} starter through unplugin-emit-optimizer/vitepress`, { timeout: 300_000 }, () => {
  it('writes the same files and bytes as VitePress alone, in one commit shown at VitePress\'s log level; .temp is not an output', async () => {
    expect([...nativeTree.keys()]).toEqual(expect.arrayContaining(['index.html', 'markdown-examples.html', 'api-examples.html', '404.html', 'hashmap.json']))
    const dir = project('vitepress-entry', 'vitepress', RECORD_INODES)
    const result = await buildOk(dir)
    expect(diffTrees(snapshot(dist(dir)), nativeTree)).toEqual([])
    // Zero copy: every published file is the one VitePress wrote into staging, renamed.
    expect(copiedFiles(dir, nativeTree.keys())).toEqual([])
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
    const dir = project('vitepress-change', 'vitepress', RECORD_INODES)
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
    expect(copiedFiles(dir, changed)).toEqual([])
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
      ['in a post-build step (a throwing buildEnd)', /boom in buildEnd/, (dir: string) => starter.configure(dir, undefined, '  buildEnd() { throw new Error("boom in buildEnd") },\n')],
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

  // The example keeps the starter's Shiki highlighting, which VitePress does not render
  // deterministically on a loaded machine (see support/frameworks/starters.ts): a rebuild may rewrite that page.
  it('examples/vitepress-site builds through the package by name, then rebuilds leaving what did not change untouched', async () => {
    const dir = createProject(starter.installed, 'vitepress-example')
    made.push(dir)
    fs.cpSync(path.join(REPO, 'examples', 'vitepress-site'), dir, { recursive: true, filter: (src) => !/[/\\](node_modules|dist|cache)$/.test(src) })
    const first = await buildOk(dir)
    expect(first.output).toMatch(/emit-optimizer: [1-9]\d* written .* committed/)
    const second = await buildOk(dir)
    const [, written, unchanged] = /emit-optimizer: (\d+) written · (\d+) unchanged .* committed/.exec(second.output) ?? []
    expect(Number(unchanged)).toBeGreaterThan(Number(written))
    expect(snapshot(dist(dir)).has('index.html')).toBe(true)
  })
})
