// Cold build time of real framework starters, natively and through their framework entry: whole
// `rsbuild build` processes, each in a fresh copy of the starter (no dist, no caches), alternating
// native / entry, median of the runs. A benchmark, not a test: nothing is asserted.
//
//   node --import tsx bench/frameworks-rsbuild.mts            # 5 runs each
//   node --import tsx bench/frameworks-rsbuild.mts --runs 7
import fs from 'node:fs'
import path from 'node:path'
import { installPackage } from '../test/support/crash-apps.js'
import { install } from '../test/support/frameworks/install.js'
import { createProject, ensureBuilt } from '../test/support/frameworks/project.js'
import { RSBUILD_STARTER, rsbuildBuild, withEntry } from '../test/support/frameworks/starters.js'
import { median } from './measure.mjs'

const runsArg = process.argv.indexOf('--runs')
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5

const installed = await install(RSBUILD_STARTER)
await ensureBuilt('rsbuild')
const pkg = installPackage()
const times: Record<'native' | 'entry', number[]> = { native: [], entry: [] }
for (let run = 0; run < RUNS; run++) {
  for (const variant of ['native', 'entry'] as const) {
    const dir = createProject(installed, 'bench-rsbuild', { from: installed.template, pkg })
    try {
      if (variant === 'entry') withEntry(dir)
      const result = rsbuildBuild(dir)
      if (result.code !== 0) throw new Error(`${variant} build failed:\n${result.output}`)
      times[variant].push(result.ms)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
const fmt = (values: number[]): string => `${Math.round(median(values))} ms (runs: ${values.map(Math.round).join(', ')})`
console.log(`Rsbuild ${RSBUILD_STARTER.devDependencies?.['@rsbuild/core']} react-ts starter, cold \`rsbuild build\` (whole process), median of ${RUNS}:`)
console.log(`  without: ${fmt(times.native)}`)
console.log(`  with unplugin-emit-optimizer/rsbuild: ${fmt(times.entry)}`)
console.log(`  (${path.relative(process.cwd(), installed.dir)})`)
fs.rmSync(path.dirname(path.dirname(pkg)), { recursive: true, force: true })
