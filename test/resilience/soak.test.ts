/**
 * Soak: 1000 consecutive watch-mode rebuilds with seeded random edits (change, same bytes, add
 * and remove modules, change a shared library), through the plugin in Rolldown's `watch()`: the
 * fastest watch rebuild measured here (this app, with the plugin, durability 'none', quiet
 * machine: Rolldown ~19 ms a rebuild, Rollup's `watch()` ~29 ms, esbuild's polling watch ~120 ms;
 * esbuild's explicit `rebuild()`, ~14 ms, is no watch mode). The soak runs in a child process
 * started with --expose-gc (test/fixtures/soak-watch.mts), which waits for each edit's report
 * before the next edit and samples its heap (after gc) and open file descriptors every 50
 * rebuilds.
 *
 * Bounded means: the largest sample of the second half (rebuilds 550..1000) is at most the
 * largest of the first half (0..500) plus HEAP_MARGIN (1 MiB) for the heap and FD_MARGIN for
 * descriptors. A leak of L bytes per rebuild raises the second half's maximum by about 500 × L
 * over the first half's, so 2 KiB a rebuild already fails; one descriptor lost every 100 rebuilds
 * fails too. (Measured noise after warm-up: about ±0.3 MiB.)
 *
 * After the last rebuild outDir must equal, byte for byte, a clean Rolldown build (no plugin) of
 * the final sources; every report must be `committed`; no litter in the state dir or next to
 * outDir.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { rolldown } from 'rolldown'
import { afterEach, expect, it } from 'vitest'
import { childScope, startChild } from '../support/children.js'
import { testSeed } from '../support/seeded.js'
import { rolldownInput, rolldownOutput } from '../support/soak-app.js'
import { diffTrees, listLitter, snapshot } from '../support/tree.js'
import { stagingLeftovers } from '../support/bundler-app.js'

const SOAK_CHILD = fileURLToPath(new URL('../fixtures/soak-watch.mts', import.meta.url))
const SEED = testSeed(0x50a4)
const REBUILDS = 1000
const SAMPLE_EVERY = 50
const HEAP_MARGIN = 1024 * 1024
const FD_MARGIN = 4

interface Sample {
  rebuild: number
  heapUsed: number
  rss: number
  fds: number
  /** Since the soak started. */
  ms: number
}

interface Done {
  edits: number
  reports: number
  written: number
  unchanged: number
  deleted: number
  nothingWritten: number
  statuses: Record<string, number>
  errors: string[]
  kinds: Record<string, number>
  ms: number
}

const { children, tempRoot } = childScope()

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(2)
const max = (values: number[]): number => Math.max(...values)

it(`${REBUILDS} watch-mode rebuilds with random edits: heap and open fds stay bounded, outDir equals a clean build, no litter`, { timeout: 600_000 }, async () => {
  const root = tempRoot('eo-soak-')
  const child = startChild(SOAK_CHILD, [root, String(REBUILDS), String(SEED), String(SAMPLE_EVERY)], { nodeArgs: ['--expose-gc'] })
  children.push(child)
  const exit = await child.exited
  expect(exit.code, exit.stderr).toBe(0)
  const lines = exit.stdout.trim().split('\n').map((line) => JSON.parse(line) as { sample?: Sample; done?: Done })
  const samples = lines.flatMap((line) => (line.sample ? [line.sample] : []))
  const done = lines.find((line) => line.done)?.done
  expect(done, exit.stdout).toBeDefined()

  // Every edit got its own committed rebuild; the edits wrote, kept and deleted files.
  expect(done!.edits).toBe(REBUILDS)
  expect(done!.reports).toBeGreaterThanOrEqual(REBUILDS + 1)
  expect(done!.errors).toEqual([])
  expect(done!.statuses).toEqual({ committed: done!.reports })
  expect(done!.written).toBeGreaterThan(REBUILDS)
  expect(done!.deleted).toBeGreaterThan(REBUILDS / 2)
  expect(done!.unchanged).toBeGreaterThan(REBUILDS)
  expect(done!.nothingWritten).toBeGreaterThan(REBUILDS / 10)

  expect(samples.map((sample) => sample.rebuild)).toEqual(Array.from({ length: REBUILDS / SAMPLE_EVERY + 1 }, (_, i) => i * SAMPLE_EVERY))
  const firstHalf = samples.filter((sample) => sample.rebuild <= REBUILDS / 2)
  const secondHalf = samples.filter((sample) => sample.rebuild > REBUILDS / 2)
  const heap = { first: samples[0]!.heapUsed, last: samples.at(-1)!.heapUsed, max: max(samples.map((s) => s.heapUsed)), firstHalfMax: max(firstHalf.map((s) => s.heapUsed)), secondHalfMax: max(secondHalf.map((s) => s.heapUsed)) }
  const fds = { first: samples[0]!.fds, last: samples.at(-1)!.fds, max: max(samples.map((s) => s.fds)), firstHalfMax: max(firstHalf.map((s) => s.fds)), secondHalfMax: max(secondHalf.map((s) => s.fds)) }
  // Rebuild time early and late (a figure only: a state file growing with every build would show here).
  const pace = (from: Sample, to: Sample): string => ((to.ms - from.ms) / (to.rebuild - from.rebuild)).toFixed(1)
  process.stderr.write(
    `soak: ${done!.edits} rebuilds (${done!.reports} reports) in ${(done!.ms / 1000).toFixed(1)} s, seed ${SEED}; ms/rebuild ${pace(samples[1]!, samples[3]!)} at 50–150, ${pace(samples.at(-3)!, samples.at(-1)!)} at 900–1000; ` +
      `heap MB first ${mb(heap.first)} last ${mb(heap.last)} max ${mb(heap.max)} (halves: ${mb(heap.firstHalfMax)} / ${mb(heap.secondHalfMax)}); ` +
      `rss MB first ${mb(samples[0]!.rss)} last ${mb(samples.at(-1)!.rss)}; fds first ${fds.first} last ${fds.last} max ${fds.max}; ` +
      `edits ${JSON.stringify(done!.kinds)}; files written ${done!.written}, deleted ${done!.deleted}, rebuilds writing nothing ${done!.nothingWritten}\n`,
  )
  expect(heap.secondHalfMax, `heap samples (MB): ${samples.map((s) => mb(s.heapUsed)).join(' ')}`).toBeLessThanOrEqual(heap.firstHalfMax + HEAP_MARGIN)
  expect(fds.secondHalfMax, `fd samples: ${samples.map((s) => s.fds).join(' ')}`).toBeLessThanOrEqual(fds.firstHalfMax + FD_MARGIN)

  // outDir equals a clean build of the final sources.
  const clean = tempRoot('eo-soak-clean-')
  fs.cpSync(path.join(root, 'src'), path.join(clean, 'src'), { recursive: true })
  const bundle = await rolldown(rolldownInput(clean, []))
  try {
    await bundle.write(rolldownOutput(clean))
  } finally {
    await bundle.close()
  }
  const expected = snapshot(path.join(clean, 'dist'))
  // At least the entry, four module chunks, a library chunk and their source maps.
  expect(expected.size).toBeGreaterThanOrEqual(12)
  expect(diffTrees(snapshot(path.join(root, 'dist')), expected)).toEqual([])

  // No litter: the state dir holds the manifest plus the reports and the build history it keeps
  // on purpose; no staging dir next to outDir.
  expect(listLitter(root).filter((entry) => !/^node_modules\/\.cache\/emit-optimizer\/[^/]+\/(history|reports)$/.test(entry))).toEqual([])
  expect(stagingLeftovers(path.join(root, 'dist'))).toEqual([])
})
