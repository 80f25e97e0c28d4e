import { nodeCrypto } from './node-crypto.js'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { EmitOptimizerError, errnoCode, toEmitOptimizerError } from '../errors.js'
import { ignoring, lstatOrUndefined, nodeFs, type EngineFs } from './fs.js'

export interface LockInfo {
  pid: number
  host: string
  /** ISO time the lock was taken. */
  startedAt: string
  /** Linux: field 22 of /proc/<pid>/stat (start time in clock ticks) of the holder, to detect pid reuse. */
  procStart?: string
  /** Random; tells our lock file apart from one someone else created at the same path. */
  token: string
}

export interface LockHandle {
  readonly path: string
  readonly info: LockInfo
  /** Removes the lock file if it still holds our token. Idempotent. */
  release(): Promise<void>
}

export interface AcquireLockOptions {
  /** How long to wait for a live holder before failing with EO_LOCKED. */
  timeoutMs: number
  fs?: EngineFs
  /** Only used in messages. */
  outDir: string
}

export interface LockStatus extends LockInfo {
  /** False when the holder is known to be gone; a holder on another host is always reported alive. */
  alive: boolean
}

/** An empty or unparseable lock file, or a takeover claim, this old was left by a process killed mid-step. */
const GRACE_MS = 2_000
const FIRST_DELAY_MS = 10
const MAX_DELAY_MS = 250

/**
 * The start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), or
 * `undefined` off Linux or when the process does not exist. Together with the pid it identifies
 * a process even after the pid is reused.
 */
export function processStartTicks(pid: number): string | undefined {
  if (process.platform !== 'linux' || !Number.isInteger(pid) || pid <= 0) return undefined
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // Field 2 (comm) is in parentheses and may itself contain spaces and ')': parse after the
  // last ')'. What follows starts with field 3, so field 22 is at index 19.
  const end = stat.lastIndexOf(')')
  if (end < 0) return undefined
  return stat.slice(end + 1).trim().split(/\s+/)[19]
}

/** Reads the lock file; `undefined` when there is none or it cannot be parsed. */
export async function readLock(lockPath: string, efs: EngineFs = nodeFs): Promise<LockStatus | undefined> {
  let raw: Buffer
  try {
    raw = await efs.readFile(lockPath)
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined
    throw error
  }
  const info = parseLockInfo(raw)
  return info && { ...info, alive: holderAlive(info) }
}

/** Ours never changes: read once per process, not for each of a commit's two locks. */
let ownStart: { ticks: string | undefined } | undefined

export async function acquireLock(lockPath: string, options: AcquireLockOptions): Promise<LockHandle> {
  const efs = options.fs ?? nodeFs
  const procStart = (ownStart ??= { ticks: processStartTicks(process.pid) }).ticks
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    ...(procStart === undefined ? {} : { procStart }),
    token: nodeCrypto().randomBytes(16).toString('hex'),
  }
  const data = Buffer.from(JSON.stringify(info))
  // performance.now() is monotonic, so clock changes cannot shorten or stretch the wait.
  const deadline = performance.now() + options.timeoutMs
  let delay = FIRST_DELAY_MS
  let madeDir = false
  try {
    for (;;) {
      try {
        await efs.writeFile(lockPath, data, { flag: 'wx', mode: 0o600 })
        await sweepTakeoverLeftovers(efs, lockPath)
        return createHandle(efs, lockPath, info)
      } catch (error) {
        const code = errnoCode(error)
        if (code === 'ENOENT' && !madeDir) {
          madeDir = true
          await efs.mkdir(dirname(lockPath), { recursive: true })
          continue
        }
        if (code !== 'EEXIST') throw error
      }
      const holder = await inspect(efs, lockPath)
      // Gone since our create failed: try again at once.
      if (holder === undefined) continue
      if (holder.stale && (await takeOver(efs, lockPath, holder))) continue
      const remaining = deadline - performance.now()
      if (remaining <= 0) throw lockedError(lockPath, options, holder)
      await sleep(Math.min(delay, remaining))
      delay = Math.min(delay * 1.5, MAX_DELAY_MS)
    }
  } catch (error) {
    throw toEmitOptimizerError(error, lockPath, options.outDir)
  }
}

interface Holder {
  /** `undefined` when the file is empty or unparseable. */
  info: LockInfo | undefined
  ino: number
  mtimeMs: number
  stale: boolean
}

async function inspect(efs: EngineFs, lockPath: string): Promise<Holder | undefined> {
  try {
    const { ino, mtimeMs } = await efs.lstat(lockPath)
    const info = parseLockInfo(await readLockFile(efs, lockPath))
    const stale = info ? !holderAlive(info) : Date.now() - mtimeMs > GRACE_MS
    return { info, ino, mtimeMs, stale }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Removes a stale lock so that several processes taking it over at once cannot delete each
 * other's fresh lock. Resolves true when the caller should retry the create at once, false when
 * it should wait.
 *
 * Renaming the stale file aside and putting it back when it turns out to be a live lock (see
 * moveAside) alone is not enough: a taker whose information is outdated moves the new live lock
 * away, and while it is away anyone can create the lock path; with a few racing takers this
 * happens within milliseconds. So a taker first claims this particular stale file by hard-linking
 * it to a name derived from its identity: link() is exclusive, so one taker wins, and it checks
 * that the linked file still is the stale one. A taker with outdated information links the new
 * live lock instead, sees that and backs off without disturbing the lock path. The claim is
 * removed only after the stale lock, so nobody can claim the same stale file twice.
 */
async function takeOver(efs: EngineFs, lockPath: string, holder: Holder): Promise<boolean> {
  const identity = holder.info ? holder.info.token : `${holder.ino}:${holder.mtimeMs}`
  // Hashed: the token comes from a file anyone could have written.
  const claim = `${lockPath}.takeover-${nodeCrypto().createHash('sha256').update(identity).digest('hex').slice(0, 16)}`
  try {
    await efs.link(lockPath, claim)
  } catch (error) {
    const code = errnoCode(error)
    // The lock is gone: retry the create.
    if (code === 'ENOENT') return true
    if (code !== 'EEXIST') throw error
    return breakAbandonedClaim(efs, claim)
  }
  try {
    return (await isHolder(efs, claim, holder)) && (await moveAside(efs, lockPath, holder))
  } finally {
    await ignoring(efs.unlink(claim))
  }
}

/**
 * A claim lives for a few fs calls; one older than the grace period belongs to a taker that was
 * killed mid-takeover. link() and rename() update the ctime, which thus dates the claim.
 */
async function breakAbandonedClaim(efs: EngineFs, claim: string): Promise<boolean> {
  const stats = await lstatOrUndefined(efs, claim)
  if (stats !== undefined && Date.now() - stats.ctimeMs <= GRACE_MS) return false
  await ignoring(efs.unlink(claim))
  return true
}

/**
 * Removes the stale lock: rename it to a name only we know, and delete it only if the file we
 * moved is still the stale one; otherwise we moved a live lock someone created in the meantime
 * and put it back. Under a claim that cannot happen, but a taker stalled past the claim's grace
 * period can lose its claim to a second taker.
 *
 * Remaining window: while a live lock is moved aside (between our rename and the link back),
 * the lock path is free, and a process creating it then also believes it holds the lock; the
 * original holder's release leaves that one's file alone (token check). It needs a taker stalled
 * for seconds between two fs calls plus two more racing processes.
 */
async function moveAside(efs: EngineFs, lockPath: string, holder: Holder): Promise<boolean> {
  const aside = `${lockPath}.stale-${nodeCrypto().randomBytes(8).toString('hex')}`
  try {
    await efs.rename(lockPath, aside)
  } catch (error) {
    // Someone else removed it first.
    if (errnoCode(error) === 'ENOENT') return true
    throw error
  }
  const same = await isHolder(efs, aside, holder)
  if (!same) await ignoring(efs.link(aside, lockPath), ['EEXIST'])
  await efs.unlink(aside)
  return same
}

/** Whether `file` is the stale lock we inspected: same token, or for a corrupt one the same unchanged inode. */
async function isHolder(efs: EngineFs, file: string, holder: Holder): Promise<boolean> {
  const info = parseLockInfo(await readLockFile(efs, file))
  if (holder.info) return info?.token === holder.info.token
  const { ino, mtimeMs } = await efs.lstat(file)
  return info === undefined && ino === holder.ino && mtimeMs === holder.mtimeMs
}

/**
 * Removes what takers killed mid-takeover left behind, once we hold the lock: claims on a file
 * that is no longer the lock (a claim on our own file belongs to a live taker, which removes it)
 * and moved-aside files past the grace period (a younger one may still be read by its taker).
 */
async function sweepTakeoverLeftovers(efs: EngineFs, lockPath: string): Promise<void> {
  const dir = dirname(lockPath)
  const base = basename(lockPath)
  const names = (await efs.readdir(dir, { withFileTypes: true }))
    .map((entry) => entry.name)
    .filter((name) => name.startsWith(`${base}.takeover-`) || name.startsWith(`${base}.stale-`))
  if (names.length === 0) return
  const ours = (await efs.lstat(lockPath)).ino
  for (const name of names) {
    const stats = await lstatOrUndefined(efs, join(dir, name))
    if (!stats) continue
    const abandoned = name.startsWith(`${base}.takeover-`) ? stats.ino !== ours : Date.now() - stats.ctimeMs > GRACE_MS
    if (abandoned) await ignoring(efs.unlink(join(dir, name)))
  }
}

/**
 * The bytes of a lock file. A symlink is never a lock (ours are created with O_EXCL, which
 * refuses one): it reads as empty, i.e. as a corrupt lock taken over after the grace period,
 * without opening its target. Following it would read a file outside the state dir and, for a
 * dangling one, fail with ENOENT although lstat found the lock, so `acquireLock` retried the
 * create without ever waiting: a busy loop.
 */
async function readLockFile(efs: EngineFs, file: string): Promise<Buffer> {
  return (await efs.lstat(file)).isSymbolicLink() ? Buffer.alloc(0) : efs.readFile(file)
}

function createHandle(efs: EngineFs, lockPath: string, info: LockInfo): LockHandle {
  let released: Promise<void> | undefined
  const unlinkIfOurs = async (): Promise<void> => {
    // Read, compare, unlink: a file with another token is no longer ours to remove. Nobody
    // replaces a live holder's file except in the window documented at moveAside().
    let current: LockInfo | undefined
    try {
      current = parseLockInfo(await efs.readFile(lockPath))
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return
      throw error
    }
    if (current?.token === info.token) await ignoring(efs.unlink(lockPath))
  }
  return {
    path: lockPath,
    info,
    release: () => (released ??= unlinkIfOurs()),
  }
}

/** Alive unless known dead: a holder on another host cannot be checked and counts as alive. */
function holderAlive(info: LockInfo): boolean {
  if (info.host !== hostname()) return true
  try {
    process.kill(info.pid, 0)
  } catch (error) {
    // EPERM means the process exists but belongs to another user.
    if (errnoCode(error) === 'ESRCH') return false
  }
  if (info.procStart === undefined) return true
  const current = processStartTicks(info.pid)
  // Unreadable /proc (not Linux, hidepid) proves nothing; a different start time proves reuse.
  return current === undefined || current === info.procStart
}

function parseLockInfo(raw: Buffer): LockInfo | undefined {
  let value: unknown
  try {
    value = JSON.parse(raw.toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { pid, host, startedAt, procStart, token } = value as Record<string, unknown>
  // pid <= 0 would make process.kill() signal a process group.
  if (!Number.isInteger(pid) || (pid as number) <= 0) return undefined
  if (typeof host !== 'string' || typeof startedAt !== 'string' || typeof token !== 'string') return undefined
  if (procStart !== undefined && typeof procStart !== 'string') return undefined
  return { pid: pid as number, host, startedAt, ...(procStart === undefined ? {} : { procStart }), token }
}

function lockedError(lockPath: string, options: AcquireLockOptions, holder: Holder): EmitOptimizerError {
  const waited = `waited ${options.timeoutMs} ms`
  const { info } = holder
  const message = info
    ? `outDir is locked by another build: "${lockPath}" (outDir: ${options.outDir}; ` +
      `held by pid ${info.pid} on ${info.host} since ${info.startedAt}; ${waited}). ` +
      `Wait for that build to finish, or if pid ${info.pid} is not a build of this project, stop it; a lock of a dead process is taken over automatically.`
    : `outDir is locked by a build that is still writing its lock file: ` +
      `"${lockPath}" (outDir: ${options.outDir}; the file is empty or unparseable; ${waited}). ` +
      `Wait for that build to finish; a lock file left empty by a killed build is taken over automatically after ${GRACE_MS / 1000} s.`
  return new EmitOptimizerError('EO_LOCKED', message, { path: lockPath })
}
