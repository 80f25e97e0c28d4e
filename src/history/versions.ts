import { EmitOptimizerError } from '../errors.js'
import { ignoring, lstatOrUndefined, readdirNames, readTextOrUndefined, type EngineFs } from '../core/fs.js'
import type { GitInfo } from './git.js'
import { VERSION_ID, type HistoryPaths } from './paths.js'

export const VERSION_FORMAT = 'emit-optimizer/version@1'
export const INDEX_FORMAT = 'emit-optimizer/history-index@1'

export interface VersionFile {
  size: number
  /** sha256 of the contents, hex: the object's name in the store. */
  sha256: string
  /** permission bits */
  mode: number
}

/** One committed build. Written once, never changed. */
export interface Version {
  format: typeof VERSION_FORMAT
  /** The id of the transaction that committed it. */
  id: string
  committedAt: string
  /** The bundler whose build it was (`vite`, `webpack`, …), or null for direct engine use. */
  bundler: string | null
  git: GitInfo | null
  outDir: string
  files: Record<string, VersionFile>
}

/** What `history list` shows of a version, kept in the index so listing reads one file. */
export interface VersionSummary {
  id: string
  committedAt: string
  bundler: string | null
  git: GitInfo | null
  files: number
  bytes: number
}

export interface HistoryIndex {
  format: typeof INDEX_FORMAT
  /** Oldest first: the latest version is the last entry. */
  versions: VersionSummary[]
}

export function summarize(version: Version): VersionSummary {
  const files = Object.values(version.files)
  return {
    id: version.id,
    committedAt: version.committedAt,
    bundler: version.bundler,
    git: version.git,
    files: files.length,
    bytes: files.reduce((sum, file) => sum + file.size, 0),
  }
}

/**
 * Parsed versions by file path. A version file never changes once written, so an entry stays
 * valid until the version is removed; small, because a commit needs at most the previous version
 * and pruning the few it drops.
 */
const cache = new Map<string, Version>()
const CACHE_SIZE = 16

function remember(file: string, version: Version): void {
  cache.delete(file)
  cache.set(file, version)
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string)
}

export function forgetVersion(file: string): void {
  cache.delete(file)
}

function isVersion(value: unknown): value is Version {
  const v = value as Version
  return (
    typeof v === 'object' &&
    v !== null &&
    v.format === VERSION_FORMAT &&
    typeof v.id === 'string' &&
    VERSION_ID.test(v.id) &&
    typeof v.committedAt === 'string' &&
    typeof v.files === 'object' &&
    v.files !== null
  )
}

/** A version by id; undefined when its file does not exist. `EO_HISTORY_CORRUPT` when it cannot be parsed. */
export async function readVersion(efs: EngineFs, paths: HistoryPaths, id: string): Promise<Version | undefined> {
  const file = paths.version(id)
  const cached = cache.get(file)
  if (cached) {
    remember(file, cached)
    return cached
  }
  const text = await readTextOrUndefined(efs, file)
  if (text === undefined) return undefined
  let version: unknown
  try {
    version = JSON.parse(text)
  } catch (error) {
    version = error
  }
  if (!isVersion(version) || version.id !== id) {
    throw new EmitOptimizerError(
      'EO_HISTORY_CORRUPT',
      `the record of version ${id} cannot be read: "${file}". ` +
        `Delete it and run "emit-optimizer history rebuild" to drop it from the history; outDir is not affected.`,
      { path: file },
    )
  }
  remember(file, version)
  return version
}

export async function hasVersion(efs: EngineFs, paths: HistoryPaths, id: string): Promise<boolean> {
  return cache.has(paths.version(id)) || (await lstatOrUndefined(efs, paths.version(id))) !== undefined
}

export async function writeVersion(efs: EngineFs, paths: HistoryPaths, version: Version, fsync: boolean): Promise<void> {
  await efs.mkdir(paths.versions, { recursive: true })
  await efs.writeFileAtomic(paths.version(version.id), JSON.stringify(version), { fsync, mode: 0o600 })
  // Listing it after the commit point (and the next commit) need not read it back.
  remember(paths.version(version.id), version)
}

export async function removeVersion(efs: EngineFs, paths: HistoryPaths, id: string): Promise<void> {
  const file = paths.version(id)
  forgetVersion(file)
  await ignoring(efs.unlink(file))
}

function isIndex(value: unknown): value is HistoryIndex {
  const index = value as HistoryIndex
  return (
    typeof index === 'object' &&
    index !== null &&
    index.format === INDEX_FORMAT &&
    Array.isArray(index.versions) &&
    index.versions.every((v) => typeof v?.id === 'string' && VERSION_ID.test(v.id) && typeof v.committedAt === 'string')
  )
}

/** The version ids among the names in versions/ (temp files of interrupted writes excluded). */
export function versionIdsIn(names: readonly string[]): string[] {
  return names.filter((name) => name.endsWith('.json') && VERSION_ID.test(name.slice(0, -5))).map((name) => name.slice(0, -5))
}

/** Ids of the version files in the store. */
export async function listVersionIds(efs: EngineFs, paths: HistoryPaths): Promise<string[]> {
  return versionIdsIn(await readdirNames(efs, paths.versions))
}

/** The index rebuilt from the version files: the store is the truth, the index a summary of it. */
export async function rebuildIndex(efs: EngineFs, paths: HistoryPaths): Promise<HistoryIndex> {
  const versions: VersionSummary[] = []
  for (const id of await listVersionIds(efs, paths)) {
    const version = await readVersion(efs, paths, id)
    if (version) versions.push(summarize(version))
  }
  versions.sort((a, b) => (a.committedAt < b.committedAt ? -1 : a.committedAt > b.committedAt ? 1 : a.id < b.id ? -1 : 1))
  return { format: INDEX_FORMAT, versions }
}

/**
 * The index, O(1) in the number of versions on disk. A missing or unreadable index is rebuilt
 * from the version files (`rebuilt: true`); the caller decides whether to save it.
 */
export async function readIndex(efs: EngineFs, paths: HistoryPaths): Promise<{ index: HistoryIndex; rebuilt: boolean }> {
  const text = await readTextOrUndefined(efs, paths.index)
  if (text !== undefined) {
    try {
      const index: unknown = JSON.parse(text)
      if (isIndex(index)) return { index, rebuilt: false }
    } catch {
      // Unparseable: rebuilt below, like a missing one.
    }
  }
  return { index: await rebuildIndex(efs, paths), rebuilt: true }
}

/** The index is a cache of the version files: written atomically, fsynced only when asked. */
export async function writeIndex(efs: EngineFs, paths: HistoryPaths, index: HistoryIndex, fsync: boolean): Promise<void> {
  await efs.mkdir(paths.dir, { recursive: true })
  await efs.writeFileAtomic(paths.index, JSON.stringify(index), { fsync, mode: 0o600 })
}
