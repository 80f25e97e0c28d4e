import { EmitOptimizerError } from '../errors.js'
import { locate, type InspectOptions } from '../core/verify-status.js'
import { readManifest } from '../core/manifest.js'
import type { Strategy } from '../core/transaction-options.js'
import { withRecoveredState, type RecoverOptions } from '../core/recover.js'
import type { EngineFs } from '../core/fs.js'
import { historyPaths, type HistoryPaths } from './paths.js'
import { historyObserver } from './history-observer.js'
import { ownStore } from './record.js'
import { collectGarbage, type GcResult } from './retention.js'
import { readIndex, readVersion, rebuildIndex, writeIndex, type Version, type VersionFile, type VersionSummary } from './versions.js'

export interface HistoryView {
  outDir: string
  stateDir: string
  /** The version outDir holds, per the last commit's manifest. */
  current: string | null
  /** Oldest first. */
  versions: VersionSummary[]
  /** The index was missing or unreadable and was rebuilt from the version records (not saved). */
  rebuilt: boolean
}

export interface OpenedHistory extends HistoryView {
  efs: EngineFs
  paths: HistoryPaths
  /** The strategy of the last commit, if any. */
  strategy: Strategy | undefined
}

export async function openHistory(outDir: string, options: InspectOptions): Promise<OpenedHistory> {
  const { outDir: dir, efs, paths: state } = await locate(outDir, options)
  const paths = historyPaths(state.dir)
  const [manifest, { index, rebuilt }] = await Promise.all([readManifest(efs, state.manifest), readIndex(efs, paths)])
  return { outDir: dir, stateDir: state.dir, current: manifest?.version ?? null, versions: index.versions, rebuilt, efs, paths, strategy: manifest?.strategy }
}

/** The versions of outDir's build history, oldest first, and which one outDir holds. */
export async function listHistory(outDir: string, options: InspectOptions = {}): Promise<HistoryView> {
  const { efs: _efs, paths: _paths, strategy: _strategy, ...view } = await openHistory(outDir, options)
  return view
}

/**
 * A version by reference: its id, a unique prefix of it (at least 4 characters), `latest`,
 * `current` (what outDir holds) or `previous` (the version before the current one).
 */
export function resolveVersionRef(view: Pick<HistoryView, 'versions' | 'current' | 'outDir'>, ref: string): VersionSummary {
  const { versions, current } = view
  const none = (why: string): EmitOptimizerError =>
    new EmitOptimizerError(
      'EO_HISTORY_NOT_FOUND',
      `${why} (outDir: ${view.outDir}). ` +
        `Run "emit-optimizer history list --out <dir>" to see the ${versions.length} kept version${versions.length === 1 ? '' : 's'}.`,
    )
  if (versions.length === 0)
    throw new EmitOptimizerError(
      'EO_HISTORY_NOT_FOUND',
      `no build history is recorded for ${view.outDir}. Build with the plugin (history is on unless \`history: false\`) first.`,
      { path: view.outDir },
    )
  if (ref === 'latest') return versions.at(-1)!
  if (ref === 'current' || ref === 'previous') {
    const at = versions.findIndex((v) => v.id === current)
    if (at < 0)
      throw none(
        current === null ? 'outDir holds no recorded version (it was committed with history off)' : `outDir holds version ${current}, which is no longer kept`,
      )
    if (ref === 'current') return versions[at]!
    if (at === 0) throw none(`version ${current}, which outDir holds, is the oldest kept: there is no previous version`)
    return versions[at - 1]!
  }
  const exact = versions.find((v) => v.id === ref)
  if (exact) return exact
  const matches = ref.length >= 4 ? versions.filter((v) => v.id.startsWith(ref)) : []
  if (matches.length === 1) return matches[0]!
  if (matches.length > 1) throw none(`"${ref}" matches ${matches.length} versions (${matches.map((v) => v.id).join(', ')}); give more of the id`)
  throw none(`no version "${ref}"${ref.length < 4 ? ' (a prefix needs at least 4 characters)' : ''}`)
}

/** The record of the version `ref` names; `EO_HISTORY_CORRUPT` when the index lists a missing one. */
export async function loadVersion(opened: OpenedHistory, ref: string): Promise<Version> {
  const summary = resolveVersionRef(opened, ref)
  const version = await readVersion(opened.efs, opened.paths, summary.id)
  if (!version)
    throw new EmitOptimizerError(
      'EO_HISTORY_CORRUPT',
      `the record of version ${summary.id} is missing: "${opened.paths.version(summary.id)}". ` +
        `Run "emit-optimizer history rebuild --out <dir>" to drop it from the index.`,
      { path: opened.paths.version(summary.id) },
    )
  return version
}

/** One version with its files (path → size, sha256, mode). */
export async function showVersion(outDir: string, ref: string, options: InspectOptions = {}): Promise<Version & { current: boolean }> {
  const opened = await openHistory(outDir, options)
  const version = await loadVersion(opened, ref)
  return { ...version, current: version.id === opened.current }
}

export interface VersionDiff {
  from: string
  to: string
  added: Array<{ path: string; size: number }>
  removed: Array<{ path: string; size: number }>
  /** Content or mode differs. */
  changed: Array<{ path: string; from: VersionFile; to: VersionFile }>
  unchanged: number
  /** Total size of `to` minus total size of `from`. */
  bytesDelta: number
}

/** What changes from version `a` to version `b`. */
export async function diffVersions(outDir: string, a: string, b: string, options: InspectOptions = {}): Promise<VersionDiff> {
  const opened = await openHistory(outDir, options)
  const [from, to] = [await loadVersion(opened, a), await loadVersion(opened, b)]
  const diff: VersionDiff = { from: from.id, to: to.id, added: [], removed: [], changed: [], unchanged: 0, bytesDelta: 0 }
  for (const [rel, file] of Object.entries(to.files)) {
    const before = from.files[rel]
    diff.bytesDelta += file.size - (before?.size ?? 0)
    if (!before) diff.added.push({ path: rel, size: file.size })
    else if (before.sha256 !== file.sha256 || before.mode !== file.mode) diff.changed.push({ path: rel, from: before, to: file })
    else diff.unchanged++
  }
  for (const [rel, file] of Object.entries(from.files)) {
    if (to.files[rel]) continue
    diff.removed.push({ path: rel, size: file.size })
    diff.bytesDelta -= file.size
  }
  return diff
}

/** Rebuilds the index from the version records (after it was lost, or a record deleted by hand). */
export async function rebuildHistory(outDir: string, options: RecoverOptions = {}): Promise<{ versions: number }> {
  const { value } = await withRecoveredState(outDir, options, [historyObserver()], async (ctx) => {
    const paths = await ownStore(ctx)
    const index = await rebuildIndex(ctx.fs, paths)
    await writeIndex(ctx.fs, paths, index, ctx.fsync)
    return index.versions.length
  })
  return { versions: value ?? 0 }
}

/**
 * Removes what no kept version uses: objects, version records the index does not list (a crash
 * between recording and listing), temp files. Holds the lock; recovers first.
 */
export async function gcHistory(outDir: string, options: RecoverOptions = {}): Promise<GcResult> {
  const { value } = await withRecoveredState(outDir, options, [historyObserver()], async (ctx) => {
    const paths = await ownStore(ctx)
    const { index, rebuilt } = await readIndex(ctx.fs, paths)
    if (rebuilt) await writeIndex(ctx.fs, paths, index, ctx.fsync)
    return collectGarbage(ctx.fs, paths, index)
  })
  return value ?? { objectsRemoved: 0, versionsRemoved: 0, tempsRemoved: 0, bytesFreed: 0 }
}
