import fs from 'node:fs/promises'
import path from 'node:path'
import { nodeFs, readTextOrUndefined } from '../../core/fs.js'
import { assertOwnDir } from '../../core/guard.js'
import { writeStateFile } from '../../core/state-file.js'
import { historyPaths } from '../../history/paths.js'
import type { SnapshotInfo } from './baseline.js'
import { SizeCache, sameLevels, type CompressedSizes, type CompressionLevels } from './compress.js'
import { SIZES_FORMAT, type SizeSnapshot } from './delta.js'

/**
 * The size store of one outDir, `<stateDir>/sizes/`:
 *
 *   index.json       the snapshots kept (id, time, git) and which one the last build reported
 *   <id>.json        one output's sizes (`SizeSnapshot`), per build-history version
 *   cache.json       compressed sizes by content hash (the manifest's), for the current output
 *
 * Everything here is derived: deleting the directory costs one build compressing every file again.
 */
export interface SizeStore {
  dir: string
  index: string
  cache: string
  snapshot(id: string): string
}

export const SIZE_INDEX_FORMAT = 'emit-optimizer/sizes-index@1'
export const SIZE_CACHE_FORMAT = 'emit-optimizer/size-cache@1'

export interface SizeIndex {
  format: typeof SIZE_INDEX_FORMAT
  /** The snapshot the last build reported: "previous" for the next one. */
  last: string | null
  snapshots: SnapshotInfo[]
}

/** Snapshots kept when there is no build history to follow. */
export const KEEP_SNAPSHOTS = 10
/** Version ids are transaction ids: safe as file names. */
const SNAPSHOT_ID = /^[0-9a-z]+-[0-9a-f]{8}$/

export function sizeStore(stateDir: string): SizeStore {
  const dir = path.join(stateDir, 'sizes')
  return { dir, index: path.join(dir, 'index.json'), cache: path.join(dir, 'cache.json'), snapshot: (id) => path.join(dir, `${id}.json`) }
}

async function readJson(file: string): Promise<unknown> {
  const text = await readTextOrUndefined(nodeFs, file)
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    // Derived data: an unreadable file is rebuilt like a missing one.
    return undefined
  }
}

export async function readSizeIndex(store: SizeStore): Promise<SizeIndex> {
  const index = (await readJson(store.index)) as SizeIndex | undefined
  if (index?.format === SIZE_INDEX_FORMAT && Array.isArray(index.snapshots)) return index
  return { format: SIZE_INDEX_FORMAT, last: null, snapshots: [] }
}

export async function readSnapshot(store: SizeStore, id: string): Promise<SizeSnapshot | undefined> {
  if (!SNAPSHOT_ID.test(id)) return undefined
  const snapshot = (await readJson(store.snapshot(id))) as SizeSnapshot | undefined
  return snapshot?.format === SIZES_FORMAT && snapshot.id === id && typeof snapshot.files === 'object' ? snapshot : undefined
}

/** The cache for `levels`; one made at other levels is of no use and starts empty. */
export async function readCache(store: SizeStore, levels: CompressionLevels): Promise<SizeCache> {
  const data = (await readJson(store.cache)) as
    { format?: string; levels?: CompressionLevels; entries?: Record<string, [number | null, number | null]> } | undefined
  if (data?.format !== SIZE_CACHE_FORMAT || !data.levels || !sameLevels(data.levels, levels) || typeof data.entries !== 'object') return new SizeCache(levels)
  return new SizeCache(
    levels,
    Object.entries(data.entries).map(([hash, [gzip, brotli]]): [string, CompressedSizes] => [hash, { gzip, brotli }]),
  )
}

const write = (file: string, data: unknown) => writeStateFile(file, JSON.stringify(data), { fsync: false, mode: 0o600 })

/** Creates the store (refusing a symlinked one, like the other state dirs). */
export async function openStore(store: SizeStore, outDir: string): Promise<void> {
  await assertOwnDir(nodeFs, store.dir, 'sizes directory', outDir)
  await fs.mkdir(store.dir, { recursive: true })
}

export async function writeCache(store: SizeStore, cache: SizeCache): Promise<void> {
  const entries = Object.fromEntries([...cache.entries].map(([hash, sizes]) => [hash, [sizes.gzip, sizes.brotli]]))
  await write(store.cache, { format: SIZE_CACHE_FORMAT, levels: cache.levels, entries })
}

export async function writeSnapshot(store: SizeStore, snapshot: SizeSnapshot): Promise<void> {
  await write(store.snapshot(snapshot.id), snapshot)
}

/**
 * Saves the index with `current` as the last reported snapshot and drops snapshots no longer
 * needed: with a build history, those of versions it no longer keeps (a baseline is a kept
 * version); without one, all but the newest KEEP_SNAPSHOTS.
 */
export async function saveIndex(store: SizeStore, index: SizeIndex, current: SnapshotInfo, stateDir: string): Promise<void> {
  const snapshots = [...index.snapshots.filter((s) => s.id !== current.id), current].sort((a, b) =>
    a.committedAt < b.committedAt ? -1 : a.committedAt > b.committedAt ? 1 : 0,
  )
  const versions = await keptVersions(stateDir)
  const keep = (s: SnapshotInfo, i: number) => s.id === current.id || (versions ? versions.has(s.id) : i >= snapshots.length - KEEP_SNAPSHOTS)
  const kept = snapshots.filter(keep)
  const dropped = snapshots.filter((s, i) => !keep(s, i))
  await write(store.index, { format: SIZE_INDEX_FORMAT, last: current.id, snapshots: kept } satisfies SizeIndex)
  for (const s of dropped) if (SNAPSHOT_ID.test(s.id)) await fs.rm(store.snapshot(s.id), { force: true })
}

/** The version ids of the build history's index; undefined without a history. */
async function keptVersions(stateDir: string): Promise<Set<string> | undefined> {
  const index = (await readJson(historyPaths(stateDir).index)) as { versions?: Array<{ id?: unknown }> } | undefined
  if (!Array.isArray(index?.versions)) return undefined
  return new Set(index.versions.map((v) => String(v.id)))
}
