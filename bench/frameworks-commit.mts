// The commit of a staged framework build: the VitePress starter (test/frameworks/) built with
// `vitepress build docs` through unplugin-emit-optimizer/vitepress as a whole process, cold (no
// output, caches or state) and with no change, per package tree given, trees interleaved.
// Reads each build's `latest.json`: the commit phases (lock, recover, plan, stage, publish,
// finish) and their sum, the commit's time in the build.
//
//   npm run build && node --import tsx bench/frameworks-commit.mts [--rounds 5] [<package root> …]
//
// A package root holds package.json and a built dist/ (default: this repository); pass an older
// copy to compare (e.g. a `git worktree` of an earlier commit after `npm run build` there).
// A benchmark, not a test: prints medians and never fails on a figure.
import fs from 'node:fs'
import path from 'node:path'
import { REPO } from '../test/support/frameworks/install.js'
import { latestReport } from '../test/support/frameworks/report.js'
import { vitepressStarter } from '../test/support/frameworks/starters.js'
import { median } from './measure.mjs'

const args = process.argv.slice(2)
const roundsAt = args.indexOf('--rounds')
const rounds = roundsAt >= 0 ? Number(args.splice(roundsAt, 2)[1]) : 5
const trees = args.length > 0 ? args.map((dir) => path.resolve(dir)) : [REPO]
const made: string[] = []
const PHASES = ['lock', 'recover', 'plan', 'stage', 'publish', 'finish'] as const
type Sample = Record<string, number>

try {
  const starter = await vitepressStarter(made)
  const projects = trees.map((tree, i) => {
    const dir = starter.project(made, `bench-commit-${i}`, 'vitepress')
    const link = path.join(dir, 'node_modules', 'unplugin-emit-optimizer')
    fs.rmSync(link)
    fs.symlinkSync(tree, link, 'dir')
    return dir
  })
  const build = async (dir: string, cold: boolean): Promise<Sample> => {
    if (cold)
      for (const rel of ['docs/.vitepress/dist', 'docs/.vitepress/cache', 'docs/.vitepress/.temp', 'node_modules/.cache', 'node_modules/.vite'])
        fs.rmSync(path.join(dir, rel), { recursive: true, force: true })
    const result = await starter.build(dir)
    if (result.code !== 0) throw new Error(`build failed in ${dir}:\n${result.output}`)
    const report = latestReport(dir)
    const phases = report.phasesMs ?? {}
    return { build: result.ms, commit: Object.values(phases).reduce((a, b) => a + b, 0), written: report.files.written, ...phases }
  }
  const samples = trees.map(() => ({ cold: [] as Sample[], same: [] as Sample[] }))
  for (let round = -1; round < rounds; round++) {
    for (const [i, dir] of projects.entries()) {
      const cold = await build(dir, true)
      const same = await build(dir, false)
      if (round >= 0) (samples[i]!.cold.push(cold), samples[i]!.same.push(same))
    }
  }
  const columns = ['build', 'written', ...PHASES, 'commit']
  console.log(`\nVitePress starter, commit phases from latest.json, median of ${rounds} (ms; medians per column, rows do not add up):`)
  console.log(`| tree | scenario | ${columns.join(' | ')} | commit runs |`)
  console.log(`|${'---|'.repeat(columns.length + 3)}`)
  for (const [i, tree] of trees.entries()) {
    for (const scenario of ['cold', 'same'] as const) {
      const list = samples[i]![scenario]
      const cells = columns.map((column) => median(list.map((sample) => sample[column] ?? 0)).toFixed(1))
      console.log(
        `| ${path.relative(process.cwd(), tree) || '.'} | ${scenario === 'cold' ? 'cold' : 'no change'} | ${cells.join(' | ')} | ${list.map((s) => Math.round(s.commit!)).join(', ')} |`,
      )
    }
  }
} finally {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
}
