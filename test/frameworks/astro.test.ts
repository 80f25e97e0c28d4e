/**
 * Astro 7 (the official `basics` starter, test/frameworks/fixtures/astro-basics, files as
 * examples/basics in the astro repository has them: `npm create astro` fetches them from the
 * network, and no npm package ships them) built by `astro build` under Node 22, natively and
 * through `unplugin-emit-optimizer/astro`.
 *
 * Both projects get the same two additions: a second page (`/about`) so one page can change
 * alone, and a post-build integration that writes `build-info.txt` into `dir` in
 * `astro:build:done` (as sitemap integrations do) and throws when EO_TEST_FAIL=integration.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { changed, contents, snapshot, stagingLeftovers, touched } from '../support/frameworks/files.js'
import { ensureFramework, type Framework } from '../support/frameworks/node22.js'
import { createProject, FIXTURES, writeFiles } from '../support/frameworks/project.js'
import { historyList, latestReport } from '../support/frameworks/report.js'
import { run, typecheck, type RunResult } from '../support/frameworks/run.js'
import { ASTRO } from '../support/frameworks/starters.js'

const VERSION = ASTRO.dependencies.astro
const STATE_DIR = '.eo-state'

const ABOUT = (text: string): string => `---
import Layout from '../layouts/Layout.astro';
---

<Layout>
	<h1>About</h1>
	<p>${text}</p>
</Layout>
`

const POST_BUILD = `{
  name: 'eo-test-post-build',
  hooks: {
    'astro:build:done': ({ dir }) => {
      fs.writeFileSync(new URL('build-info.txt', dir), 'written after the build\\n')
      if (process.env.EO_TEST_FAIL === 'integration') throw new Error('EO_TEST integration failed')
    },
  },
}`

/** The starter's astro.config.mjs with the test's integration, and the plugin as `mode` says. */
function astroConfig(mode: 'native' | 'entry' | 'vite'): string {
  const imports = mode === 'entry' ? `import emitOptimizer from 'unplugin-emit-optimizer/astro';\n` : mode === 'vite' ? `import emitOptimizer from 'unplugin-emit-optimizer/vite';\n` : ''
  const integrations = mode === 'entry' ? `[emitOptimizer({ stateDir: '${STATE_DIR}' }), ${POST_BUILD}]` : `[${POST_BUILD}]`
  const vite = mode === 'vite' ? `, vite: { plugins: [emitOptimizer({ stateDir: '${STATE_DIR}' })] }` : ''
  return `// @ts-check
import fs from 'node:fs';
import { defineConfig } from 'astro/config';
${imports}
// https://astro.build/config
export default defineConfig({ integrations: ${integrations}${vite} });
`
}

let framework: Framework
const projects: string[] = []

function project(mode: 'native' | 'entry' | 'vite'): string {
  const dir = createProject(framework, 'astro-basics', { from: path.join(FIXTURES, 'astro-basics'), files: { 'astro.config.mjs': astroConfig(mode), 'src/pages/about.astro': ABOUT('version 1') } })
  projects.push(dir)
  return dir
}

function build(dir: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run(dir, [path.join(framework.modules, 'astro', 'bin', 'astro.mjs'), 'build'], { node: framework.node, env })
}

async function buildOk(dir: string): Promise<RunResult> {
  const result = await build(dir)
  expect(result.code, result.output).toBe(0)
  return result
}

beforeAll(async () => {
  framework = await ensureFramework(ASTRO)
}, 15 * 60_000)

afterAll(() => {
  for (const dir of projects) fs.rmSync(dir, { recursive: true, force: true })
})

describe(`Astro ${VERSION} basics starter (Node 22)`, { timeout: 10 * 60_000 }, () => {
  let native: string
  let entry: string

  it('builds the same files with the same bytes as Astro alone, including what an integration writes in astro:build:done', async () => {
    native = project('native')
    entry = project('entry')
    await buildOk(native)
    const result = await buildOk(entry)
    const nativeFiles = snapshot(path.join(native, 'dist'))
    expect([...nativeFiles.keys()]).toEqual(expect.arrayContaining(['index.html', 'about/index.html', 'build-info.txt', 'favicon.svg']))
    expect(contents(snapshot(path.join(entry, 'dist')))).toEqual(contents(nativeFiles))
    expect(result.output).toMatch(/\[unplugin-emit-optimizer\] emit-optimizer: \d+ written .* committed/)
    expect(latestReport(entry, STATE_DIR)).toMatchObject({ status: 'committed', bundler: 'astro' })
    expect(stagingLeftovers(path.join(entry, 'dist'))).toEqual([])
    // Astro's internals stay Astro's: nothing of .astro/ is an output.
    expect(fs.readdirSync(path.join(entry, 'dist'))).not.toContain('.prerender')
  })

  it('a rebuild with no change touches no file and records no new history version', async () => {
    const outDir = path.join(entry, 'dist')
    const before = snapshot(outDir)
    const versions = (await historyList(entry, outDir, path.join(entry, STATE_DIR))).versions.length
    const result = await buildOk(entry)
    expect(touched(before, snapshot(outDir))).toEqual([])
    expect(result.output).toContain('0 written')
    expect((await historyList(entry, outDir, path.join(entry, STATE_DIR))).versions).toHaveLength(versions)
  })

  it('one changed page writes only that page and records one version', async () => {
    const outDir = path.join(entry, 'dist')
    const before = snapshot(outDir)
    const versions = (await historyList(entry, outDir, path.join(entry, STATE_DIR))).versions.length
    writeFiles(entry, { 'src/pages/about.astro': ABOUT('version 2') })
    await buildOk(entry)
    const after = snapshot(outDir)
    expect(changed(before, after)).toEqual(['about/index.html'])
    expect(touched(before, after)).toEqual(['about/index.html'])
    expect((await historyList(entry, outDir, path.join(entry, STATE_DIR))).versions).toHaveLength(versions + 1)
  })

  const failures: Array<{ phase: string; files?: Record<string, string>; env?: NodeJS.ProcessEnv; error: RegExp }> = [
    { phase: 'bundling (a page imports a missing component)', files: { 'src/pages/broken.astro': `---\nimport Missing from '../components/Missing.astro';\n---\n<Missing />\n` }, error: /Missing\.astro/ },
    { phase: 'prerender (a page throws while Astro renders it)', files: { 'src/pages/throws.astro': `---\nthrow new Error('EO_TEST page render failed');\n---\n<p>never</p>\n` }, error: /EO_TEST page render failed/ },
    { phase: 'a post-build integration (astro:build:done throws)', env: { EO_TEST_FAIL: 'integration' }, error: /EO_TEST integration failed/ },
  ]

  for (const failure of failures) {
    it(`a failure in ${failure.phase} keeps the previous output byte for byte and fails with the original error`, async () => {
      const outDir = path.join(entry, 'dist')
      const before = snapshot(outDir)
      writeFiles(entry, failure.files ?? {})
      try {
        const result = await build(entry, failure.env)
        expect(result.code).not.toBe(0)
        expect(result.output).toMatch(failure.error)
        expect(result.output).toMatch(/emit-optimizer: .*rolled-back/)
      } finally {
        for (const file of Object.keys(failure.files ?? {})) fs.rmSync(path.join(entry, file))
      }
      const after = snapshot(outDir)
      expect(after).toEqual(before)
      expect(stagingLeftovers(outDir)).toEqual([])
      expect(latestReport(entry, STATE_DIR)).toMatchObject({ status: 'rolled-back', bundler: 'astro' })
    })
  }

  it('natively, the same page failure leaves dist half-built (what the entry protects from)', async () => {
    const outDir = path.join(native, 'dist')
    const before = snapshot(outDir)
    writeFiles(native, { 'src/pages/throws.astro': `---\nthrow new Error('EO_TEST page render failed');\n---\n<p>never</p>\n` })
    const result = await build(native)
    fs.rmSync(path.join(native, 'src/pages/throws.astro'))
    expect(result.code).not.toBe(0)
    expect(contents(snapshot(outDir))).not.toEqual(contents(before))
  })

  it('after the failures the next build commits normally', async () => {
    const outDir = path.join(entry, 'dist')
    const before = snapshot(outDir)
    await buildOk(entry)
    expect(touched(before, snapshot(outDir))).toEqual([])
    expect(latestReport(entry, STATE_DIR).status).toBe('committed')
  })

  it("the entry's type is an AstroIntegration (checked against astro's own types)", async () => {
    const dir = project('native')
    const ok = await typecheck(dir, `import type { AstroIntegration } from 'astro'\nimport emitOptimizer from 'unplugin-emit-optimizer/astro'\nexport const integration: AstroIntegration = emitOptimizer({ history: { keep: 3 } })\n`)
    expect(ok.output).toBe('')
    expect(ok.code).toBe(0)
    // The check can fail: a wrong option is reported.
    const wrong = await typecheck(dir, `import emitOptimizer from 'unplugin-emit-optimizer/astro'\nexport const integration = emitOptimizer({ history: 'forever' })\n`)
    expect(wrong.code).not.toBe(0)
  })

  it('the plain Vite plugin inside Astro steps aside: native output, one warning naming the Astro entry, no state', async () => {
    const vite = project('vite')
    const result = await buildOk(vite)
    expect(result.output.match(/unplugin-emit-optimizer\/astro/g)).toHaveLength(1)
    expect(result.output).not.toMatch(/rolled-back|committed/)
    // The native project's dist was left half-built by the previous test: build it again.
    await buildOk(native)
    expect(contents(snapshot(path.join(vite, 'dist')))).toEqual(contents(snapshot(path.join(native, 'dist'))))
    expect(fs.existsSync(path.join(vite, STATE_DIR))).toBe(false)
    expect(stagingLeftovers(path.join(vite, 'dist'))).toEqual([])
  })
})
