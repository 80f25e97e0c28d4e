import type { EngineFs } from '../core/fs.js'
import type { Retention } from '../core/transaction-options.js'
import { ObjectStore } from './objects.js'
import type { HistoryPaths } from './paths.js'
import { listVersionIds, readVersion, removeVersion, type HistoryIndex, type VersionSummary } from './versions.js'

/**
 * Splits the index into kept and dropped versions: the newest `keep`, minus those older than
 * `maxAgeDays`. The latest version and the one outDir holds (`current`) are always kept.
 */
export function applyRetention(
  index: HistoryIndex,
  retention: Retention,
  current: string | undefined,
  now = Date.now(),
): { kept: VersionSummary[]; dropped: VersionSummary[] } {
  const cutoff = retention.maxAgeDays === null ? -Infinity : now - retention.maxAgeDays * 86_400_000
  const newestFirst = [...index.versions].reverse()
  const kept: VersionSummary[] = []
  const dropped: VersionSummary[] = []
  newestFirst.forEach((version, i) => {
    const pinned = i === 0 || version.id === current
    if (pinned || (i < retention.keep && Date.parse(version.committedAt) >= cutoff)) kept.push(version)
    else dropped.push(version)
  })
  return { kept: kept.reverse(), dropped }
}

/** The objects the given versions use. */
async function referenced(efs: EngineFs, paths: HistoryPaths, ids: Iterable<string>): Promise<Set<string>> {
  const shas = new Set<string>()
  for (const id of ids) {
    const version = await readVersion(efs, paths, id)
    for (const file of Object.values(version?.files ?? {})) shas.add(file.sha256)
  }
  return shas
}

/**
 * Removes dropped versions and the objects only they used: reads the dropped and kept versions
 * (a handful, usually cached), not the whole store. Only the dropped versions' objects are
 * collected; each kept version crosses off the ones it uses, and the scan stops once none is left.
 */
export async function dropVersions(efs: EngineFs, paths: HistoryPaths, dropped: readonly VersionSummary[], kept: readonly VersionSummary[]): Promise<number> {
  if (dropped.length === 0) return 0
  const unused = await referenced(efs, paths, dropped.map((v) => v.id))
  for (const { id } of kept) {
    if (unused.size === 0) break
    const files = (await readVersion(efs, paths, id))?.files ?? {}
    for (const rel in files) unused.delete(files[rel]!.sha256)
  }
  const store = new ObjectStore(efs, paths)
  for (const sha of unused) await store.remove(sha)
  for (const version of dropped) await removeVersion(efs, paths, version.id)
  return unused.size
}

export interface GcResult {
  /** Objects no version references, removed. */
  objectsRemoved: number
  /** Version files the index does not list, removed. */
  versionsRemoved: number
  /** Temp files of interrupted copies, removed. */
  tempsRemoved: number
  bytesFreed: number
}

/**
 * Full sweep: every object no listed version uses, version files the index does not list (an
 * interrupted commit's), and temp files. The caller holds the lock and has recovered first.
 */
export async function collectGarbage(efs: EngineFs, paths: HistoryPaths, index: HistoryIndex): Promise<GcResult> {
  const listed = new Set(index.versions.map((v) => v.id))
  const result: GcResult = { objectsRemoved: 0, versionsRemoved: 0, tempsRemoved: 0, bytesFreed: 0 }
  for (const id of await listVersionIds(efs, paths)) {
    if (listed.has(id)) continue
    await removeVersion(efs, paths, id)
    result.versionsRemoved++
  }
  const inUse = await referenced(efs, paths, listed)
  const store = new ObjectStore(efs, paths)
  const { objects, temps } = await store.list()
  for (const sha of objects) {
    if (inUse.has(sha)) continue
    const stats = await efs.lstat(paths.object(sha))
    // An object of an older store, hard-linked with a published file, frees nothing.
    if (stats.nlink === 1) result.bytesFreed += stats.size
    await store.remove(sha)
    result.objectsRemoved++
  }
  for (const temp of temps) {
    await store.remove(temp)
    result.tempsRemoved++
  }
  return result
}
