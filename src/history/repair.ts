import path from 'node:path'
import { errnoCode } from '../errors.js'
import { hashContents } from '../core/hash.js'
import { withRecoveredState, type RecoverOptions } from '../core/recover.js'
import { inspectVersions, isUnrestorable } from './check.js'
import { historyObserver } from './history-observer.js'
import { ObjectStore } from './objects.js'
import { ownStore } from './record.js'
import { collectGarbage } from './retention.js'
import { readIndex, removeVersion, writeIndex } from './versions.js'

export interface RepairResult {
  /** Missing or altered objects stored again from outDir, whose file still had the recorded content. */
  objectsRestored: number
  /** Objects that were hard links shared with another file (older stores), replaced by copies. */
  linksBroken: number
  /** Versions that still could not be restored, dropped from the history (oldest first). */
  versionsDropped: string[]
  /** Kept versions now, all restorable. */
  versionsKept: number
}

/**
 * Makes every kept version restorable again, holding outDir's lock (after recovery): checks
 * every object by its sha256; stores a missing or altered one again from outDir when a file
 * there still has the recorded content; replaces an object shared by hard link with a copy; and
 * drops the versions that still cannot be restored (record and index entry; objects only they
 * used go too). Nothing in outDir changes. Idempotent.
 */
export async function repairHistory(outDir: string, options: RecoverOptions = {}): Promise<RepairResult> {
  const { value } = await withRecoveredState(outDir, options, [historyObserver()], async (ctx): Promise<RepairResult> => {
    const paths = await ownStore(ctx)
    const store = new ObjectStore(ctx.fs, paths)
    const { index } = await readIndex(ctx.fs, paths)
    const { damaged } = await inspectVersions(ctx.fs, paths, index.versions, true)
    const result: RepairResult = { objectsRestored: 0, linksBroken: 0, versionsDropped: [], versionsKept: index.versions.length }
    // Where each damaged object's content may still be found in outDir: every path recorded with it.
    const wanted = new Map<string, { problem: string; paths: Set<string> }>()
    for (const version of damaged)
      for (const file of version.files) {
        const entry = wanted.get(file.sha256) ?? { problem: file.problem, paths: new Set<string>() }
        entry.paths.add(file.path)
        wanted.set(file.sha256, entry)
      }
    const fixed = new Set<string>()
    for (const [sha256, { problem, paths: candidates }] of wanted) {
      const sources = problem === 'shared' ? [paths.object(sha256)] : [...candidates].map((rel) => path.join(ctx.outDir, rel))
      for (const source of sources) {
        let bytes: Buffer
        try {
          bytes = await ctx.fs.readFile(source)
        } catch (error) {
          if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes(errnoCode(error) ?? '')) continue
          throw error
        }
        if (hashContents(bytes) !== sha256) continue
        await store.replace(paths.object(sha256), bytes)
        if (problem === 'shared') result.linksBroken++
        else result.objectsRestored++
        fixed.add(sha256)
        break
      }
    }
    if (fixed.size > 0 && ctx.fsyncFiles) await ctx.fs.fsyncPath(paths.objects)
    const dropped = new Set(
      damaged
        .filter((version) => version.record !== undefined || version.files.some((file) => isUnrestorable(file.problem) && !fixed.has(file.sha256)))
        .map((v) => v.id),
    )
    if (dropped.size === 0) return result
    const kept = index.versions.filter((version) => !dropped.has(version.id))
    // The index first, as retention does: a crash after it leaves only unreferenced files for gc.
    await writeIndex(ctx.fs, paths, { ...index, versions: kept }, ctx.fsync)
    for (const id of dropped) await removeVersion(ctx.fs, paths, id)
    await collectGarbage(ctx.fs, paths, { ...index, versions: kept })
    return { ...result, versionsDropped: index.versions.filter((v) => dropped.has(v.id)).map((v) => v.id), versionsKept: kept.length }
  })
  return value ?? { objectsRestored: 0, linksBroken: 0, versionsDropped: [], versionsKept: 0 }
}
