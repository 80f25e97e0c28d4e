import { nodeCrypto } from '../core/node-crypto.js'
import fs from 'node:fs'
import path from 'node:path'
import picomatch from 'picomatch'
import { EmitOptimizerError, errnoCode } from '../errors.js'
import { assertSafeOutDir, normalizeOutputPath } from '../core/guard.js'
import { hashContents } from '../core/hash.js'
import { acquireLock } from '../core/lock.js'
import { recoverOutDir } from '../core/recover.js'
import { siblingStateDir, statePaths } from '../core/state-dir.js'
import { resolveTransactionOptions, TRANSACTION_DEFAULTS } from '../core/transaction-options.js'
import { openTransaction, type Edit, type Transaction } from '../core/transaction.js'
import { isTempFile } from './atomic-write.js'
import type { Coalescer } from './coalesce.js'
import { applyEdits, type EditResult } from './edit.js'
import type { QueuedWrite, Target, WriteFileOptions, WriteResult, WriteStatus, WriterState } from './files.js'

/** The writer API inside `writer.transaction()`: nothing reaches the disk before the callback returns. */
export interface WriterTransaction {
  /** Sets the file's content in this transaction; the last write to a path wins. */
  write(path: string, content: string | Uint8Array, options?: WriteFileOptions): void
  /** Removes the file when the transaction commits. */
  delete(path: string): void
  /** Applies edits to the content written earlier in this transaction, or else on disk (one read). */
  edit(path: string, edits: Edit | Edit[]): Promise<EditResult>
}

export interface TransactionRunOptions {
  /**
   * Directories (relative to root) this transaction owns: files in them that it did not write
   * are deleted in the same commit. Safety rule: a directory the transaction wrote nothing
   * into is left alone (with a warning), and a failed transaction deletes nothing.
   */
  clean?: string | string[]
  /**
   * Files under `clean` directories that are never deleted (picomatch globs, relative to root).
   * @default ['**\/.gitignore', '**\/.gitkeep']
   */
  keep?: string[]
  /**
   * Add the files to this engine transaction (a build's) instead of committing: the build's
   * commit publishes them with everything else, all or nothing. Statuses are then predictions.
   */
  join?: Transaction
}

export interface TransactionResult {
  /** Every file written or deleted by the transaction, sorted by path. */
  files: Array<{ path: string; status: WriteStatus | 'deleted' }>
  /** Files created, updated or deleted (or, in check mode, that would be). */
  changed: number
  /** Whether this call published anything itself (false in check mode, with `join`, or when nothing changed). */
  committed: boolean
}

const DEFAULT_KEEP = ['**/.gitignore', '**/.gitkeep']

type Entry =
  { kind: 'write'; seq: number; target: Target; content: string | Uint8Array; options: WriteFileOptions } | { kind: 'delete'; seq: number; target: Target }

/**
 * Runs `fn`, then publishes everything it wrote as one engine transaction: all files or none,
 * even after `kill -9` (the engine's journal). Each commit gets its own state directory under
 * the writer's state dir, so the engine's "files of the last commit that are missing now are
 * stale" rule never deletes what an earlier transaction wrote; a writer lock serialises
 * processes, and leftovers of a crashed commit are recovered by the next transaction.
 */
export async function runTransaction(
  state: WriterState,
  coalescer: Coalescer<QueuedWrite, WriteResult>,
  fn: (tx: WriterTransaction) => unknown,
  options: TransactionRunOptions = {},
): Promise<TransactionResult> {
  const entries = new Map<string, Entry>()
  let open = true
  const assertOpen = (): void => {
    if (!open)
      throw new EmitOptimizerError(
        'EO_TX_CLOSED',
        `a writer transaction on ${state.opts.root} was used after its callback returned. Do all writes inside the callback (and await them).`,
      )
  }
  const tx: WriterTransaction = {
    write(file, content, writeOptions = {}) {
      assertOpen()
      const target = state.target(file)
      entries.set(target.rel, { kind: 'write', seq: coalescer.nextSeq(), target, content, options: writeOptions })
    },
    delete(file) {
      assertOpen()
      const target = state.target(file)
      entries.set(target.rel, { kind: 'delete', seq: coalescer.nextSeq(), target })
    },
    async edit(file, edits) {
      assertOpen()
      const target = state.target(file)
      const entry = entries.get(target.rel)
      if (entry?.kind === 'delete')
        throw new EmitOptimizerError(
          'EO_EDIT_FAILED',
          `cannot edit "${target.rel}": it was deleted earlier in this transaction (root: ${state.opts.root}). Write its content instead.`,
          { path: target.rel },
        )
      let original: string
      if (entry) original = typeof entry.content === 'string' ? entry.content : Buffer.from(entry.content).toString('utf8')
      else {
        await state.confine(target)
        const current = state.inspect(target)
        if (!current.isFile)
          throw new EmitOptimizerError(
            'EO_EDIT_FAILED',
            `cannot edit "${target.rel}": the file does not exist (root: ${state.opts.root}) and was not written in this transaction. Write it first.`,
            { path: target.rel },
          )
        original = current.bytes().toString('utf8')
      }
      const result = applyEdits(target.rel, original, Array.isArray(edits) ? edits : [edits])
      entries.set(target.rel, { kind: 'write', seq: coalescer.nextSeq(), target, content: result.code, options: entry?.kind === 'write' ? entry.options : {} })
      return result
    },
  }
  try {
    await fn(tx)
  } finally {
    open = false
  }
  if (options.clean !== undefined) await addStaleDeletes(state, entries, options)

  const lease = await coalescer.acquire(entries.keys())
  const outcome = new Map<string, WriteResult>()
  try {
    const writes: Array<{ target: Target; bytes: Buffer; mode: number | undefined; status: WriteStatus }> = []
    const deletes: Target[] = []
    const files: TransactionResult['files'] = []
    const sorted = [...entries.values()].sort((a, b) => (a.target.rel < b.target.rel ? -1 : 1))
    for (const entry of sorted) {
      await state.confine(entry.target)
      const current = state.inspect(entry.target)
      if (entry.kind === 'delete') {
        if (current.stats !== undefined) {
          deletes.push(entry.target)
          files.push({ path: entry.target.rel, status: 'deleted' })
        }
        continue
      }
      const bytes = await state.prepare(entry.target, entry.content, current)
      const result = state.decide(current, current.holds(bytes, hashContents(bytes), entry.options.mode), entry.options)
      outcome.set(entry.target.rel, result)
      files.push({ path: result.path, status: result.status })
      if (result.status !== 'skipped') writes.push({ target: entry.target, bytes, mode: entry.options.mode, status: result.status })
    }
    const changed = files.filter((file) => file.status === 'created' || file.status === 'updated' || file.status === 'deleted').length
    let committed = false
    if (options.join) {
      if (!state.opts.check) joinBuild(state, options.join, writes, deletes)
    } else if (changed > 0 && !state.opts.check) {
      await commit(state, writes.filter((write) => write.status !== 'unchanged'), deletes)
      committed = true
    }
    if (!options.join) {
      for (const write of writes) {
        if (write.status === 'unchanged' || state.opts.check) continue
        const stats = fs.lstatSync(write.target.abs)
        state.remember(write.target, stats, hashContents(write.bytes), write.bytes)
      }
      for (const target of deletes) {
        state.records.delete(target.rel)
        if (!state.opts.check) state.deleted.add(target.rel)
      }
    }
    for (const file of files) if (file.status !== 'skipped') state.noteChange({ path: file.path, status: file.status })
    // Writes queued before the transaction wrote a path are older: its content replaced them, so
    // they settle with its result. Taken only now: after a failure (or a skip) they still run.
    for (const entry of sorted) if (outcome.get(entry.target.rel)?.status !== 'skipped') lease.take(entry.target.rel, entry.seq)
    // A queued write of a path this transaction deleted was never written: skipped.
    lease.release({ result: (rel) => outcome.get(rel) ?? { status: 'skipped', path: rel } })
    return { files, changed, committed }
  } catch (error) {
    lease.release({ error })
    throw error
  }
}

/** Adds the build's transaction the files (all of them: the build's output must contain them, changed or not). */
function joinBuild(
  state: WriterState,
  build: Transaction,
  writes: Array<{ target: Target; bytes: Buffer; mode: number | undefined }>,
  deletes: Target[],
): void {
  const inBuild = (target: Target): string => normalizeOutputPath(path.relative(build.outDir, target.abs).split(path.sep).join('/'), build.outDir)
  // Every path is checked against the build's outDir before the first one is added.
  const paths = new Map([...writes.map((write) => write.target), ...deletes].map((target) => [target.rel, inBuild(target)]))
  for (const write of writes) build.write(paths.get(write.target.rel)!, write.bytes, write.mode === undefined ? {} : { mode: write.mode })
  for (const target of deletes) build.delete(paths.get(target.rel)!)
  // The build commits later (or not): the next write of these paths compares with the disk again.
  for (const rel of paths.keys()) state.records.delete(rel)
}

async function addStaleDeletes(state: WriterState, entries: Map<string, Entry>, options: TransactionRunOptions): Promise<void> {
  const keep = picomatch(options.keep ?? DEFAULT_KEEP, { dot: true })
  for (const dir of Array.isArray(options.clean) ? options.clean : [options.clean!]) {
    const target = state.target(dir)
    await assertSafeOutDir(target.abs, { root: state.opts.root, allowDangerous: false })
    const prefix = `${target.rel}/`
    const produced = [...entries.values()].some((entry) => entry.kind === 'write' && entry.target.rel.startsWith(prefix))
    const existing = listFiles(target.abs).map((file) => `${prefix}${file}`)
    if (!produced) {
      if (existing.length > 0)
        state.opts.logger.warn(
          `[emit-optimizer] not cleaning "${target.rel}": this transaction wrote nothing into it, ` +
            `so its ${existing.length} file(s) are kept (a run that produced nothing never deletes). Root: ${state.opts.root}.`,
        )
      continue
    }
    for (const rel of existing) {
      if (entries.has(rel) || keep(rel) || isTempFile(rel)) continue
      // Sequence 0: a write queued for this path outside the transaction is newer and survives.
      entries.set(rel, { kind: 'delete', seq: 0, target: state.target(rel) })
    }
  }
}

/** Files under `dir`, relative POSIX paths; symlinks are listed, not followed. */
function listFiles(dir: string): string[] {
  let entries: fs.Dirent[]
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true, recursive: true })
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return []
    throw error
  }
  return entries.filter((entry) => !entry.isDirectory()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
}

/** The writer's state dir: the default must share root's filesystem (renames), else the engine's sibling fallback. */
function stateBase(state: WriterState): string {
  const { root, stateDir, logger } = state.opts
  if (stateDir !== undefined) return stateDir
  const candidate = path.join(root, 'node_modules', '.cache', 'emit-optimizer', 'writer')
  if (deviceOf(candidate) === deviceOf(root)) return candidate
  const fallback = path.join(siblingStateDir(root), 'writer')
  logger.warn(`[emit-optimizer] ${candidate} is on another filesystem than ${root}; keeping the writer's transaction state in ${fallback} instead.`)
  return fallback
}

function deviceOf(target: string): number {
  for (let dir = target; ; dir = path.dirname(dir)) {
    try {
      return fs.statSync(dir).dev
    } catch (error) {
      if (dir === path.dirname(dir)) throw error
    }
  }
}

async function commit(state: WriterState, writes: Array<{ target: Target; bytes: Buffer; mode: number | undefined }>, deletes: Target[]): Promise<void> {
  const { root, durability, logger } = state.opts
  const base = stateBase(state)
  // Held for the whole commit; a commit of generated files takes well under the engine's default wait.
  const lock = await acquireLock(path.join(base, 'lock'), { timeoutMs: TRANSACTION_DEFAULTS.lockTimeoutMs, outDir: root })
  try {
    await recoverLeftovers(base, state)
    const stateDir = path.join(base, `tx-${Date.now().toString(36)}-${nodeCrypto().randomBytes(4).toString('hex')}`)
    // allowDangerousOutDir: root is usually the project (and repository) root. The writer never
    // empties or swaps it; it deletes only the files named here, each confined by the guard.
    // The engine without observers: generated files keep no build history.
    const engine = openTransaction(resolveTransactionOptions({ outDir: root, root, stateDir, durability, logger, allowDangerousOutDir: true }))
    for (const write of writes) engine.write(write.target.rel, write.bytes, write.mode === undefined ? {} : { mode: write.mode })
    for (const target of deletes) engine.delete(target.rel)
    try {
      await engine.commit()
    } finally {
      // A journal left behind means the rollback itself failed: keep it for the next transaction's recovery.
      if (!fs.existsSync(statePaths(stateDir).journal)) fs.rmSync(stateDir, { recursive: true, force: true })
    }
  } finally {
    await lock.release()
  }
}

/** Finishes or undoes commits of crashed processes (their state dirs are left behind); the caller holds the writer lock. */
async function recoverLeftovers(base: string, state: WriterState): Promise<void> {
  for (const name of fs.readdirSync(base)) {
    if (!name.startsWith('tx-')) continue
    const stateDir = path.join(base, name)
    await recoverOutDir(state.opts.root, { root: state.opts.root, stateDir, logger: state.opts.logger, durability: state.opts.durability }, [])
    fs.rmSync(stateDir, { recursive: true, force: true })
  }
}
