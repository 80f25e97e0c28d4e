#!/usr/bin/env node
// Benchmark of the code-generator writer: render + write 1000 files of which 10 changed, against a
// naive loop that renders and fs.writeFileSync's every file.
//
//   npm run build && node bench/writer.mjs                 # 2 warm-up + 7 measured rounds
//   node bench/writer.mjs --rounds 3 --warmup 1 --seed 7   # uses the existing dist/
//
// Contenders (each in its own directory holding the previous generation, reset between runs):
//   naive          render every file, writeFileSync every file (not atomic, touches all 1000)
//   writer-cold    a new createWriter() per run, as a CLI generator: compares with the disk
//   writer-warm    one writer for all runs, as in a dev server: cache-first, a stat per file
// Each writer run must touch exactly the 10 changed files (mtime or inode changed), with the right
// content; otherwise the process exits 1. Results go to bench/writer-results.json.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createWriter, render } from 'unplugin-emit-optimizer'
import { median, randomUnit } from './measure.mjs'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const resultsFile = path.join(benchDir, 'writer-results.json')

function parseArgs(argv) {
  const args = { rounds: 7, warmup: 2, files: 1000, changed: 10, seed: 0x5eed }
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '')
    const value = Number(argv[++i])
    if (!(name in args) || !Number.isInteger(value) || value < 0) throw new Error(`usage: node bench/writer.mjs [--rounds N] [--warmup N] [--files N] [--changed N] [--seed N]`)
    args[name] = value
  }
  if (args.rounds < 1 || args.changed > args.files) throw new Error('--rounds must be ≥ 1 and --changed ≤ --files')
  return args
}


// A route module of ~1.5–4 KB: what a route/API-client generator emits per item.
const TEMPLATE = `// Generated from {{ source }}; do not edit.
import { defineRoute } from './runtime.js'

export const {{ name }} = defineRoute({
  path: {{ path | json }},
  version: {{ version }},
  params: [
    {{#each params}}
    { name: {{ name | json }}, type: {{ type | json }}, required: {{ required }} },
    {{/each}}
  ],
})
`

function makeItems(count, seed) {
  const next = randomUnit(seed)
  return Array.from({ length: count }, (_, i) => ({
    file: `src/routes/group-${i % 20}/route-${i}.ts`,
    source: `pages/group-${i % 20}/route-${i}.vue`,
    name: `route${i}`,
    path: `/group-${i % 20}/route-${i}`,
    version: 1,
    params: Array.from({ length: 20 + Math.floor(next() * 40) }, (_, p) => ({ name: `param${p}`, type: next() < 0.5 ? 'string' : 'number', required: next() < 0.3 })),
  }))
}

/** The seeded `count` items that change in generation 2. */
function changedIndexes(total, count, seed) {
  const next = randomUnit(seed ^ 0xc0ffee)
  const picked = new Set()
  while (picked.size < count) picked.add(Math.floor(next() * total))
  return picked
}

function identity(dir, items) {
  return items.map((item) => {
    const stats = fs.statSync(path.join(dir, item.file))
    return `${stats.ino}:${stats.mtimeMs}`
  })
}


const args = parseArgs(process.argv.slice(2))
const base = makeItems(args.files, args.seed)
const changed = changedIndexes(args.files, args.changed, args.seed)
const next = base.map((item, i) => (changed.has(i) ? { ...item, version: 2 } : item))
const expected = next.map((item) => render(TEMPLATE, item))
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-bench-writer-'))
const quiet = { warn: () => {} }

/** Puts generation 1 in place (outside the timed region). */
function reset(dir) {
  for (const item of base) {
    const file = path.join(dir, item.file)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const content = render(TEMPLATE, item)
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content) fs.writeFileSync(file, content)
  }
}

const warm = createWriter({ root: path.join(work, 'writer-warm'), logger: quiet, check: false })
const contenders = {
  naive: async (dir) => {
    for (const item of next) {
      const file = path.join(dir, item.file)
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, render(TEMPLATE, item))
    }
  },
  'writer-cold': async (dir) => {
    const writer = createWriter({ root: dir, logger: quiet, check: false })
    await writer.renderMany(TEMPLATE, next, (item) => item.file)
  },
  'writer-warm': async () => {
    await warm.renderMany(TEMPLATE, next, (item) => item.file)
  },
}

const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]))
const touched = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]))
let failure
try {
  for (const name of Object.keys(contenders)) reset(path.join(work, name))
  for (let round = 0; round < args.warmup + args.rounds; round++) {
    // Interleaved: a slow phase of the machine hits every contender alike.
    for (const [name, run] of Object.entries(contenders)) {
      const dir = path.join(work, name)
      reset(dir)
      execFileSync('sync')
      const before = identity(dir, next)
      const started = performance.now()
      await run(dir)
      const ms = performance.now() - started
      const after = identity(dir, next)
      const count = after.filter((id, i) => id !== before[i]).length
      next.forEach((item, i) => {
        if (fs.readFileSync(path.join(dir, item.file), 'utf8') !== expected[i]) failure ??= `${name}: wrong content in ${item.file}`
      })
      if (name !== 'naive' && count !== args.changed) failure ??= `${name}: touched ${count} files, expected exactly ${args.changed}`
      if (round >= args.warmup) {
        samples[name].push(ms)
        touched[name].push(count)
      }
    }
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}

const results = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, { medianMs: median(values), minMs: Math.min(...values), maxMs: Math.max(...values), filesTouched: Math.max(...touched[name]) }]))
const ratio = (name) => results.naive.medianMs / results[name].medianMs
const report = {
  schemaVersion: 1,
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  workload: { files: args.files, changed: args.changed, seed: args.seed, bytes: expected.reduce((sum, text) => sum + Buffer.byteLength(text), 0), rounds: args.rounds, warmup: args.warmup },
  results,
  speedup: { 'writer-cold': ratio('writer-cold'), 'writer-warm': ratio('writer-warm') },
  ...(failure ? { failure } : {}),
}
fs.writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`)

console.log(`render + write ${args.files} files (${(report.workload.bytes / 1024).toFixed(0)} KiB), ${args.changed} changed; median of ${args.rounds} rounds`)
for (const [name, r] of Object.entries(results)) {
  console.log(`  ${name.padEnd(12)} ${r.medianMs.toFixed(1).padStart(8)} ms  (min ${r.minMs.toFixed(1)}, max ${r.maxMs.toFixed(1)})  files touched: ${r.filesTouched}`)
}
console.log(`  naive / writer-cold: ${ratio('writer-cold').toFixed(2)}×   naive / writer-warm: ${ratio('writer-warm').toFixed(2)}×   (> 1: the writer is faster)`)
console.log(`  results: ${path.relative(process.cwd(), resultsFile)}`)
if (failure) {
  console.error(`FAIL ${failure}`)
  process.exitCode = 1
}
