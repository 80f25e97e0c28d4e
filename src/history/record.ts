import path from 'node:path'
import type { EngineContext } from '../core/context.js'
import { lstatOrUndefined, readdirNames } from '../core/fs.js'
import { hashContents } from '../core/hash.js'
import type { Manifest } from '../core/manifest.js'
import { gitInfo } from './git.js'
import { ObjectStore } from './objects.js'
import { assertOwnDir } from '../core/guard.js'
import { historyPaths, type HistoryPaths } from './paths.js'
import { applyRetention, collectGarbage, dropVersions } from './retention.js'
import type { Retention } from '../core/transaction-options.js'
import {
  readIndex,
  readVersion,
  removeVersion,
  summarize,
  writeIndex,
  versionIdsIn,
  writeVersion,
  VERSION_FORMAT,
  type Version,
  type VersionFile,
} from './versions.js'

/** The store of ctx's state dir, refused (EO_PATH_ESCAPE) when history/ is a symlink. */
export async function ownStore(ctx: EngineContext): Promise<HistoryPaths> {
  const paths = historyPaths(ctx.paths.dir)
  await assertOwnDir(ctx.fs, paths.dir, 'history directory', ctx.outDir)
  return paths
}

export interface RecordInput {
  txId: string
  committedAt: string
  bundler: string | null
  root: string
  /** The manifest of the last commit: which version outDir holds, and what its files hashed to. */
  previous: Manifest | undefined
  /** The new output's manifest; its files are listed sorted, which the record keeps. */
  manifest: Manifest
  /** A file's bytes, and where they are on disk now (the staged file, or the unchanged file in the current output). */
  file(path: string): { contents: Uint8Array; source: string }
}

/**
 * Before the commit point: stores the new output's contents and writes the version record. A
 * file the previous version already holds (same path, same manifest hash, same mode) reuses its
 * entry, decided by a synchronous pass over the manifest, so an incremental build hashes, stores
 * and queues only what it changed; content already stored under another path or version costs
 * one failed exclusive create. The record is remembered, so listing it after the commit point
 * reads nothing back.
 */
export async function recordVersion(ctx: EngineContext, input: RecordInput): Promise<Version> {
  const paths = await ownStore(ctx)
  const { previous } = input
  const previousVersion = previous?.version === undefined ? undefined : await readVersion(ctx.fs, paths, previous.version)
  const files: Record<string, VersionFile> = {}
  const changed: string[] = []
  for (const [rel, entry] of Object.entries(input.manifest.files)) {
    const known = previousVersion?.files[rel]
    if (known && known.mode === entry.mode && known.size === entry.size && previous?.files[rel]?.hash === entry.hash) files[rel] = known
    else {
      // Its place in the record's (sorted) key order, filled in below.
      files[rel] = { size: entry.size, sha256: '', mode: entry.mode }
      changed.push(rel)
    }
  }
  const store = new ObjectStore(ctx.fs, paths)
  // Files of equal content in this output are stored once (and never by two puts at a time).
  const stored = new Map<string, Promise<void>>()
  await ctx.queue.each(changed, async (rel) => {
    const { contents, source } = input.file(rel)
    const sha256 = hashContents(contents)
    files[rel] = { size: contents.byteLength, sha256, mode: input.manifest.files[rel]!.mode }
    let put = stored.get(sha256)
    if (put === undefined) {
      put = store.put(sha256, contents, source, ctx.fsyncFiles)
      stored.set(sha256, put)
      // A failed put is forgotten, so the queue's retry (EMFILE) stores it again.
      put.catch(() => stored.delete(sha256))
    }
    await put
  })
  if (ctx.fsyncFiles && changed.length > 0) await ctx.fs.fsyncPath(paths.objects)
  const version: Version = {
    format: VERSION_FORMAT,
    id: input.txId,
    committedAt: input.committedAt,
    bundler: input.bundler,
    git: gitInfo(input.root),
    outDir: ctx.outDir,
    files,
  }
  await writeVersion(ctx.fs, paths, version, ctx.fsyncFiles)
  return version
}

/**
 * After the commit point (commit or roll-forward): lists the version `added` (if any) in the
 * index and applies retention, never dropping `current`, the version outDir now holds.
 * Idempotent: a version already listed is not added again.
 */
export async function finishHistory(ctx: EngineContext, retention: Retention, added: string | undefined, current: string | undefined): Promise<void> {
  const paths = await ownStore(ctx)
  const { index, rebuilt } = await readIndex(ctx.fs, paths)
  let changed = rebuilt
  if (added !== undefined && !index.versions.some((v) => v.id === added)) {
    const version = await readVersion(ctx.fs, paths, added)
    if (version) {
      index.versions.push(summarize(version))
      changed = true
    }
  }
  const { kept, dropped } = applyRetention(index, retention, current)
  if (!changed && dropped.length === 0) return
  // The index first: a crash after it leaves only unreferenced files, which `gc` removes.
  await writeIndex(ctx.fs, paths, { ...index, versions: kept }, ctx.fsyncFiles)
  await dropVersions(ctx.fs, paths, dropped, kept)
}

/**
 * A commit was rolled back (by `undo` or recovery): its version record goes, and with it the
 * objects only it had added.
 */
export async function discardVersion(ctx: EngineContext, txId: string): Promise<void> {
  const paths = await ownStore(ctx)
  await removeVersion(ctx.fs, paths, txId)
  const { index } = await readIndex(ctx.fs, paths)
  await collectGarbage(ctx.fs, paths, index)
}

/**
 * Leftovers of the history store, with no journal pending (recovery holds the lock): temp files of
 * the index or a record interrupted mid-write, and version records the index does not list — left
 * by a crash between recording and listing when history was first turned on over an unchanged
 * output, or while retention was dropping versions — with the objects only they used. Cheap when
 * there are none (two readdirs, one small read). A symlinked history/ is left alone (commits refuse it).
 */
export async function discardHistoryLeftovers(ctx: EngineContext): Promise<number> {
  const paths = historyPaths(ctx.paths.dir)
  if ((await lstatOrUndefined(ctx.fs, paths.dir))?.isDirectory() !== true) return 0
  const records = await readdirNames(ctx.fs, paths.versions)
  const temps = [
    ...(await readdirNames(ctx.fs, paths.dir)).filter((name) => /^index\.json\.\d+$/.test(name)).map((name) => path.join(paths.dir, name)),
    ...records.filter((name) => /\.json\.\d+$/.test(name)).map((name) => path.join(paths.versions, name)),
  ]
  for (const temp of temps) await ctx.fs.unlink(temp)
  const ids = versionIdsIn(records)
  if (ids.length === 0) return temps.length
  const { index, rebuilt } = await readIndex(ctx.fs, paths)
  // A rebuilt index lists every record: nothing is an orphan.
  const listed = new Set(index.versions.map((v) => v.id))
  if (rebuilt || ids.every((id) => listed.has(id))) return temps.length
  const result = await collectGarbage(ctx.fs, paths, index)
  return temps.length + result.versionsRemoved + result.objectsRemoved + result.tempsRemoved
}
