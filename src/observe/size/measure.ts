import fs from 'node:fs'
import path from 'node:path'
import { nodeFs } from '../../core/fs.js'
import { readManifest } from '../../core/manifest.js'
import { statePaths } from '../../core/state-dir.js'
import { chooseBaseline, defaultBranch, snapshotGit } from './baseline.js'
import { evaluateBudgets, type BudgetAlert, type BudgetResult } from './budgets.js'
import { loadHasher } from '../../core/hash.js'
import { compressedSizes, eachInSlices, SizeCache, type CompressionLevels } from './compress.js'
import { compressInWorker, WORKER_MIN_BYTES } from './compress-worker.js'
import { compare, SIZES_FORMAT, totals, type FileSizes, type SizeComparison, type SizeSnapshot, type Totals } from './delta.js'
import { committedEntries, entrySizes, type EntryPoint, type EntrySizes } from './entries.js'
import { isCompressible, kindOf, type SizeKind } from './kinds.js'
import type { ResolvedSizeOptions } from './options.js'
import { openStore, readCache, readSizeIndex, readSnapshot, saveIndex, sizeStore, writeCache, writeSnapshot } from './store.js'

/** `sizes` in `reports/latest.json`: what the output weighs and what changed. */
export interface SizeSummary {
  /** The snapshot (build-history version) these sizes are of. */
  id: string
  levels: CompressionLevels
  totals: Totals
  /** Every file of the output, by path, with its content hash (the manifest's). */
  files: Array<{ path: string; kind: SizeKind } & FileSizes>
  /**
   * Each entry point's initial load (entry chunk, static imports, their CSS and assets), where the
   * bundler says which files those are. Absent in reports written before it existed.
   */
  entries?: EntrySizes[]
  /** Against the output the previous build reported (null on the first build). */
  previous: SizeComparison | null
  /** Against the baseline; `label` names it (`main (3f2a1bc)`); null when none was found. */
  baseline: (SizeComparison & { label: string }) | null
  /** The baseline asked for (option or CI branch), whether or not it was found. */
  baselineWanted: string
  budgets: BudgetResult[]
  /**
   * The work done: files compressed this build, files whose sizes came from the cache; `ms` after
   * the commit (on the build's path), `overlappedMs` hashing and compressing while the commit ran.
   */
  work: { compressed: number; cached: number; ms: number; overlappedMs: number }
}

export interface MeasureInput {
  options: ResolvedSizeOptions
  root: string
  outDir: string
  stateDir: string
  /** The bytes this build captured, by path: compressed from memory, not read back. */
  contents: ReadonlyMap<string, string | Uint8Array>
  /** The entry points the bundler reported for this output (none: no entry totals). */
  entries?: readonly EntryPoint[]
  /** Sizes measured while the commit ran (`prepareSizes`), for the state dir they were read from. */
  prepared?: Prepared
}

/** The cache, with what `prepareSizes` compressed already. */
export interface Prepared {
  stateDir: string
  cache: SizeCache
  compressed: number
  /** How many of those a worker thread compressed. */
  inWorker: number
  /** Main-thread time spent hashing and compressing (a worker's compression not included). */
  ms: number
}

const toBytes = (contents: string | Uint8Array): Uint8Array => (typeof contents === 'string' ? Buffer.from(contents) : contents)

/**
 * Started with the commit, so compression overlaps the commit's file system work: hashes the
 * captured files as the manifest will (xxh64) and compresses those the cache lacks, on a worker
 * thread when there are many bytes (compress-worker.ts), else on the main thread, yielding every
 * few ms to the commit's I/O callbacks.
 */
export async function prepareSizes(input: {
  options: ResolvedSizeOptions
  stateDir: Promise<string>
  contents: ReadonlyMap<string, string | Uint8Array>
}): Promise<Prepared> {
  const stateDir = await input.stateDir
  const { levels } = input.options
  const [cache, hasher] = await Promise.all([readCache(sizeStore(stateDir), levels), loadHasher()])
  const misses = new Map<string, { file: string; bytes: Uint8Array }>()
  let missedBytes = 0
  let ms = 0
  await eachInSlices(input.contents, ([file, contents]) => {
    const started = performance.now()
    const bytes = toBytes(contents)
    const hash = hasher(bytes)
    if (!cache.get(hash) && !misses.has(hash)) {
      misses.set(hash, { file, bytes })
      if (isCompressible(file)) missedBytes += bytes.length
    }
    ms += performance.now() - started
  })
  const compressed = misses.size
  let inWorker = 0
  if (missedBytes >= WORKER_MIN_BYTES) {
    const compressible = [...misses].filter(([, miss]) => isCompressible(miss.file))
    const sizes = await compressInWorker(compressible.map(([, miss]) => miss.bytes), levels)
    compressible.forEach(([hash], i) => {
      cache.set(hash, sizes[i]!)
      misses.delete(hash)
    })
    inWorker = compressible.length
  }
  // A few files, or those a CDN serves as they are (their raw size, nothing to compress).
  await eachInSlices(misses, ([hash, { file, bytes }]) => {
    const sliceStarted = performance.now()
    cache.set(hash, compressedSizes(file, bytes, levels))
    ms += performance.now() - sliceStarted
  })
  return { stateDir, cache, compressed, inWorker, ms }
}

const short = (commit: string | undefined) => commit?.slice(0, 7) ?? ''

/** `main (3f2a1bc)`, or the version id when the snapshot has no git info. */
export function snapshotLabel(s: { id: string; git: SizeSnapshot['git'] }): string {
  return s.git ? `${s.git.branch ?? 'detached'} (${short(s.git.commit)})` : s.id
}

/**
 * After a commit: the sizes of the output outDir now holds, compared with the previous build and
 * the baseline, and checked against the budgets. Only files whose content hash (the manifest's)
 * the cache lacks are compressed, so a no-change rebuild compresses nothing and a one-module
 * change compresses only what it wrote. Undefined when there is no manifest (nothing committed).
 */
export async function measureSizes(input: MeasureInput): Promise<{ summary: SizeSummary; alerts: BudgetAlert[] } | undefined> {
  const started = performance.now()
  const { levels } = input.options
  const manifest = await readManifest(nodeFs, statePaths(input.stateDir).manifest)
  if (!manifest) return undefined
  const store = sizeStore(input.stateDir)
  const prepared = input.prepared?.stateDir === input.stateDir ? input.prepared : undefined
  const [index, cache] = await Promise.all([readSizeIndex(store), prepared?.cache ?? readCache(store, levels)])
  const id = manifest.version ?? manifest.txId

  const entries = Object.entries(manifest.files)
  const misses = entries.filter(([, entry]) => !cache.get(entry.hash))
  // Files the commit did not capture (kept from before) or whose hash differed: measured now.
  await eachInSlices(misses, ([file, entry]) => {
    cache.set(entry.hash, compressedSizes(file, toBytes(input.contents.get(file) ?? fs.readFileSync(path.join(input.outDir, file))), levels))
  })
  const compressed = misses.length + (prepared?.compressed ?? 0)
  const files: Record<string, FileSizes> = {}
  for (const [file, entry] of entries) files[file] = { raw: entry.size, ...cache.get(entry.hash)!, hash: entry.hash }
  const snapshot: SizeSnapshot = { format: SIZES_FORMAT, id, committedAt: manifest.committedAt, git: snapshotGit(input.root), levels, files }
  if (input.entries?.length) snapshot.entries = committedEntries(input.entries, files)

  const known = index.snapshots.some((s) => s.id === id)
  const previousSnapshot = index.last === null ? undefined : index.last === id ? snapshot : await readSnapshot(store, index.last)
  const wanted = input.options.baseline ?? defaultBranch(input.root)
  const candidates = index.snapshots.filter((s) => s.id !== id)
  const baselineInfo =
    input.options.baseline !== undefined && input.options.baseline === id
      ? snapshot
      : chooseBaseline(candidates, { requested: input.options.baseline, branch: wanted, currentId: id })
  const baselineSnapshot = baselineInfo === undefined ? undefined : baselineInfo === snapshot ? snapshot : await readSnapshot(store, baselineInfo.id)
  const previous = previousSnapshot ? compare(snapshot, previousSnapshot) : null
  const baseline = baselineSnapshot ? { ...compare(snapshot, baselineSnapshot), label: snapshotLabel(baselineSnapshot) } : null
  const sums = totals(files, levels)
  const entryTotals = entrySizes(snapshot, previousSnapshot, baselineSnapshot)
  const { results, alerts } = evaluateBudgets(input.options.budgets, {
    files,
    totals: sums,
    entries: entryTotals,
    previous,
    baseline,
    baselineLabel: baseline?.label ?? '',
  })

  // A no-change rebuild writes nothing here.
  const writeSnap = !known || compressed > 0
  const writeCacheFile = compressed > 0 || cache.entries.size > entries.length
  const writeIndexFile = !known || index.last !== id
  if (writeSnap || writeCacheFile || writeIndexFile) await openStore(store, input.outDir)
  if (writeSnap) await writeSnapshot(store, snapshot)
  if (writeCacheFile) await writeCache(store, cache.only(entries.map(([, entry]) => entry.hash)))
  if (writeIndexFile) await saveIndex(store, index, { id, committedAt: snapshot.committedAt, git: snapshot.git }, input.stateDir)

  const summary: SizeSummary = {
    id,
    levels,
    totals: sums,
    files: Object.entries(files).map(([file, sizes]) => ({ path: file, kind: kindOf(file), ...sizes })),
    entries: entryTotals,
    previous,
    baseline,
    baselineWanted: wanted,
    budgets: results,
    work: {
      compressed,
      cached: entries.length - misses.length - (prepared?.compressed ?? 0),
      ms: Number((performance.now() - started).toFixed(3)),
      overlappedMs: Number((prepared?.ms ?? 0).toFixed(3)),
    },
  }
  return { summary, alerts }
}
