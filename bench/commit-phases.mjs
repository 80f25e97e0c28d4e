#!/usr/bin/env node
// The fixed cost of a commit on a small app: `examples/vite-app` (12 files) built with `vite build`
// as a whole process, cold (no dist, no state) and with no change, per package tree given, interleaved.
// Reads each build's `latest.json` (commit phases, the capture's duration) and times the process.
//
//   node bench/commit-phases.mjs [--rounds 7] [<package root> …]   (default: this repository)
//
// Each package root must have a built dist/ (npm run build). Prints medians per tree and scenario.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const roundsAt = args.indexOf('--rounds')
const rounds = roundsAt >= 0 ? Number(args.splice(roundsAt, 2)[1]) : 7
const trees = args.length > 0 ? args.map((dir) => path.resolve(dir)) : [repo]

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]
}

/** A copy of examples/vite-app whose `unplugin-emit-optimizer` is `tree` and whose `vite` is this repository's. */
function appFor(tree, i) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `eo-phases-${i}-`))
  fs.cpSync(path.join(repo, 'examples/vite-app'), dir, { recursive: true, filter: (src) => !/[/\\](dist|node_modules)$/.test(src) })
  fs.mkdirSync(path.join(dir, 'node_modules'))
  fs.symlinkSync(tree, path.join(dir, 'node_modules/unplugin-emit-optimizer'))
  fs.symlinkSync(path.join(repo, 'node_modules/vite'), path.join(dir, 'node_modules/vite'))
  return dir
}

function build(app, cold) {
  const state = path.join(app, 'node_modules/.cache')
  if (cold) {
    fs.rmSync(path.join(app, 'dist'), { recursive: true, force: true })
    fs.rmSync(state, { recursive: true, force: true })
  }
  const started = performance.now()
  const child = spawnSync(process.execPath, [path.join(repo, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'silent'], { cwd: app, encoding: 'utf8' })
  const wall = performance.now() - started
  if (child.status !== 0) throw new Error(`vite build failed in ${app}:\n${child.stdout}${child.stderr}`)
  const dir = path.join(state, 'emit-optimizer')
  const report = JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0], 'reports/latest.json'), 'utf8'))
  const phases = report.phasesMs ?? {}
  return { wall, capture: report.build.durationMs, commit: Object.values(phases).reduce((a, b) => a + b, 0), ...phases }
}

const apps = trees.map(appFor)
const samples = apps.map(() => ({ cold: [], same: [] }))
try {
  for (let round = -1; round < rounds; round++) {
    for (const [i, app] of apps.entries()) {
      const cold = build(app, true)
      const same = build(app, false)
      if (round >= 0) samples[i].cold.push(cold), samples[i].same.push(same)
    }
  }
} finally {
  for (const app of apps) fs.rmSync(app, { recursive: true, force: true })
}
const keys = ['wall', 'capture', 'commit', 'lock', 'recover', 'plan', 'stage', 'publish', 'finish']
const [load1] = os.loadavg()
console.log(`examples/vite-app, ${rounds} rounds (+1 warm-up), medians in ms; load average now ${load1.toFixed(1)}`)
console.log(`| tree | scenario | ${keys.join(' | ')} |`)
console.log(`|---|---|${keys.map(() => '---').join('|')}|`)
for (const [i, tree] of trees.entries())
  for (const scenario of ['cold', 'same'])
    console.log(`| ${path.basename(tree)} | ${scenario === 'cold' ? 'cold' : 'no change'} | ${keys.map((k) => median(samples[i][scenario].map((s) => s[k] ?? 0)).toFixed(1)).join(' | ')} |`)
