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
import { createProject, ensureFramework, median, runCli, type Framework } from '../test/frameworks/node22.js'

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
    name: 'Astro 7.3.5 basics (astro build)',
    framework: () => ensureFramework('astro-7.3.5', { astro: '7.3.5' }),
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
    name: 'Nuxt 4.5.2 starter (nuxt generate)',
    framework: () => ensureFramework('nuxt-4.5.2', { nuxt: '4.5.2', vue: '3.5.45', 'vue-router': '5.5.1', vite: '8.3.8' }, { vite: '8.3.8' }),
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
  const dirs = { native: createProject(framework, c.fixture, { [c.config.file]: c.config.native }), entry: createProject(framework, c.fixture, { [c.config.file]: c.config.entry }) }
  const times: Record<'native' | 'entry', number[]> = { native: [], entry: [] }
  const [cli, args] = c.cli(framework)
  for (let run = 0; run < RUNS; run++) {
    for (const variant of ['native', 'entry'] as const) {
      const dir = dirs[variant]
      for (const entry of c.clean) fs.rmSync(path.join(dir, entry), { recursive: true, force: true })
      const result = await runCli(framework, dir, cli, args)
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
