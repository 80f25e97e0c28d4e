import path from 'node:path'
import { errnoCode } from '../errors.js'
import type { EngineContext } from './context.js'
import { ignoring, lstatOrUndefined, readTextOrUndefined, type EngineFs } from './fs.js'
import { readJournal } from './journal.js'
import { acquireLock, type LockHandle } from './lock.js'
import { readManifest, type Manifest } from './manifest.js'
import { runSessionPath } from './run-session.js'
import { statePaths } from './state-dir.js'

/**
 * The lock and the owner marker of outDir itself, beside it (`.dist.eo-lock`,
 * `.dist.eo-owner.json`) in the real path of its parent: every writer of outDir finds them,
 * whatever its root or state dir, two spellings of one directory share them, and they exist
 * before outDir does. The state dir's own lock only guards that state dir.
 */
export interface OutDirFiles {
  lock: string
  owner: string
}

const OWNER_FORMAT = 'emit-optimizer/owner@1'

/** One commit into outDir: the state dir whose manifest it wrote, and that manifest's txId. */
export interface CommitRef {
  stateDir: string
  txId: string
}

/** A writer at work in outDir: its state dir, and the txId when it is a commit. */
interface PendingRef {
  stateDir: string
  txId?: string
}

/**
 * Who committed into outDir last (`owner`), and who holds (or held, when killed) outDir's lock
 * (`pending`): a writer of any root recovers that state dir before touching outDir.
 */
interface OwnerMarker {
  format: typeof OWNER_FORMAT
  owner: CommitRef | null
  pending?: PendingRef
}

/** The real path of `dir`'s nearest existing ancestor, joined with the rest (outDir's parent may not exist yet). */
async function realpathOfPath(efs: EngineFs, dir: string): Promise<string> {
  try {
    return await efs.realpath(dir)
  } catch (error) {
    const parent = path.dirname(dir)
    if (errnoCode(error) !== 'ENOENT' || parent === dir) throw error
    return path.join(await realpathOfPath(efs, parent), path.basename(dir))
  }
}

export async function outDirFiles(efs: EngineFs, outDir: string): Promise<OutDirFiles> {
  const base = path.join(await realpathOfPath(efs, path.dirname(outDir)), `.${path.basename(outDir)}`)
  return { lock: `${base}.eo-lock`, owner: `${base}.eo-owner.json` }
}

async function readMarker(efs: EngineFs, file: string): Promise<OwnerMarker | undefined> {
  const stats = await lstatOrUndefined(efs, file)
  if (stats === undefined) return undefined
  // Never ours (ours is written by rename): read as no marker, without opening its target.
  const text = stats.isSymbolicLink() ? undefined : await readTextOrUndefined(efs, file)
  if (text === undefined) return undefined
  const isDir = (ref: unknown): ref is PendingRef => typeof ref === 'object' && ref !== null && typeof (ref as PendingRef).stateDir === 'string'
  const isCommit = (ref: unknown): ref is CommitRef => isDir(ref) && typeof ref.txId === 'string'
  try {
    const value = JSON.parse(text) as OwnerMarker
    if (value?.format !== OWNER_FORMAT) throw new Error('unknown format')
    const { pending: at } = value
    const pending = isDir(at) ? { stateDir: at.stateDir, ...(typeof at.txId === 'string' ? { txId: at.txId } : {}) } : undefined
    return { format: OWNER_FORMAT, owner: isCommit(value.owner) ? value.owner : null, ...(pending ? { pending } : {}) }
  } catch {
    // Unreadable: nobody's manifest is trusted until the next commit rewrites it.
    return { format: OWNER_FORMAT, owner: null }
  }
}

export type RecoverStateDir = (ctx: EngineContext) => Promise<{ action: string; txId?: string }>

/** Held by a writer of outDir: both locks, outDir's taken first, so two writers never wait for each other crosswise. */
export interface OutDirClaim {
  files: OutDirFiles
  /** The state dir whose commit outDir holds, when it is another one than ours (symlink builds live there). */
  readonly ownerStateDir: string | undefined
  /** Call once our own state dir is recovered: settles what an earlier writer of ours, killed, left marked pending. */
  recovered(): Promise<void>
  /** Whether `manifest` (ours, after `recovered`) describes outDir: its commit is the last one into outDir. */
  trusts(manifest: Manifest | undefined): boolean
  /** Call before the first change to outDir or to our manifest: makes our pending mark durable (fsync). Idempotent. */
  changing(): Promise<void>
  /** Our commit `txId` is what outDir holds now (an earlier one when nothing changed); nothing of ours is pending. */
  committed(txId: string): Promise<void>
  /** Clears our pending mark unless our state dir keeps a journal or a run session for recovery, then releases both locks. */
  release(): Promise<void>
}

/**
 * Takes outDir's lock, recovers what a killed writer of another state dir left, takes our state
 * dir's lock, and marks our state dir pending (with `txId` for a commit) until `committed` or
 * `release`: if we are killed, the next writer of any root recovers it. A commit's mark is made
 * durable only by `changing`, before its first change, so one that changes nothing flushes
 * nothing: a power loss before that point loses only a mark of a writer that changed nothing.
 * The caller recovers its own state dir, then calls `recovered`; `recover` is how (recover.ts's
 * recoverPending with the caller's observers, passed in: recover.ts imports us).
 */
export async function claimOutDir(ctx: EngineContext, timeoutMs: number, recover: RecoverStateDir, txId?: string): Promise<OutDirClaim> {
  const efs = ctx.fs
  const files = await outDirFiles(efs, ctx.outDir)
  const stateDir = ctx.paths.dir
  const mine: PendingRef = { stateDir, ...(txId === undefined ? {} : { txId }) }
  const outLock = await acquireLock(files.lock, { timeoutMs, fs: efs, outDir: ctx.outDir })
  let stateLock: LockHandle | undefined
  /** The marker as it is on disk (read, or last written). */
  let marker: OwnerMarker | undefined
  /** No marker: outDir was last written by a version without one; our manifest is all there is to go by. */
  let legacy = false
  /** Left pending by an earlier writer of our state dir that was killed. */
  let ours: PendingRef | undefined
  // A pending mark must be durable before anything changes (after a power loss a writer of
  // another root recovers it from there); a lost owner is settled again from it.
  let flushed: Promise<void> | undefined
  const write = async (next: OwnerMarker): Promise<void> => {
    await efs.writeFileAtomic(files.owner, JSON.stringify(next), { fsync: false, mode: 0o644 })
    marker = next
    flushed = undefined
  }
  const flush = (): Promise<void> =>
    (flushed ??= ctx.fsync ? Promise.all([efs.fsyncPath(files.owner), efs.fsyncPath(path.dirname(files.owner))]).then(() => undefined) : Promise.resolve())
  /** Once `pending`'s state dir is recovered, outDir holds its commit if its manifest is that commit's. */
  const settledOwner = async (pending: PendingRef, owner: CommitRef | null): Promise<CommitRef | null> => {
    if (pending.txId === undefined) return owner
    const manifest = await readManifest(efs, statePaths(pending.stateDir).manifest).catch(() => undefined)
    return manifest?.txId === pending.txId ? { stateDir: pending.stateDir, txId: pending.txId } : owner
  }
  try {
    await sweepMarkerLitter(efs, files.owner)
    const found = await readMarker(efs, files.owner)
    marker = found
    legacy = found === undefined
    let owner = found?.owner ?? null
    if (found?.pending && found.pending.stateDir !== stateDir) {
      await recoverOtherStateDir(ctx, files, found.pending.stateDir, timeoutMs, recover)
      owner = await settledOwner(found.pending, owner)
    } else if (found?.pending) ours = found.pending
    await efs.mkdir(stateDir, { recursive: true })
    stateLock = await acquireLock(ctx.paths.lock, { timeoutMs, fs: efs, outDir: ctx.outDir })
    // A mark of ours left by a killed writer stays until `recovered` has settled it: its txId tells whether that commit is outDir's.
    if (ours === undefined) {
      await write({ format: OWNER_FORMAT, owner, pending: mine })
      // A commit flushes it only before its first change (`changing`): one that changes nothing flushes nothing.
      if (txId === undefined) await flush()
    }
  } catch (error) {
    await stateLock?.release()
    await outLock.release()
    throw error
  }
  const current = (): CommitRef | null => marker?.owner ?? null
  const initial = current()
  return {
    files,
    ownerStateDir: initial && initial.stateDir !== stateDir ? initial.stateDir : undefined,
    async recovered() {
      if (ours === undefined) return
      const owner = await settledOwner(ours, current())
      ours = undefined
      await write({ format: OWNER_FORMAT, owner, pending: mine })
      await flush()
    },
    trusts(manifest) {
      if (legacy) return true
      const owner = current()
      return owner?.stateDir === stateDir && owner.txId === manifest?.txId
    },
    changing: flush,
    committed: (committedTxId) => write({ format: OWNER_FORMAT, owner: { stateDir, txId: committedTxId } }),
    async release() {
      try {
        const keep = await Promise.all([ctx.paths.journal, runSessionPath(stateDir)].map((file) => lstatOrUndefined(efs, file)))
        if (marker?.pending?.stateDir === stateDir && keep.every((stats) => stats === undefined)) await write({ format: OWNER_FORMAT, owner: current() })
      } finally {
        try {
          await stateLock?.release()
        } finally {
          await outLock.release()
        }
      }
    },
  }
}

/**
 * Rolls back or completes what a killed writer left in `dir` (another root's state dir), under
 * its lock. The marker can be written by anyone who can write outDir's parent, so `dir` must be a
 * real directory in use as a state dir (its writer was killed holding its lock, or left a journal
 * or a run session); anything else is left alone.
 */
async function recoverOtherStateDir(ctx: EngineContext, files: OutDirFiles, dir: string, timeoutMs: number, recover: RecoverStateDir): Promise<void> {
  const paths = statePaths(dir)
  if (!path.isAbsolute(dir) || !(await lstatOrUndefined(ctx.fs, dir))?.isDirectory()) return
  const inUse = await Promise.all([paths.lock, paths.journal, runSessionPath(dir)].map((file) => lstatOrUndefined(ctx.fs, file)))
  if (inUse.every((stats) => stats === undefined)) return
  // Its writer may have spelled outDir otherwise (through a symlinked parent): recovery follows the journal's spelling of this directory.
  const journal = await readJournal(ctx.fs, paths.journal).catch(() => undefined)
  const sameDir = journal !== undefined && journal.outDir !== ctx.outDir && (await outDirFiles(ctx.fs, journal.outDir)).lock === files.lock
  const other: EngineContext = { ...ctx, outDir: sameDir ? journal.outDir : ctx.outDir, paths }
  const lock = await acquireLock(paths.lock, { timeoutMs, fs: ctx.fs, outDir: ctx.outDir })
  try {
    const { action, txId } = await recover(other)
    if (action !== 'none') ctx.logger.warn(`[emit-optimizer] ${ctx.outDir}: commit ${txId} of ${dir} was interrupted and is ${action} now.`)
  } finally {
    await lock.release()
  }
}

/** Temp files of a marker write killed before its rename (`<name>.<digits>`, see state-file.ts). */
async function sweepMarkerLitter(efs: EngineFs, owner: string): Promise<void> {
  const base = path.basename(owner)
  let names: string[]
  try {
    names = (await efs.readdir(path.dirname(owner), { withFileTypes: true })).map((entry) => entry.name)
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return
    throw error
  }
  for (const name of names)
    if (name.startsWith(`${base}.`) && /^\d+$/.test(name.slice(base.length + 1))) await ignoring(efs.unlink(path.join(path.dirname(owner), name)))
}
