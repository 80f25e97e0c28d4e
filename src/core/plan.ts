import type { Stats } from 'node:fs'
import path from 'node:path'
import { EmitOptimizerError } from '../errors.js'
import type { EngineFs } from './fs.js'
import { lstatOrUndefined } from './fs.js'
import { loadHasher } from './hash.js'
import { statProvesUnchanged } from './stat-proof.js'
import type { Manifest, ManifestEntry } from './manifest.js'
import type { PublishGroup } from './publish-order.js'
import type { IoQueue } from './queue.js'

/** A file the new output must contain. */
export interface DesiredFile {
  path: string
  contents: Uint8Array
  /** Permission bits to set; when absent a replaced file keeps its mode and a new one gets 0o666 & ~umask. */
  mode?: number
  /** A file already holding `contents` on outDir's filesystem, staged by rename (WriteOptions.from). */
  from?: string
}

export interface PlannedWrite {
  path: string
  contents: Uint8Array
  hash: string
  group: PublishGroup
  /** Mode to give the file, when it must be set explicitly (given, or kept from the replaced file). */
  mode: number | undefined
  /** The file it replaces, if any. */
  existing: Stats | undefined
  /** Staged by renaming this file instead of writing `contents` (DesiredFile.from). */
  from?: string
}

export interface Plan {
  writes: PlannedWrite[]
  /** Files whose bytes (and mode) already match; their manifest entries, refreshed by stat. */
  unchanged: Map<string, ManifestEntry>
  /** Unchanged entries whose stat differed from the manifest (touched but equal): the manifest must be rewritten. */
  refreshed: number
  /** Existing files to remove: stale outputs of the last commit, explicit deletes, and with `clean` every foreign file. */
  deletes: string[]
  /** Existing files neither produced nor deleted by this commit (kept by swap/symlink when not cleaning). */
  untracked: string[]
  /** Directories found in the current output (swap/symlink recreate them). */
  dirs: string[]
  /**
   * Directories of the current output where a new file of the same name goes (directory → file),
   * parents first. Every file beneath them is in `deletes`; the incremental strategy moves each
   * one aside whole before publishing.
   */
  replacedDirs: string[]
}

export interface PlanInput {
  fs: EngineFs
  queue: IoQueue
  /** Where the current output's files are (outDir, or the build a symlink points to); undefined when there is none. */
  currentDir: string | undefined
  desired: DesiredFile[]
  explicitDeletes: string[]
  manifest: Manifest | undefined
  /** When the manifest was written (its mtime): files changed since then are compared by content (stat-proof.ts). */
  manifestWrittenMs: number | undefined
  /** Whether a full listing of the current output is needed (clean, or a strategy that rebuilds the directory). */
  walk: boolean
  clean: boolean
  classify: (path: string) => PublishGroup
}

function entryFromStats(stats: Stats, size: number, hash: string): ManifestEntry {
  return { size, hash, mode: stats.mode & 0o7777, mtimeMs: stats.mtimeMs, ino: stats.ino }
}

/** Lists files (and directories) under `dir`, as POSIX paths relative to it; symlinks are listed, not followed. */
export async function listTree(efs: EngineFs, dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const files: string[] = []
  const dirs: string[] = []
  const visit = async (rel: string): Promise<void> => {
    const entries = await efs.readdir(rel ? path.join(dir, rel) : dir, { withFileTypes: true })
    await Promise.all(
      entries.map(async (entry) => {
        const child = rel ? `${rel}/${entry.name}` : entry.name
        if (entry.isDirectory()) {
          dirs.push(child)
          await visit(child)
        } else {
          files.push(child)
        }
      }),
    )
  }
  await visit('')
  return { files, dirs }
}

/**
 * Decides, per path, whether to write, keep or delete. A file is kept untouched when its bytes
 * (and requested mode) equal the new content: proven by the manifest when its stat still matches
 * what the last commit recorded and it was not changed since (stat-proof.ts), by reading and
 * comparing the bytes otherwise (a file edited, truncated, chmod-ed or touched behind our back is
 * therefore detected and rewritten).
 */
export async function buildPlan(input: PlanInput): Promise<Plan> {
  const { fs: efs, queue, currentDir, manifest } = input
  const plan: Plan = { writes: [], unchanged: new Map(), refreshed: 0, deletes: [], untracked: [], dirs: [], replacedDirs: [] }
  const desiredPaths = new Set(input.desired.map((file) => file.path))
  assertNoFileUnderFile(desiredPaths)
  const hashContents = await loadHasher()

  const planned = (file: DesiredFile, hash: string, existing: Stats | undefined): PlannedWrite => ({
    path: file.path,
    contents: file.contents,
    hash,
    group: input.classify(file.path),
    mode: file.mode ?? (existing?.isFile() ? existing.mode & 0o7777 : undefined),
    // A directory in the way is no file to back up: it goes as a whole (replacedDirs).
    existing: existing?.isDirectory() ? undefined : existing,
    ...(file.from === undefined ? {} : { from: file.from }),
  })
  // No output yet: nothing to look up, every file is written (no queue task per file).
  if (currentDir === undefined) for (const file of input.desired) plan.writes.push(planned(file, hashContents(file.contents), undefined))
  else
    await queue.each(input.desired, async (file) => {
      const hash = hashContents(file.contents)
      const size = file.contents.byteLength
      const existing = await lstatOrUndefined(efs, path.join(currentDir, file.path))
      const write = (): void => void plan.writes.push(planned(file, hash, existing))
      if (existing === undefined) return write()
      if (existing.isDirectory()) {
        plan.replacedDirs.push(file.path)
        return write()
      }
      if (!existing.isFile() || existing.size !== size || (file.mode !== undefined && (existing.mode & 0o7777) !== file.mode)) return write()
      const recorded = manifest?.files[file.path]
      if (recorded && recorded.hash === hash && input.manifestWrittenMs !== undefined && statProvesUnchanged(recorded, existing, input.manifestWrittenMs)) {
        plan.unchanged.set(file.path, recorded)
        return
      }
      const onDisk = await efs.readFile(path.join(currentDir, file.path))
      if (!Buffer.from(onDisk.buffer, onDisk.byteOffset, onDisk.byteLength).equals(file.contents)) return write()
      plan.unchanged.set(file.path, entryFromStats(existing, size, hash))
      plan.refreshed++
    })

  const candidates = new Set<string>()
  for (const p of Object.keys(manifest?.files ?? {})) candidates.add(p)
  for (const p of input.explicitDeletes) candidates.add(p)
  if (input.walk && currentDir !== undefined) {
    const tree = await listTree(efs, currentDir)
    if (!input.clean) plan.dirs = tree.dirs
    for (const p of tree.files) {
      if (desiredPaths.has(p) || candidates.has(p)) continue
      if (input.clean) candidates.add(p)
      else plan.untracked.push(p)
    }
  }
  const toCheck = [...candidates].filter((p) => !desiredPaths.has(p))
  if (currentDir !== undefined) {
    const present = await queue.each(toCheck, async (p) => ((await lstatOrUndefined(efs, path.join(currentDir, p))) === undefined ? undefined : p))
    for (const p of present) if (p !== undefined) plan.deletes.push(p)
    if (plan.replacedDirs.length > 0) await checkReplacedDirs(efs, currentDir, plan)
  }
  // Deterministic order: journals, tests and reports read the same on every run.
  plan.writes.sort((a, b) => a.group - b.group || (a.path < b.path ? -1 : 1))
  plan.deletes.sort()
  plan.untracked.sort()
  plan.replacedDirs.sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1))
  return plan
}

/** `a` and `a/b` cannot both be files of one output. */
function assertNoFileUnderFile(paths: Set<string>): void {
  for (const p of paths) {
    for (let dir = path.posix.dirname(p); dir !== '.'; dir = path.posix.dirname(dir)) {
      if (paths.has(dir))
        throw new EmitOptimizerError('EO_OUTDIR_INVALID', `cannot write both "${dir}" and "${p}": one output cannot have a file and a directory of one name.`, {
          path: p,
        })
    }
  }
}

/**
 * A directory replaced by a file may only hold what this commit deletes (stale outputs, or
 * anything with `clean`): a file kept there would be lost with it, so it is refused, as the
 * bundler's own write would fail on the directory. Its directories go from `plan.dirs`.
 */
async function checkReplacedDirs(efs: EngineFs, currentDir: string, plan: Plan): Promise<void> {
  const deleting = new Set(plan.deletes)
  for (const dir of plan.replacedDirs) {
    const { files } = await listTree(efs, path.join(currentDir, dir))
    const kept = files.map((f) => `${dir}/${f}`).filter((f) => !deleting.has(f))
    if (kept.length > 0) {
      throw new EmitOptimizerError(
        'EO_OUTDIR_INVALID',
        `cannot replace directory "${dir}" with a file: it holds ${kept.length} file(s) this commit keeps (${kept.slice(0, 3).join(', ')}). ` +
          `Remove them, or set clean so that files the build did not write are deleted.`,
        { path: dir },
      )
    }
  }
  const under = (p: string): boolean => plan.replacedDirs.some((dir) => p === dir || p.startsWith(`${dir}/`))
  plan.dirs = plan.dirs.filter((d) => !under(d))
}
