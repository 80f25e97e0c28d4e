#!/usr/bin/env node
// What the build history adds to a commit: history on vs off, cold (2000 files, ~28 MiB, sizes
// log-uniform 1–64 KiB) and 1 % changed, interleaved rounds (the order rotates), medians.
//
//   node bench/history.mjs [--rounds 7] [--durability none|commit] [--commits 1] [--compare <other dist/index.js>]
//
// --commits N makes N 1 % commits per round (each a new 64-byte run in the same 20 files); past the
// retention limit (keep 10) every commit also drops a version, the steady state of a long-lived project.
// --compare runs another build of the package side by side (e.g. a checkout before a change).
// A benchmark, not a test: it prints a table and exits 0.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { median, mulberry32 } from './measure.mjs'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const args = { rounds: 7, durability: 'commit', commits: 1, compare: undefined }
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i]
  if (a === '--rounds') args.rounds = Number(process.argv[++i])
  else if (a === '--durability') args.durability = process.argv[++i]
  else if (a === '--commits') args.commits = Number(process.argv[++i])
  else if (a === '--compare') args.compare = path.resolve(process.argv[++i])
  else throw new Error(`unknown argument ${a}`)
}
const builds = { this: path.join(benchDir, '..', 'dist', 'index.js'), ...(args.compare ? { compare: args.compare } : {}) }
const engines = {}
for (const [name, file] of Object.entries(builds)) engines[name] = await import(pathToFileURL(file).href)

const next = mulberry32(0x5eed)
const ALPHABET = Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$(){};=.,+-*/ \n')
const cold = []
for (let i = 0; i < 2000; i++) {
  const bytes = Buffer.alloc(Math.floor(1024 * 64 ** (next() / 4294967296)))
  for (let j = 0; j < bytes.length; j++) bytes[j] = ALPHABET[next() % ALPHABET.length]
  cold.push([`d${i % 5}/e${i % 25}/f${i % 125}/file${i}.js`, bytes])
}
// 1 %: 20 files keep their size and get a 64-byte run rewritten (commit k writes a different run).
const changed = (k) => cold.map(([rel, bytes], i) => (i % 100 === 7 ? [rel, Buffer.from(bytes).fill(0x41 + (k % 50), 0, 64)] : [rel, bytes]))

const work = path.join(benchDir, '.work-history')
async function commit(engine, files, root, history) {
  const tx = engine.createTransaction({ root, outDir: 'dist', durability: args.durability, ...(history ? {} : { history: false }) })
  for (const [rel, bytes] of files) tx.write(rel, bytes)
  const started = performance.now()
  const cpu = process.cpuUsage()
  await tx.commit()
  const used = process.cpuUsage(cpu)
  // CPU time (user + system) is the work done; on a shared machine it varies far less than wall time.
  return { wall: performance.now() - started, cpu: (used.user + used.system) / 1000 }
}

const runs = {}
const combos = Object.keys(engines).flatMap((name) => [
  [name, true],
  [name, false],
])
for (let round = 0; round <= args.rounds; round++) {
  for (let k = 0; k < combos.length; k++) {
    const [name, history] = combos[(k + round) % combos.length]
    const root = path.join(work, `${name}-${history}`)
    fs.rmSync(root, { recursive: true, force: true })
    fs.mkdirSync(root, { recursive: true })
    const coldMs = await commit(engines[name], cold, root, history)
    const changedRuns = []
    for (let k = 0; k < args.commits; k++) changedRuns.push(await commit(engines[name], changed(k), root, history))
    const changedMs = { wall: median(changedRuns.map((run) => run.wall)), cpu: median(changedRuns.map((run) => run.cpu)) }
    // Round 0 warms up.
    if (round > 0)
      for (const [scenario, ms] of [
        ['cold', coldMs],
        ['1%', changedMs],
      ])
        (runs[`${name} ${scenario} ${history ? 'on' : 'off'}`] ??= []).push(ms)
  }
}
fs.rmSync(work, { recursive: true, force: true })
console.log(`history on vs off, 2000 files, durability ${args.durability}, ${args.rounds} rounds, ${args.commits} 1 % commit(s) each (medians, ms: wall / CPU user+system)`)
for (const name of Object.keys(engines))
  for (const scenario of ['cold', '1%']) {
    const cells = ['wall', 'cpu'].map((kind) => {
      const on = median(runs[`${name} ${scenario} on`].map((run) => run[kind]))
      const off = median(runs[`${name} ${scenario} off`].map((run) => run[kind]))
      return `${kind} on ${on.toFixed(1).padStart(7)} off ${off.toFixed(1).padStart(7)} = ${(on / off).toFixed(2)}`
    })
    console.log(`${name.padEnd(8)} ${scenario.padEnd(5)} ${cells.join('   ')}`)
  }
