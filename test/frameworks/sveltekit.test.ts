/**
 * SvelteKit 2 compatibility: the starter `sv create --template minimal --types none` generates
 * (sv's `create()`, from the template inside the published `sv` package), switched to
 * @sveltejs/adapter-static as its docs say (the adapter in vite.config, `prerender = true` in the
 * root layout), built with `vite build` as whole processes, natively and through
 * `unplugin-emit-optimizer/sveltekit` in `plugins`.
 *
 * Kit stamps every build with `version.name` (default `Date.now()`), which lands in
 * `_app/version.json`, the entry chunks and index.html; the tests pin it (`version: { name }`, a
 * kit option) so that two builds of the same source are byte-identical.
 *
 * Kit 2.70 runs prerendering and the adapter's fallback page in a worker without an `error`
 * listener: a page that throws there crashes the process (natively too). The output must still
 * be the previous one; no report can be written by a crashing process, so the last report stays
 * the previous build's.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffTrees, snapshot, type Tree } from '../support/tree.js'
import { fileStamps as stamps } from '../support/bundler-app.js'
import { stagingDirsUnder } from '../support/frameworks/files.js'
import { latestReport } from '../support/frameworks/report.js'
import type { RunResult } from '../support/frameworks/run.js'
import { SVELTEKIT_DEPENDENCIES, sveltekitStarter, type FrameworkStarter } from '../support/frameworks/starters.js'

const made: string[] = []
let starter: FrameworkStarter
let nativeTree: Tree

const out = (project: string): string => starter.outDir(project)
const build = (project: string): Promise<RunResult> => starter.build(project)
const project = (label: string, entry: 'sveltekit' | 'vite' | undefined, adapterOptions = ''): string => starter.project(made, label, entry, adapterOptions)

async function buildOk(dir: string): Promise<RunResult> {
  const result = await build(dir)
  expect(result.code, result.output).toBe(0)
  return result
}

beforeAll(async () => {
  starter = await sveltekitStarter(made)
  const native = project('sveltekit-native', undefined)
  await buildOk(native)
  nativeTree = snapshot(out(native))
}, 900_000)

afterAll(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

describe(`SvelteKit ${SVELTEKIT_DEPENDENCIES['@sveltejs/kit']} + adapter-static starter through unplugin-emit-optimizer/sveltekit`, { timeout: 300_000 }, () => {
  it('writes the same files and bytes as SvelteKit alone, in one commit after the adapter; .svelte-kit/output is not an output', async () => {
    expect([...nativeTree.keys()]).toEqual(expect.arrayContaining(['index.html', 'robots.txt', '_app/version.json']))
    const dir = project('sveltekit-entry', 'sveltekit')
    const result = await buildOk(dir)
    expect(diffTrees(snapshot(out(dir)), nativeTree)).toEqual([])
    expect(latestReport(dir)).toMatchObject({ status: 'committed', outDir: out(dir), files: { written: nativeTree.size, total: nativeTree.size } })
    expect(result.output).toMatch(new RegExp(`emit-optimizer: ${nativeTree.size} written · 0 unchanged · 0 deleted .* committed`))
    expect(result.output.indexOf('emit-optimizer:')).toBeGreaterThan(result.output.indexOf('Wrote site to "build"'))
    expect(fs.readdirSync(path.join(dir, 'node_modules', '.cache', 'emit-optimizer'))).toEqual([expect.stringMatching(/^build-/)])
    // Kit's working dir is kit's: written in place, as natively.
    expect(fs.existsSync(path.join(dir, '.svelte-kit', 'output', 'server', '.vite', 'manifest.json'))).toBe(true)
    expect(stagingDirsUnder(dir)).toEqual([])
  })

  it('a rebuild with no change writes nothing and touches no file', async () => {
    const dir = project('sveltekit-nochange', 'sveltekit')
    await buildOk(dir)
    const before = stamps(out(dir))
    await buildOk(dir)
    expect(latestReport(dir)).toMatchObject({ status: 'committed', files: { written: 0, deleted: 0, unchanged: before.size } })
    expect(stamps(out(dir))).toEqual(before)
  })

  it('one changed page rewrites only the files whose bytes changed and deletes stale ones', async () => {
    const dir = project('sveltekit-change', 'sveltekit')
    await buildOk(dir)
    const treeBefore = snapshot(out(dir))
    const stampsBefore = stamps(out(dir))
    fs.appendFileSync(path.join(dir, 'src', 'routes', '+page.svelte'), '<p>One more paragraph, added by the test.</p>\n')
    await buildOk(dir)
    const treeAfter = snapshot(out(dir))
    const stampsAfter = stamps(out(dir))
    const changed = [...treeAfter.keys()].filter((file) => JSON.stringify(treeAfter.get(file)) !== JSON.stringify(treeBefore.get(file))).sort()
    const removed = [...treeBefore.keys()].filter((file) => !treeAfter.has(file)).sort()
    expect(changed).toContain('index.html')
    const report = latestReport(dir)
    expect(report.changed.filter((file) => file.status === 'written').map((file) => file.path).sort()).toEqual(changed)
    expect(report.changed.filter((file) => file.status === 'deleted').map((file) => file.path).sort()).toEqual(removed)
    const untouched = [...treeAfter.keys()].filter((file) => !changed.includes(file))
    expect(untouched).toEqual(expect.arrayContaining(['robots.txt', '_app/version.json']))
    for (const file of untouched) expect(stampsAfter.get(file), file).toBe(stampsBefore.get(file))
  })

  describe('a failure keeps the previous site byte for byte and fails with the original error', () => {
    const fallback = "{ fallback: '200.html' }"
    const failures = [
      {
        phase: 'in bundling (a page importing a missing module)',
        message: /missing-module/,
        crashes: false,
        inject: (dir: string) => fs.writeFileSync(path.join(dir, 'src', 'routes', '+page.svelte'), "<script>\n\timport value from './missing-module.js';\n</script>\n\n<p>{value}</p>\n"),
      },
      {
        phase: 'in prerendering (a page that throws)',
        message: /boom in prerender/,
        crashes: true,
        inject: (dir: string) => fs.writeFileSync(path.join(dir, 'src', 'routes', '+page.svelte'), "<script>\n\tthrow new Error('boom in prerender');\n</script>\n"),
      },
      {
        phase: "in a post-build step (the adapter's fallback page fails after it emptied build/)",
        message: /Could not create a fallback page/,
        crashes: true,
        inject: (dir: string) => fs.writeFileSync(path.join(dir, 'src', 'hooks.server.js'), "export async function handle({ event, resolve }) {\n\tif (event.url.pathname === '/[fallback]') throw new Error('boom in fallback');\n\treturn resolve(event);\n}\n"),
      },
    ]
    for (const { phase, message, crashes, inject } of failures) {
      it(phase, async () => {
        const dir = project('sveltekit-fail', 'sveltekit', fallback)
        await buildOk(dir)
        const tree = snapshot(out(dir))
        const before = stamps(out(dir))
        const previous = latestReport(dir)
        // A change that would be published, so that keeping the old site is visible.
        fs.appendFileSync(path.join(dir, 'src', 'routes', '+layout.svelte'), '<footer>changed</footer>\n')
        inject(dir)
        const result = await build(dir)
        expect(result.code).not.toBe(0)
        expect(result.output).toMatch(message)
        expect(diffTrees(snapshot(out(dir)), tree)).toEqual([])
        expect(stamps(out(dir))).toEqual(before)
        expect(stagingDirsUnder(dir)).toEqual([])
        const report = latestReport(dir)
        if (crashes) expect(report).toEqual(previous)
        else expect(report).toMatchObject({ status: 'rolled-back', error: { message: expect.stringMatching(message) } })
      })
    }

    it("premise: without the plugin, a failing fallback page leaves build/ emptied and half rewritten", async () => {
      const dir = project('sveltekit-native-fail', undefined, fallback)
      await buildOk(dir)
      expect(snapshot(out(dir)).has('200.html')).toBe(true)
      failures[2]!.inject(dir)
      const result = await build(dir)
      expect(result.code).not.toBe(0)
      expect(snapshot(out(dir)).has('200.html')).toBe(false)
    })
  })

  it('the plain Vite plugin steps aside with one warning naming the entry, and the build equals the native one', async () => {
    const dir = project('sveltekit-plain-vite', 'vite')
    const result = await buildOk(dir)
    expect(diffTrees(snapshot(out(dir)), nativeTree)).toEqual([])
    expect(result.output.match(/Use unplugin-emit-optimizer\/sveltekit/g)).toHaveLength(1)
    expect(fs.existsSync(path.join(dir, 'node_modules', '.cache', 'emit-optimizer'))).toBe(false)
    expect(stagingDirsUnder(dir)).toEqual([])
  })
})
