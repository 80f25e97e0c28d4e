#!/usr/bin/env node
// Zero copy in isolation: a directory written beside outDir (a framework's or a command's staging
// dir: N files, 1–200 KiB log-uniform, seeded) committed to a new outDir by the engine, its files
// either read back and written again (`copy`, before) or handed over with `{ from }` and renamed
// (`adopt`), the staging dir removed after the commit as the callers do. Interleaved, 2 warm-up
// rounds, medians of the commit phases and of the whole step (capture + commit + removal).
//
//   npm run build && node bench/zero-copy.mjs [--files 33] [--rounds 21] [--durability commit|none]
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { median } from './measure.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const { createTransaction } = await import(path.join(repo, 'dist', 'index.js'))
const args = process.argv.slice(2)
const arg = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback)
const count = Number(arg('files', 33))
const rounds = Number(arg('rounds', 21))
const durability = arg('durability', 'commit')

let seed = 7
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
const files = Array.from({ length: count }, (_, i) => [
  `${i % 3 ? 'assets/' : ''}f${i}.${i % 2 ? 'js' : 'html'}`,
  Buffer.alloc(Math.round(1024 * Math.exp(random() * Math.log(200))), 97 + (i % 26)),
])
const root = fs.mkdtempSync(path.join(repo, 'bench', '.zero-copy-'))
const quiet = { info() {}, warn() {} }
const samples = { copy: [], adopt: [] }
try {
  for (let round = -2; round < rounds; round++) {
    for (const mode of round % 2 ? ['copy', 'adopt'] : ['adopt', 'copy']) {
      const outDir = path.join(root, `dist-${mode}`)
      const staging = path.join(root, `.dist-${mode}.eo-staging-${process.pid}`)
      fs.rmSync(outDir, { recursive: true, force: true })
      fs.rmSync(path.join(root, 'node_modules'), { recursive: true, force: true })
      for (const [rel, bytes] of files) {
        fs.mkdirSync(path.dirname(path.join(staging, rel)), { recursive: true })
        fs.writeFileSync(path.join(staging, rel), bytes)
      }
      const started = performance.now()
      const tx = createTransaction({ outDir, root, logger: quiet, durability, history: false })
      for (const [rel] of files) {
        const abs = path.join(staging, rel)
        tx.write(rel, fs.readFileSync(abs), mode === 'adopt' ? { from: abs } : {})
      }
      const result = await tx.commit()
      fs.rmSync(staging, { recursive: true, force: true })
      if (round >= 0) samples[mode].push({ ...result.stats.phases, commit: result.stats.durationMs, step: performance.now() - started })
    }
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true })
}
const columns = Object.keys(samples.copy[0])
console.log(`${count} files, durability ${durability}, median of ${rounds} (ms):`)
console.log(`| mode | ${columns.join(' | ')} |\n|${'---|'.repeat(columns.length + 1)}`)
for (const mode of ['copy', 'adopt']) console.log(`| ${mode} | ${columns.map((c) => median(samples[mode].map((s) => s[c])).toFixed(1)).join(' | ')} |`)
