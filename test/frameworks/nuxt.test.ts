/**
 * Nuxt 4 (the official starter, test/frameworks/fixtures/nuxt-v4, files as the `v4` template of
 * the nuxt/starter repository has them: `nuxi init` fetches them from the network, and no npm
 * package ships them) built by `nuxt generate` under Node 22, natively and through
 * `unplugin-emit-optimizer/nuxt`. Vite is pinned to 8.3 (overrides): Nuxt 4.5 fails natively with
 * Vite 8.4.0 (EXTERNAL_MODULES_CANNOT_BE_TRANSFORMED_TO_MODULES).
 *
 * Both projects get the same additions to nuxt.config.ts: a fixed `buildId` (Nuxt draws a random
 * one per build, written into every page, the payload and `_nuxt/builds/`), and a Nitro
 * `compiled` hook that writes `build-info.txt` into the public dir after the bundle and throws
 * when EO_TEST_FAIL=hook.
 *
 * Nuxt is not deterministic even so: every prerendered page and payload carries the render time
 * (`prerenderedAt`, epoch ms), `_nuxt/builds/latest.json` a timestamp and `nitro.json` the build
 * date. Those files differ between any two builds, natively too; they are compared with the
 * times taken out, and a rebuild with no change rewrites exactly them.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { changed, contents, snapshot, stagingLeftovers, touched } from '../support/frameworks/files.js'
import { ensureFramework, type Framework } from '../support/frameworks/node22.js'
import { createProject, FIXTURES, writeFiles } from '../support/frameworks/project.js'
import { latestReport } from '../support/frameworks/report.js'
import { run, typecheck, type RunResult } from '../support/frameworks/run.js'
import { NUXT } from '../support/frameworks/starters.js'

const VERSION = NUXT.dependencies.nuxt
const STATE_DIR = '.eo-state'
/** Nitro's build information, with the build date. */
const BUILD_INFO = 'nitro.json'

const APP = (text: string): string => `<template>
  <div>
    <NuxtRouteAnnouncer />
    <NuxtWelcome />${text ? `\n    <p>${text}</p>` : ''}
  </div>
</template>
`

function nuxtConfig(mode: 'native' | 'entry' | 'vite'): string {
  const imports = `import { writeFileSync } from 'node:fs'\nimport { join } from 'node:path'\n${mode === 'vite' ? `import emitOptimizer from 'unplugin-emit-optimizer/vite'\n` : ''}`
  const plugin = mode === 'entry' ? `\n  modules: [['unplugin-emit-optimizer/nuxt', { stateDir: '${STATE_DIR}' }]],` : mode === 'vite' ? `\n  vite: { plugins: [emitOptimizer({ stateDir: '${STATE_DIR}' })] },` : ''
  return `${imports}
// https://nuxt.com/docs/api/configuration/nuxt-config
export default defineNuxtConfig({
  compatibilityDate: '2025-07-15',
  devtools: { enabled: true },
  buildId: 'eo-test',
  hooks: {
    'nitro:init'(nitro) {
      nitro.hooks.hook('compiled', () => {
        writeFileSync(join(nitro.options.output.publicDir, 'build-info.txt'), 'written after the build\\n')
        if (process.env.EO_TEST_FAIL === 'hook') throw new Error('EO_TEST hook failed')
      })
    },
  },${plugin}
})
`
}

let framework: Framework
const projects: string[] = []

function project(mode: 'native' | 'entry' | 'vite'): string {
  const dir = createProject(framework, 'nuxt-v4', { from: path.join(FIXTURES, 'nuxt-v4'), files: { 'nuxt.config.ts': nuxtConfig(mode) } })
  projects.push(dir)
  return dir
}

function generate(dir: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run(dir, [path.join(framework.modules, '@nuxt', 'cli', 'bin', 'nuxi.mjs'), 'generate'], { node: framework.node, env })
}

async function generateOk(dir: string): Promise<RunResult> {
  const result = await generate(dir)
  expect(result.code, result.output).toBe(0)
  return result
}

/** Epoch milliseconds and ISO dates: the render and build times Nuxt and Nitro write. */
const TIMES = /\b1[7-9]\d{11}\b|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g

/** Files and bytes, with the times taken out of the HTML and JSON files. */
function comparable(dir: string): Record<string, string> {
  const files = contents(snapshot(dir))
  for (const file of Object.keys(files)) {
    if (/\.(html|json)$/.test(file)) files[file] = fs.readFileSync(path.join(dir, file), 'utf8').replace(TIMES, '<time>')
  }
  return files
}

beforeAll(async () => {
  framework = await ensureFramework(NUXT)
}, 15 * 60_000)

afterAll(() => {
  for (const dir of projects) fs.rmSync(dir, { recursive: true, force: true })
})

describe(`Nuxt ${VERSION} starter, nuxt generate (Node 22)`, { timeout: 10 * 60_000 }, () => {
  let native: string
  let entry: string

  it('generates the same files with the same bytes as Nuxt alone (times taken out), including what a hook writes after the bundle', async () => {
    native = project('native')
    entry = project('entry')
    await generateOk(native)
    const result = await generateOk(entry)
    const nativeOut = path.join(native, '.output')
    expect([...snapshot(nativeOut).keys()]).toEqual(expect.arrayContaining(['public/index.html', 'public/200.html', 'public/404.html', 'public/build-info.txt', 'public/robots.txt', BUILD_INFO]))
    expect(comparable(path.join(entry, '.output'))).toEqual(comparable(nativeOut))
    expect(result.output).toMatch(/emit-optimizer: \d+ written .* committed/)
    // Nitro's closing lines and Nuxt's dist link name the real directory, not the staging one.
    expect(result.output).toMatch(/You can preview this build using `?npx serve \.output\/public/)
    expect(fs.readlinkSync(path.join(entry, 'dist'))).toBe(path.join(entry, '.output', 'public'))
    expect(latestReport(entry, STATE_DIR)).toMatchObject({ status: 'committed', bundler: 'nuxt' })
    expect(stagingLeftovers(path.join(entry, '.output'))).toEqual([])
  })

  it('a rebuild with no change rewrites only the files whose bytes Nuxt changed (its timestamps), the others keep inode and mtime', async () => {
    const outDir = path.join(entry, '.output')
    const before = snapshot(outDir)
    const beforeTimeless = comparable(outDir)
    const result = await generateOk(entry)
    const after = snapshot(outDir)
    const rewritten = touched(before, after)
    expect(rewritten).toEqual(changed(before, after))
    // What changed is the times only, in the files that carry one.
    expect(comparable(outDir)).toEqual(beforeTimeless)
    expect(rewritten).toEqual(expect.arrayContaining([BUILD_INFO, 'public/index.html']))
    for (const file of after.keys()) if (!/\.(html|json)$/.test(file)) expect(rewritten).not.toContain(file)
    expect(result.output).toContain(`${rewritten.length} written`)
    process.stdout.write(`[eo-frameworks] nuxt no-change rebuild: ${rewritten.length} of ${after.size} files rewritten (${rewritten.join(', ')})\n`)
  })

  it('a changed page writes only the files whose bytes changed', async () => {
    const outDir = path.join(entry, '.output')
    const before = snapshot(outDir)
    writeFiles(entry, { 'app/app.vue': APP('version 2') })
    await generateOk(entry)
    const after = snapshot(outDir)
    const different = changed(before, after)
    expect(different).toContain('public/index.html')
    expect(touched(before, after)).toEqual(different)
    // Files the change does not reach keep their inode and mtime.
    expect(touched(before, after)).not.toContain('public/robots.txt')
    expect(touched(before, after)).not.toContain('public/favicon.ico')
  })

  const failures: Array<{ phase: string; files?: Record<string, string>; env?: NodeJS.ProcessEnv; error: RegExp }> = [
    { phase: 'bundling (app.vue imports a missing component)', files: { 'app/app.vue': `<script setup>\nimport Missing from './Missing.vue'\n</script>\n${APP('broken')}` }, error: /Missing\.vue/ },
    { phase: 'prerender (the page throws while Nitro renders it)', files: { 'app/app.vue': `<script setup>\nthrow new Error('EO_TEST page render failed')\n</script>\n${APP('throws')}` }, error: /Exiting due to prerender errors/ },
    { phase: "a post-build hook (Nitro's compiled hook throws)", env: { EO_TEST_FAIL: 'hook' }, error: /EO_TEST hook failed/ },
  ]

  for (const failure of failures) {
    it(`a failure in ${failure.phase} keeps the previous output byte for byte and fails with the original error`, async () => {
      const outDir = path.join(entry, '.output')
      const before = snapshot(outDir)
      const app = fs.readFileSync(path.join(entry, 'app/app.vue'), 'utf8')
      writeFiles(entry, failure.files ?? {})
      try {
        const result = await generate(entry, failure.env)
        expect(result.code).not.toBe(0)
        expect(result.output).toMatch(failure.error)
        expect(result.output).toMatch(/emit-optimizer: .*rolled-back/)
      } finally {
        writeFiles(entry, { 'app/app.vue': app })
      }
      expect(snapshot(outDir)).toEqual(before)
      expect(stagingLeftovers(outDir)).toEqual([])
      expect(latestReport(entry, STATE_DIR)).toMatchObject({ status: 'rolled-back', bundler: 'nuxt' })
    })
  }

  it('natively, the same prerender failure leaves .output emptied (what the module protects from)', async () => {
    const outDir = path.join(native, '.output')
    const before = snapshot(outDir)
    const app = fs.readFileSync(path.join(native, 'app/app.vue'), 'utf8')
    writeFiles(native, failures[1]!.files!)
    const result = await generate(native)
    writeFiles(native, { 'app/app.vue': app })
    expect(result.code).not.toBe(0)
    expect(Object.keys(contents(snapshot(outDir)))).not.toEqual(Object.keys(contents(before)))
  })

  it("the module's type fits nuxt.config's modules (checked against Nuxt's own types)", async () => {
    const dir = project('native')
    const ok = await typecheck(dir, `import type { NuxtConfig } from 'nuxt/schema'\nimport emitOptimizer from 'unplugin-emit-optimizer/nuxt'\nexport const config: NuxtConfig = { modules: [emitOptimizer, [emitOptimizer, { history: { keep: 3 } }], 'unplugin-emit-optimizer/nuxt'] }\n`)
    expect(ok.output).toBe('')
    expect(ok.code).toBe(0)
    // The check can fail: a wrong module shape is reported.
    const wrong = await typecheck(dir, `import type { NuxtConfig } from 'nuxt/schema'\nexport const config: NuxtConfig = { modules: [(options: { a: number }, nuxt: { nope: true }) => {}] }\n`)
    expect(wrong.code).not.toBe(0)
  })

  it('the plain Vite plugin inside Nuxt steps aside: the build succeeds with native output, one warning naming the Nuxt module, no state', async () => {
    const vite = project('vite')
    const result = await generateOk(vite)
    expect(result.output).not.toContain('NUXT_B7021')
    expect(result.output.match(/unplugin-emit-optimizer\/nuxt/g)).toHaveLength(1)
    await generateOk(native)
    expect(comparable(path.join(vite, '.output'))).toEqual(comparable(path.join(native, '.output')))
    expect(fs.existsSync(path.join(vite, STATE_DIR))).toBe(false)
    expect(fs.readdirSync(path.join(vite, '.nuxt', 'dist')).filter((name) => name.includes('eo-staging'))).toEqual([])
  })
})
