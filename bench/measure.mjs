// What every benchmark here shares: a seeded PRNG, settling between runs, medians, the table
// printer, the mount note and the results.json merge.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'

/** mulberry32: a seeded PRNG yielding unsigned 32-bit integers. */
export function mulberry32(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** The same PRNG yielding numbers in [0, 1). */
export function randomUnit(seed) {
  const next = mulberry32(seed)
  return () => next() / 4294967296
}

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc')
let syncEnabled = true

/** `--no-sync` turns off the sync(1) between runs. */
export function setSync(enabled) {
  syncEnabled = enabled
}

/** Untimed, between runs: flush dirty pages so one run's writeback does not land on the next contender, then collect garbage. */
export function settle() {
  if (syncEnabled) {
    try {
      execFileSync('sync', { stdio: 'ignore' })
    } catch {
      // sync(1) missing: nothing to flush with.
    }
  }
  gc()
}

export const median = (xs) => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
export const round2 = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : null)
export const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length])
export const fmt = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d))

/** The filesystem a directory is on, from /proc/mounts (results depend on it: ext4 with `discard` here). */
export function mountNote(dir) {
  try {
    const real = fs.realpathSync(dir)
    let best
    for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [dev, mnt, type, opts] = line.split(' ')
      if (!mnt) continue
      const m = mnt.replace(/\\040/g, ' ')
      if ((real === m || real.startsWith(m === '/' ? '/' : `${m}/`)) && (!best || m.length > best.mnt.length)) best = { dev, mnt: m, type, opts }
    }
    return best ? `${best.type} on ${best.mnt} (${best.dev}) ${best.opts}` : 'unknown'
  } catch {
    return `unknown (${process.platform})`
  }
}

/** Removes a work directory, printing how long it took (deletes are slow on a `discard` mount). */
export function removeDir(dir, label) {
  if (!fs.existsSync(dir)) return
  const t0 = performance.now()
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
  console.log(`${label}: removed ${path.relative(process.cwd(), dir) || dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}

export function table(title, rows, columns) {
  const widths = columns.map((c) => Math.max(c.label.length, ...rows.map((r) => String(c.get(r)).length)))
  const line = (cells) => cells.map((cell, i) => (columns[i].align === 'left' ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ')
  console.log(`\n${title}`)
  console.log(line(columns.map((c) => c.label)))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of rows) console.log(line(columns.map((c) => c.get(r))))
}

/** Writes `patch`'s keys into a results file, keeping the keys other benchmarks wrote. */
export function mergeResults(file, patch) {
  let existing = {}
  try {
    existing = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (error) {
    if (error.code !== 'ENOENT') throw new Error(`${file} is not valid JSON; not overwriting it: ${error.message}`)
  }
  fs.writeFileSync(file, `${JSON.stringify({ ...existing, ...patch }, null, 2)}\n`)
}
