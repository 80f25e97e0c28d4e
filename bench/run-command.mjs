// `emit-optimizer run` against the same command alone: a generator writing N files × 4 KB
// (every file rewritten each time, like most tools), cold and unchanged, per mode.
// Run: npm run build && node bench/run-command.mjs [files=2000] [reps=5]
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, median, mountNote, settle } from './measure.mjs'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const CLI = path.join(REPO, 'dist', 'cli.js')
const files = Number(process.argv[2] ?? 2000)
const reps = Number(process.argv[3] ?? 5)
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-bench-run-'))
fs.writeFileSync(
  path.join(root, 'gen.mjs'),
  `import fs from 'node:fs'
const out = process.argv[2]
for (let i = 0; i < ${files}; i++) {
  const dir = out + '/d' + (i % 40)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(dir + '/f' + i + '.js', String(i).padEnd(4096, '.'))
}
`,
)
const time = (args) => {
  settle()
  const start = performance.now()
  execFileSync(process.execPath, args, { cwd: root, stdio: 'ignore' })
  return performance.now() - start
}
const gen = (dir) => [path.join(root, 'gen.mjs'), dir]
const run = (...flags) => [CLI, 'run', '--out', 'dist', '--no-history', ...flags, '--', process.execPath, ...gen('{out}')]
const inPlace = (...flags) => [CLI, 'run', '--in-place', '--out', 'dist', '--no-history', ...flags, '--', process.execPath, ...gen('dist')]

const rows = []
const measure = (label, args, reset) => {
  const times = []
  for (let i = 0; i < reps; i++) {
    if (reset) fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true })
    if (reset) fs.rmSync(path.join(root, 'node_modules'), { recursive: true, force: true })
    times.push(time(args))
  }
  rows.push([label, median(times)])
}
measure('command alone, into an existing dir', gen('native'), false)
measure('run (redirect), cold: empty outDir', run(), true)
measure('run (redirect), unchanged output', run(), false)
measure('run --fresh (redirect), unchanged output', run('--fresh'), false)
measure('run --in-place, unchanged output', inPlace(), false)
measure('run --in-place --fresh, unchanged output', inPlace('--fresh'), false)
measure('emit-optimizer --version (node + CLI start)', [CLI, '--version'], false)

console.log(`${files} files × 4 KB, median of ${reps}; ${mountNote(root)}`)
for (const [label, ms] of rows) console.log(`${label.padEnd(48)} ${fmt(ms, 0).padStart(6)} ms`)
fs.rmSync(root, { recursive: true, force: true })
