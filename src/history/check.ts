import { EmitOptimizerError } from '../errors.js'
import type { EngineFs } from '../core/fs.js'
import type { InspectOptions } from '../core/verify-status.js'
import { openHistory } from './history-api.js'
import { ObjectStore, type ObjectProblem } from './objects.js'
import type { HistoryPaths } from './paths.js'
import { readVersion, type Version, type VersionSummary } from './versions.js'

export interface CheckOptions extends InspectOptions {
  /**
   * Re-hash every stored object. Without it an object is checked by `lstat` only: present, of its
   * recorded size, not a link shared with another file.
   * @default false
   */
  deep?: boolean
}

/** A file of a version whose stored content is not as recorded. */
export interface DamagedFile {
  path: string
  sha256: string
  problem: ObjectProblem
}

/** A kept version with something wrong; `restorable` is false when rollback to it would fail. */
export interface VersionDamage {
  id: string
  restorable: boolean
  /** Its record is missing or cannot be parsed: nothing of it can be restored. */
  record?: 'missing' | 'unreadable'
  files: DamagedFile[]
}

export interface HistoryCheck {
  outDir: string
  stateDir: string
  deep: boolean
  /** Kept versions checked. */
  versions: number
  /** Distinct objects checked. */
  objects: number
  /** Versions with a damaged record or file, oldest first; empty when all are intact. */
  damaged: VersionDamage[]
  /** Every kept version can be restored. */
  ok: boolean
}

/** Damage that makes rollback fail; `shared` objects are intact, only at risk. */
export const isUnrestorable = (problem: ObjectProblem): boolean => problem !== 'shared'

/**
 * Checks the kept versions of a store: each version's record and the object of each of its
 * files, every distinct object once. Shared by `checkHistory` and `repairHistory`.
 */
export async function inspectVersions(
  efs: EngineFs,
  paths: HistoryPaths,
  versions: readonly VersionSummary[],
  deep: boolean,
): Promise<{ damaged: VersionDamage[]; objects: number; records: Map<string, Version> }> {
  const store = new ObjectStore(efs, paths)
  const verdicts = new Map<string, ObjectProblem | undefined>()
  const records = new Map<string, Version>()
  const damaged: VersionDamage[] = []
  for (const summary of versions) {
    let version: Version | undefined
    try {
      version = await readVersion(efs, paths, summary.id)
    } catch (error) {
      if (!(error instanceof EmitOptimizerError && error.code === 'EO_HISTORY_CORRUPT')) throw error
      damaged.push({ id: summary.id, restorable: false, record: 'unreadable', files: [] })
      continue
    }
    if (version === undefined) {
      damaged.push({ id: summary.id, restorable: false, record: 'missing', files: [] })
      continue
    }
    records.set(version.id, version)
    const files: DamagedFile[] = []
    for (const [rel, file] of Object.entries(version.files)) {
      if (!verdicts.has(file.sha256)) verdicts.set(file.sha256, await store.check(file.sha256, file.size, deep))
      const problem = verdicts.get(file.sha256)
      if (problem !== undefined) files.push({ path: rel, sha256: file.sha256, problem })
    }
    if (files.length > 0) damaged.push({ id: version.id, restorable: !files.some((file) => isUnrestorable(file.problem)), files })
  }
  return { damaged, objects: verdicts.size, records }
}

/**
 * Whether every kept version of outDir's history can still be restored (`history list`,
 * `verify --deep`): reads only, takes no lock. A version is not restorable when its record or
 * the stored content of one of its files is missing or altered; `history repair` fixes or drops it.
 */
export async function checkHistory(outDir: string, options: CheckOptions = {}): Promise<HistoryCheck> {
  const deep = options.deep ?? false
  const opened = await openHistory(outDir, options)
  const { damaged, objects } = await inspectVersions(opened.efs, opened.paths, opened.versions, deep)
  return {
    outDir: opened.outDir,
    stateDir: opened.stateDir,
    deep,
    versions: opened.versions.length,
    objects,
    damaged,
    ok: damaged.every((version) => version.restorable),
  }
}
