import path from 'node:path'
import { errnoCode } from '../errors.js'
import type { EngineContext } from './context.js'
import { ignoring, lstatOrUndefined, readTextOrUndefined, type EngineFs } from './fs.js'
import { acquireLock, type LockHandle } from './lock.js'
import { readManifest, type Manifest } from './manifest.js'
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

/**
 * Who committed into outDir last (`owner`), and a commit under way (`pending`) whose journal
 * lives in another state dir: a writer of any root recovers it before touching outDir.
 */
interface OwnerMarker {
  format: typeof OWNER_FORMAT
  owner: CommitRef | null
  pending?: CommitRef
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
  const text = await readTextOrUndefined(efs, file)
  if (text === undefined) return undefined
  const isRef = (ref: unknown): ref is CommitRef =>
    typeof ref === 'object' && ref !== null && typeof (ref as CommitRef).stateDir === 'string' && typeof (ref as CommitRef).txId === 'string'
  try {
    const value = JSON.parse(text) as OwnerMarker
    if (value?.format !== OWNER_FORMAT) throw new Error('unknown format')
    return { format: OWNER_FORMAT, owner: isRef(value.owner) ? value.owner : null, ...(isRef(value.pending) ? { pending: value.pending } : {}) }
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
  /** Call once our own state dir is recovered: settles a commit of ours the marker still calls pending. */
  recovered(): Promise<void>
  /** Whether `manifest` (ours, after `recovered`) describes outDir: its commit is the last one into outDir. */
  trusts(manifest: Manifest | undefined): boolean
  /** Before our journal is written: a crash from here on is recovered by the next writer of any root. */
  pending(txId: string): Promise<void>
  /** Our commit `txId` is what outDir holds (it may be an earlier one when nothing changed). */
  committed(txId: string): Promise<void>
  /** Our commit did not happen (rolled back): outDir holds what it held before. */
  abandoned(): Promise<void>
  release(): Promise<void>
}

/**
 * Takes outDir's lock, recovers a commit of another state dir that was interrupted, then takes
 * our state dir's lock. The caller recovers its own state dir before calling `trusts`; `recover`
 * is how (recover.ts's recoverPending with the caller's observers, passed in: it imports us).
 */
export async function claimOutDir(ctx: EngineContext, timeoutMs: number, recover: RecoverStateDir): Promise<OutDirClaim> {
  const efs = ctx.fs
  const files = await outDirFiles(efs, ctx.outDir)
  const stateDir = ctx.paths.dir
  const outLock = await acquireLock(files.lock, { timeoutMs, fs: efs, outDir: ctx.outDir })
  let stateLock: LockHandle | undefined
  let marker: OwnerMarker | undefined
  // Only a pending commit must be durable (a writer of another root recovers it after a power
  // loss); an owner lost with it is settled again from that pending commit.
  const write = async (next: OwnerMarker): Promise<void> => {
    const durable = ctx.fsync && next.pending !== undefined
    await efs.writeFileAtomic(files.owner, JSON.stringify(next), { fsync: durable, mode: 0o644 })
    if (durable) await efs.fsyncPath(path.dirname(files.owner))
    marker = next
  }
  /** A pending commit whose state dir is recovered: it is outDir's owner when its manifest is that commit's. */
  const settle = async (pending: CommitRef): Promise<void> => {
    const manifest = await readManifest(efs, statePaths(pending.stateDir).manifest).catch(() => undefined)
    await write({ format: OWNER_FORMAT, owner: manifest?.txId === pending.txId ? pending : (marker?.owner ?? null) })
  }
  try {
    await sweepMarkerLitter(efs, files.owner)
    marker = await readMarker(efs, files.owner)
    if (marker?.pending && marker.pending.stateDir !== stateDir) {
      await recoverOtherStateDir(ctx, marker.pending.stateDir, timeoutMs, recover)
      await settle(marker.pending)
    }
    await efs.mkdir(stateDir, { recursive: true })
    stateLock = await acquireLock(ctx.paths.lock, { timeoutMs, fs: efs, outDir: ctx.outDir })
  } catch (error) {
    await outLock.release()
    throw error
  }
  const owner = marker?.owner
  return {
    files,
    ownerStateDir: owner && owner.stateDir !== stateDir ? owner.stateDir : undefined,
    async recovered() {
      if (marker?.pending?.stateDir === stateDir) await settle(marker.pending)
    },
    trusts(manifest) {
      // No marker: outDir was last written by a version without one; the manifest is all we know.
      if (marker === undefined) return true
      return marker.owner?.stateDir === stateDir && marker.owner.txId === manifest?.txId
    },
    pending: (txId) => write({ format: OWNER_FORMAT, owner: marker?.owner ?? null, pending: { stateDir, txId } }),
    async committed(txId) {
      if (marker?.pending === undefined && marker?.owner?.stateDir === stateDir && marker.owner.txId === txId) return
      await write({ format: OWNER_FORMAT, owner: { stateDir, txId } })
    },
    async abandoned() {
      if (marker?.pending) await write({ format: OWNER_FORMAT, owner: marker.owner })
    },
    async release() {
      try {
        await stateLock?.release()
      } finally {
        await outLock.release()
      }
    },
  }
}

/** Rolls back or completes the interrupted commit whose journal is in `dir` (another root's state dir), under its lock. */
async function recoverOtherStateDir(ctx: EngineContext, dir: string, timeoutMs: number, recover: RecoverStateDir): Promise<void> {
  if ((await lstatOrUndefined(ctx.fs, dir)) === undefined) return
  const other: EngineContext = { ...ctx, paths: statePaths(dir) }
  const lock = await acquireLock(other.paths.lock, { timeoutMs, fs: ctx.fs, outDir: ctx.outDir })
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
  for (const name of names) if (name.startsWith(`${base}.`) && /^\d+$/.test(name.slice(base.length + 1))) await ignoring(efs.unlink(path.join(path.dirname(owner), name)))
}
