import path from 'node:path'
import type { EngineContext } from '../context.js'
import { ignoring } from '../fs.js'
import { assertConfined } from '../guard.js'
import type { Journal } from '../journal.js'
import type { Manifest, ManifestEntry } from '../manifest.js'
import type { Plan, PlannedWrite } from '../plan.js'

export interface WrittenFile {
  entry: ManifestEntry
  /** Where it was staged: the history store clones its object from there where the filesystem can. */
  stagedAt: string
  /** Time to stage this file (write, stat, chmod, fsync), for latency reports. */
  durationMs: number
}

/** Fields every journal carries; the strategy adds its own. */
export type JournalHeader = Pick<Journal, 'format' | 'state' | 'txId' | 'outDir' | 'pid' | 'createdAt'>

export interface StagedCommit {
  journal: Journal
  written: Map<string, WrittenFile>
}

/** One way of publishing; see journal.ts for the on-disk protocol each follows. */
export interface PublishStrategy {
  /** Prepares the new output without changing outDir. */
  stage(ctx: EngineContext, plan: Plan, header: JournalHeader, manifestFor: (written: Map<string, WrittenFile>) => Manifest): Promise<StagedCommit>
  /** Makes the new output visible; on error the caller rolls back. */
  publish(ctx: EngineContext, journal: Journal): Promise<void>
  /** Undoes a `prepared` journal; idempotent, so a crash during rollback is recovered by running it again. */
  rollback(ctx: EngineContext, journal: Journal): Promise<void>
  /** Removes what the old output needed after the commit point; idempotent. */
  finish(ctx: EngineContext, journal: Journal): Promise<void>
}

/**
 * Writes one new file at `target`, created exclusively ('wx'). Staging locations are private
 * directories (0o700) until published, so the file can be created with its final mode. A file
 * the bundler already wrote on this filesystem (`from`) is renamed here instead: zero copy, and
 * from then on the journal covers it like any staged file.
 */
export async function stageFile(ctx: EngineContext, target: string, write: PlannedWrite): Promise<WrittenFile> {
  const started = performance.now()
  const moved = write.from !== undefined && (await adopted(ctx, write.from, target))
  let stats = moved ? await ctx.fs.stat(target) : await ctx.fs.writeFile(target, write.contents, { flag: 'wx', mode: write.mode ?? 0o666 })
  // The umask may have stripped bits of a mode we must keep (e.g. a replaced 0o666 file).
  if (write.mode !== undefined && (stats.mode & 0o7777) !== write.mode) {
    await ctx.fs.chmod(target, write.mode)
    stats = await ctx.fs.stat(target)
  }
  if (ctx.fsyncFiles) await ctx.fs.fsyncPath(target)
  return {
    entry: { size: write.contents.byteLength, hash: write.hash, mode: stats.mode & 0o7777, mtimeMs: stats.mtimeMs, ino: stats.ino },
    stagedAt: target,
    durationMs: performance.now() - started,
  }
}

/** Renames `from` to `target`; false when they are on different filesystems (EXDEV), then the caller writes the bytes. */
async function adopted(ctx: EngineContext, from: string, target: string): Promise<boolean> {
  try {
    await ctx.fs.rename(from, target)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EXDEV') return false
    throw error
  }
}

/** Parent directories of `files` (POSIX, relative), parents before children. */
export function parentDirs(files: Iterable<string>): string[] {
  const dirs = new Set<string>()
  for (const file of files) {
    for (let dir = path.posix.dirname(file); dir !== '.' && !dirs.has(dir); dir = path.posix.dirname(dir)) dirs.add(dir)
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1))
}

/**
 * Fills a fresh directory with the complete new output: unchanged and untracked files are hard
 * links to the current ones (same inode, same mtime), changed files are written. The current
 * output's directories are recreated (empty ones included), except those only deleted files
 * needed: the same tree the incremental strategy leaves when it removes emptied directories.
 */
export async function populateDir(ctx: EngineContext, dir: string, currentDir: string | undefined, plan: Plan): Promise<Map<string, WrittenFile>> {
  // A file under a directory of the current output that is a symlink leaving it (`dist/sub` →
  // elsewhere) would be linked from outside, or collide with the kept link: refuse it with the
  // error the incremental strategy gives (transaction.ts), which names the link.
  if (currentDir !== undefined) await assertConfined(await ctx.fs.realpath(currentDir), [...plan.writes.map((w) => w.path), ...plan.unchanged.keys()], ctx.fs)
  const linked = [...plan.unchanged.keys(), ...plan.untracked]
  const dirs = new Set(parentDirs([...linked, ...plan.writes.map((w) => w.path)]))
  const emptied = new Set(parentDirs(plan.deletes))
  for (const rel of plan.dirs) {
    if (emptied.has(rel)) continue
    for (let d = rel; d !== '.'; d = path.posix.dirname(d)) dirs.add(d)
  }
  for (const rel of [...dirs].sort((a, b) => a.split('/').length - b.split('/').length)) {
    await ignoring(ctx.fs.mkdir(path.join(dir, rel), { recursive: false }), ['EEXIST'])
  }
  if (currentDir !== undefined) {
    await ctx.queue.each(linked, (rel) => ctx.fs.link(path.join(currentDir, rel), path.join(dir, rel)))
  }
  const written = new Map<string, WrittenFile>()
  await ctx.queue.each(plan.writes, async (write) => {
    written.set(write.path, await stageFile(ctx, path.join(dir, write.path), write))
  })
  if (ctx.fsync) await fsyncDirs(ctx, ['', ...dirs].map((rel) => path.join(dir, rel)))
  return written
}

/**
 * fsyncs a set of directories (errors other than a vanished directory propagate), all in flight
 * together up to the queue's concurrency: the I/O queue runs the items of one batch one after
 * another, which made 30 flushes wait for each other, where concurrent ones share the
 * filesystem's journal commits (ext4, xfs). Settles every started flush before failing.
 */
export async function fsyncDirs(ctx: EngineContext, dirs: Iterable<string>): Promise<void> {
  const list = [...new Set(dirs)]
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < list.length) await ignoring(ctx.fs.fsyncPath(list[next++]!))
  }
  const settled = await Promise.allSettled(Array.from({ length: Math.min(ctx.queue.concurrency, list.length) }, worker))
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected')
  if (failed) throw failed.reason
}
