// Cold whole-process build time of the framework starters (test/frameworks/), natively and
// through the framework entry: `vitepress build docs` / `vite build`, each run from a clean
// project (no output, no Vite/VitePress/kit caches, no state dir), variants alternated.
//
//   npm run build && node --import tsx bench/frameworks-vite.mts            # 3 runs each
//   RUNS=5 node --import tsx bench/frameworks-vite.mts
//
// A benchmark, not a test: prints medians and never fails on a figure. The starters' pinned
// dependencies are installed once from the npm registry (node_modules/.cache/eo-frameworks).
import fs from 'node:fs'
import path from 'node:path'
import { sveltekitStarter, vitepressStarter, type FrameworkStarter } from '../test/support/frameworks/starters.js'
import { median } from './measure.mjs'

const RUNS = Number(process.env.RUNS ?? 3)
const made: string[] = []

/** Everything a previous build left that would make the next one warm. */
const BUILD_STATE = ['node_modules/.vite', 'node_modules/.cache', 'docs/.vitepress/cache', 'docs/.vitepress/.temp', '.svelte-kit']

function countFiles(dir: string): number {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length
}

async function measure(starter: FrameworkStarter, entry: string): Promise<{ label: string; files: number; without: number[]; with: number[] }> {
  const projects = { without: starter.project(made, 'bench-native', undefined), with: starter.project(made, 'bench-entry', entry) }
  const times: { without: number[]; with: number[] } = { without: [], with: [] }
  let files = 0
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const)
    for (const variant of order) {
      const dir = projects[variant]
      for (const rel of [path.relative(dir, starter.outDir(dir)), ...BUILD_STATE]) fs.rmSync(path.join(dir, rel), { recursive: true, force: true })
      const result = await starter.build(dir)
      if (result.code !== 0) throw new Error(`${starter.label} ${variant} build failed:\n${result.output}`)
      times[variant].push(result.ms)
      files = countFiles(starter.outDir(dir))
    }
  }
  return { label: starter.label, files, ...times }
}

try {
  const rows = [await measure(await vitepressStarter(made), 'vitepress'), await measure(await sveltekitStarter(made), 'sveltekit')]
  console.log(`\ncold build, whole process, median of ${RUNS} (ms):`)
  console.log('| framework | files | without | with | difference | runs without / with |')
  console.log('|---|---|---|---|---|---|')
  for (const row of rows) {
    const [without, withEntry] = [median(row.without), median(row.with)]
    console.log(`| ${row.label} | ${row.files} | ${Math.round(without)} | ${Math.round(withEntry)} | ${withEntry >= without ? '+' : ''}${Math.round(withEntry - without)} ms (${(((withEntry - without) / without) * 100).toFixed(1)} %) | ${row.without.map(Math.round).join(', ')} / ${row.with.map(Math.round).join(', ')} |`)
  }
} finally {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
}
