import path from 'node:path'
import type { EngineContext } from '../context.js'
import { ignoring, lstatOrUndefined } from '../fs.js'
import type { DelOp, IncrementalJournal, Journal, JournalOp, PutOp } from '../journal.js'
import { PUBLISH_GROUPS } from '../publish-order.js'
import { fsyncDirs, parentDirs, stageFile, type PublishStrategy, type WrittenFile } from './shared.js'

/**
 * Changed files are staged in `<stateDir>/tx-<id>/s/` (a mirror of the output tree), then
 * published by rename in publish order. A replaced file is first hard-linked into `b/` (its
 * backup) so the rename replaces it atomically: readers never see it missing. Stale files are
 * renamed into `b/` last. Where the output's shape changes, what is in the way leaves first: a
 * stale file where a new directory goes, a directory (whole) where a new file goes; a reader
 * sees that path missing for an instant, as with the bundler's own clean. When outDir does not
 * exist yet, `s/` is renamed to outDir whole.
 */
export const incremental: PublishStrategy = {
  async stage(ctx, plan, header, manifestFor) {
    const txDir = ctx.paths.txDir(header.txId)
    // txDir is private (0o700), so staged files can be created with their final mode; s/ itself
    // has the default mode because it becomes outDir when there is no outDir yet.
    await ctx.fs.mkdir(txDir, { recursive: true, mode: 0o700 })
    await ctx.fs.mkdir(path.join(txDir, 's'), { recursive: false })
    await ctx.fs.mkdir(path.join(txDir, 'b'), { recursive: false })
    // Staging mirrors the output tree: renames between matching directories measured ~25 %
    // cheaper than from one flat directory of thousands of entries.
    const newDirs = parentDirs(plan.writes.map((w) => w.path))
    for (const dir of newDirs) await ctx.fs.mkdir(path.join(txDir, 's', dir), { recursive: false })
    const written = new Map<string, WrittenFile>()
    const ops: JournalOp[] = plan.writes.map((write, i) => ({
      op: 'put',
      path: write.path,
      group: write.group,
      stage: `s/${write.path}`,
      backup: write.existing ? `b/${i}` : null,
    }))
    await ctx.queue.each(plan.writes, async (write) => {
      written.set(write.path, await stageFile(ctx, path.join(txDir, 's', write.path), write))
    })
    // A stale file where a new directory goes (file → directory) must leave before the puts.
    const newDirSet = new Set(newDirs)
    const early = new Set(plan.deletes.filter((p) => newDirSet.has(p)))
    // A directory where a new file goes (directory → file) leaves whole, before the puts, into
    // b/r<n>; the stale files beneath it go with it instead of one by one.
    const inReplaced = (p: string): boolean => plan.replacedDirs.some((dir) => p.startsWith(`${dir}/`))
    const dels: DelOp[] = plan.deletes
      .filter((p) => !inReplaced(p))
      .map((p, i) => ({ op: 'del', path: p, backup: `b/d${i}`, ...(early.has(p) ? { early: true } : {}) }))
    const moved: DelOp[] = plan.replacedDirs.map((p, i) => ({ op: 'del', path: p, backup: `b/r${i}`, early: true, dir: true }))
    ops.unshift(...moved, ...dels.filter((op) => op.early))
    ops.push(...dels.filter((op) => !op.early))

    // Directories to create, found before anything is touched so rollback can remove them.
    const dirs: string[] = []
    if ((await lstatOrUndefined(ctx.fs, ctx.outDir)) === undefined) dirs.push('')
    const missing = await ctx.queue.each(newDirs, async (dir) => {
      if (dirs.length > 0) return dir
      return early.has(dir) || (await lstatOrUndefined(ctx.fs, path.join(ctx.outDir, dir))) === undefined ? dir : undefined
    })
    for (const dir of missing) if (dir !== undefined) dirs.push(dir)

    const journal: IncrementalJournal = { ...header, strategy: 'incremental', manifest: manifestFor(written), txDir, dirs, ops }
    return { journal, written }
  },

  async publish(ctx, journal) {
    const j = journal as IncrementalJournal
    if (j.dirs[0] === '') {
      // No outDir yet: the staged tree becomes outDir in one rename.
      await ctx.fs.mkdir(path.dirname(ctx.outDir), { recursive: true })
      await ctx.fs.rename(path.join(j.txDir, 's'), ctx.outDir)
      if (ctx.fsync) await fsyncDirs(ctx, [path.dirname(ctx.outDir), ...j.dirs.map((dir) => path.join(ctx.outDir, dir))])
      return
    }
    const dels = j.ops.filter((op): op is DelOp => op.op === 'del')
    await ctx.queue.each(dels.filter((op) => op.early), (op) => ctx.fs.rename(path.join(ctx.outDir, op.path), path.join(j.txDir, op.backup)))
    for (const dir of j.dirs) await ignoring(ctx.fs.mkdir(path.join(ctx.outDir, dir), { recursive: false }), ['EEXIST'])
    // Ops are journaled in publish order; each group is on disk before the next one starts.
    for (const group of PUBLISH_GROUPS) {
      await ctx.queue.each(j.ops.filter((op): op is PutOp => op.op === 'put' && op.group === group), async (op) => {
        const target = path.join(ctx.outDir, op.path)
        // EEXIST: the queue retries this step after EMFILE, and the backup may already be linked.
        if (op.backup) await ignoring(ctx.fs.link(target, path.join(j.txDir, op.backup)), ['EEXIST'])
        await ctx.fs.rename(path.join(j.txDir, op.stage), target)
      })
    }
    await ctx.queue.each(dels.filter((op) => !op.early), (op) => ctx.fs.rename(path.join(ctx.outDir, op.path), path.join(j.txDir, op.backup)))
    if (ctx.fsync) await fsyncDirs(ctx, touchedDirs(ctx, j))
  },

  async rollback(ctx, journal) {
    const j = journal as IncrementalJournal
    // Puts first, then the directories they needed, then dels: a restored file may sit where a
    // created directory was (file → directory changes), a restored directory where a new file
    // was (directory → file).
    await ctx.queue.each(j.ops.filter((op): op is PutOp => op.op === 'put'), async (op) => {
      const target = path.join(ctx.outDir, op.path)
      const staged = (await lstatOrUndefined(ctx.fs, path.join(j.txDir, op.stage))) !== undefined
      if (staged) return // never published: target still holds the old file
      if (op.backup) return ignoring(ctx.fs.rename(path.join(j.txDir, op.backup), target))
      // A rollback run again finds the old directory (or the old file of a file → directory
      // change) back at or above the path: nothing of the new file is left to remove.
      const current = await lstatOrUndefined(ctx.fs, target)
      if (current && !current.isDirectory()) await ignoring(ctx.fs.unlink(target))
    })
    // ENOTDIR: a file → directory change never got that far, the old file is still there.
    for (const dir of [...j.dirs].reverse()) await ignoring(ctx.fs.rmdir(path.join(ctx.outDir, dir)), ['ENOENT', 'ENOTEMPTY', 'EEXIST', 'ENOTDIR'])
    await ctx.queue.each(j.ops.filter((op): op is DelOp => op.op === 'del'), async (op) => {
      if ((await lstatOrUndefined(ctx.fs, path.join(j.txDir, op.backup))) === undefined) return
      const target = path.join(ctx.outDir, op.path)
      await ctx.fs.mkdir(path.dirname(target), { recursive: true })
      await ctx.fs.rename(path.join(j.txDir, op.backup), target)
    })
    if (ctx.fsync) await fsyncDirs(ctx, touchedDirs(ctx, j).filter((dir) => !j.dirs.includes(path.relative(ctx.outDir, dir))))
    await ctx.fs.rm(j.txDir, { recursive: true, force: true })
  },

  async finish(ctx, journal) {
    const j = journal as IncrementalJournal
    await ctx.fs.rm(j.txDir, { recursive: true, force: true })
    // Directories emptied by deleting stale files go too, as the bundler's own clean would do.
    const emptied = parentDirs(j.ops.filter((op) => op.op === 'del').map((op) => op.path)).reverse()
    for (const dir of emptied) await ignoring(ctx.fs.rmdir(path.join(ctx.outDir, dir)), ['ENOENT', 'ENOTEMPTY', 'EEXIST'])
  },
}

function touchedDirs(ctx: EngineContext, journal: Journal & { ops: JournalOp[]; dirs: string[] }): string[] {
  const dirs = new Set<string>([ctx.outDir])
  for (const op of journal.ops) dirs.add(path.dirname(path.join(ctx.outDir, op.path)))
  return [...dirs]
}
