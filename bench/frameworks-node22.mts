/**
 * Cold build time of the Astro and Nuxt starters, natively and through the framework entries:
 * whole `astro build` / `nuxt generate` processes under Node 22 (installed from npm like the
 * tests do), each run from scratch (no output dir, no framework or Vite caches, no state dir).
 * Prints the median of RUNS runs per variant, interleaved so that load on the shared machine hits
 * both alike. Measures, never asserts.
 *
 *   npm run build && node --import tsx bench/frameworks-node22.mts [runs]
 */
import fs from 'node:fs'
import path from 'node:path'
import { ensureFramework, type Framework } from '../test/support/frameworks/node22.js'
import { createProject, FIXTURES } from '../test/support/frameworks/project.js'
import { run } from '../test/support/frameworks/run.js'
import { ASTRO, NUXT } from '../test/support/frameworks/starters.js'
import { median } from './measure.mjs'

const RUNS = Number(process.argv[2] ?? 3)

interface Case {
  name: string
  framework: () => Promise<Framework>
  fixture: string
  config: { file: string; native: string; entry: string }
  cli: (framework: Framework) => [string, string[]]
  /** What a cold build starts without. */
  clean: string[]
  outDir: string
}

const CASES: Case[] = [
  {
    name: `Astro ${ASTRO.dependencies.astro} basics (astro build)`,
    framework: () => ensureFramework(ASTRO),
    fixture: 'astro-basics',
    config: {
      file: 'astro.config.mjs',
      native: `import { defineConfig } from 'astro/config';\nexport default defineConfig({});\n`,
      entry: `import { defineConfig } from 'astro/config';\nimport emitOptimizer from 'unplugin-emit-optimizer/astro';\nexport default defineConfig({ integrations: [emitOptimizer({ stateDir: '.eo-state' })] });\n`,
    },
    cli: (framework) => [path.join(framework.modules, 'astro', 'bin', 'astro.mjs'), ['build']],
    clean: ['dist', '.astro', 'node_modules/.vite', 'node_modules/.astro', '.eo-state'],
    outDir: 'dist',
  },
  {
    name: `Nuxt ${NUXT.dependencies.nuxt} starter (nuxt generate)`,
    framework: () => ensureFramework(NUXT),
    fixture: 'nuxt-v4',
    config: {
      file: 'nuxt.config.ts',
      native: `export default defineNuxtConfig({\n  compatibilityDate: '2025-07-15',\n  devtools: { enabled: true },\n})\n`,
      entry: `export default defineNuxtConfig({\n  compatibilityDate: '2025-07-15',\n  devtools: { enabled: true },\n  modules: [['unplugin-emit-optimizer/nuxt', { stateDir: '.eo-state' }]],\n})\n`,
    },
    cli: (framework) => [path.join(framework.modules, '@nuxt', 'cli', 'bin', 'nuxi.mjs'), ['generate']],
    clean: ['.output', 'dist', '.nuxt', 'node_modules/.cache', 'node_modules/.vite', '.eo-state'],
    outDir: '.output',
  },
]

for (const c of CASES) {
  const framework = await c.framework()
  const project = (config: string): string => createProject(framework, c.fixture, { from: path.join(FIXTURES, c.fixture), files: { [c.config.file]: config } })
  const dirs = { native: project(c.config.native), entry: project(c.config.entry) }
  const times: Record<'native' | 'entry', number[]> = { native: [], entry: [] }
  const [cli, args] = c.cli(framework)
  for (let round = 0; round < RUNS; round++) {
    for (const variant of ['native', 'entry'] as const) {
      const dir = dirs[variant]
      for (const entry of c.clean) fs.rmSync(path.join(dir, entry), { recursive: true, force: true })
      const result = await run(dir, [cli, ...args], { node: framework.node })
      if (result.code !== 0) throw new Error(`${c.name} (${variant}) failed:\n${result.output}`)
      times[variant].push(result.ms)
    }
  }
  const files = fs.readdirSync(path.join(dirs.entry, c.outDir), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length
  const native = median(times.native)
  const entry = median(times.entry)
  console.log(`${c.name}: ${files} files · cold build median of ${RUNS}: native ${(native / 1000).toFixed(2)} s, with the entry ${(entry / 1000).toFixed(2)} s (${entry >= native ? '+' : ''}${(((entry - native) / native) * 100).toFixed(1)} %) · runs native [${times.native.map((t) => (t / 1000).toFixed(2)).join(', ')}] entry [${times.entry.map((t) => (t / 1000).toFixed(2)).join(', ')}]`)
  for (const dir of Object.values(dirs)) fs.rmSync(dir, { recursive: true, force: true })
}
