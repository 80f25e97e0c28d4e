import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { errnoCode } from '../errors.js'
import type { Durability, Logger } from '../core/options.js'

/**
 * Temp files are `.<name>.<random>.eo-tmp` next to their target: the same directory keeps the
 * rename on one filesystem, the leading dot and the fixed suffix let watchers and globs skip them.
 */
export const TEMP_SUFFIX = '.eo-tmp'

/** Bytes of the target's name kept in the temp name, so it stays under NAME_MAX (255). */
const NAME_BYTES = 64

export function tempPathFor(abs: string): string {
  let name = path.basename(abs)
  while (Buffer.byteLength(name) > NAME_BYTES) name = name.slice(0, -1)
  return path.join(path.dirname(abs), `.${name}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`)
}

export function isTempFile(file: string): boolean {
  return file.endsWith(TEMP_SUFFIX) && path.basename(file).startsWith('.')
}

/**
 * Errors of an atomic replace that an in-place write can get around: a bind-mounted file
 * (EXDEV, EBUSY), a directory we may not create files in or an owner we cannot keep (EPERM,
 * EACCES), a file another program holds open on Windows (EPERM, EBUSY).
 */
const FALLBACK_CODES = new Set(['EXDEV', 'EBUSY', 'EPERM', 'EACCES'])

export interface AtomicWriteOptions {
  /** lstat of the target, if it exists; a regular file keeps its mode and owner. */
  existing: fs.Stats | undefined
  /** Permission bits to set; default: the existing file's, else 0o666 & ~umask. */
  mode: number | undefined
  durability: Durability
  /** Write in place (not atomic) when the replace is impossible; see WriterOptions.atomicFallback. */
  fallback: boolean
  logger: Logger
  /** The path as the user named it, for messages. */
  display: string
}

export interface Published {
  /** lstat of the target after the write. */
  stats: fs.Stats
  /**
   * The target is the file this call wrote (its inode). False when another process replaced
   * it between our rename and our stat: the caller must not record these stats as ours.
   */
  ours: boolean
  /** The write went in place after an atomic replace failed. */
  inPlace: boolean
}

function writeAll(fd: number, data: Uint8Array): void {
  for (let offset = 0; offset < data.byteLength; ) offset += fs.writeSync(fd, data, offset, data.byteLength - offset)
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Replaces `abs` with `data` atomically: a temp file in the same directory, written, given the
 * old file's mode and owner, then renamed over the target, so a reader sees the old or the new
 * bytes, never a mix. Missing parent directories are created.
 *
 * Synchronous on purpose: a small write is a few microseconds of syscalls, and a thread-pool
 * round trip per call costs more than that (measured: 500 files, temp + rename ≈ 85 ms sync,
 * write-file-atomic with fsync off ≈ 200–400 ms).
 */
export function writeAtomicSync(abs: string, data: Uint8Array, options: AtomicWriteOptions): Published {
  const { existing } = options
  const replacing = existing?.isFile() === true
  const mode = options.mode ?? (replacing ? existing.mode & 0o7777 : 0o666)
  const tmp = tempPathFor(abs)
  let fd: number
  try {
    fd = openTemp(tmp, mode)
  } catch (error) {
    if (replacing && canFallBack(error, options)) return writeInPlace(abs, data, options, errnoCode(error)!, 'no temp file can be created next to it')
    throw error
  }
  let renamed = false
  try {
    writeAll(fd, data)
    const created = fs.fstatSync(fd)
    // The umask may have stripped bits of a mode we must keep or were asked for.
    if ((created.mode & 0o7777) !== mode && (replacing || options.mode !== undefined)) fs.fchmodSync(fd, mode)
    if (replacing && (created.uid !== existing.uid || created.gid !== existing.gid)) {
      try {
        fs.fchownSync(fd, existing.uid, existing.gid)
      } catch (error) {
        if (!canFallBack(error, options)) throw error
        fs.closeSync(fd)
        fd = -1
        return writeInPlace(abs, data, options, errnoCode(error)!, `its owner (uid ${existing.uid}, gid ${existing.gid}) cannot be given to a new file`)
      }
    }
    if (options.durability === 'full') fs.fsyncSync(fd)
    fs.closeSync(fd)
    fd = -1
    try {
      fs.renameSync(tmp, abs)
    } catch (error) {
      if (replacing && canFallBack(error, options)) return writeInPlace(abs, data, options, errnoCode(error)!, 'it cannot be replaced by a rename')
      throw error
    }
    renamed = true
    if (options.durability !== 'none') fsyncDir(path.dirname(abs))
    const stats = fs.lstatSync(abs)
    return { stats, ours: stats.ino === created.ino, inPlace: false }
  } finally {
    if (fd !== -1) fs.closeSync(fd)
    if (!renamed) fs.rmSync(tmp, { force: true })
  }
}

function openTemp(tmp: string, mode: number): number {
  try {
    return fs.openSync(tmp, 'wx', mode)
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error
    fs.mkdirSync(path.dirname(tmp), { recursive: true })
    return fs.openSync(tmp, 'wx', mode)
  }
}

function canFallBack(error: unknown, options: AtomicWriteOptions): boolean {
  return options.fallback && FALLBACK_CODES.has(errnoCode(error) ?? '')
}

/** The documented fallback: rewrite the existing file through its own inode (mode, owner and links stay). */
function writeInPlace(abs: string, data: Uint8Array, options: AtomicWriteOptions, code: string, why: string): Published {
  options.logger.warn(
    `[emit-optimizer] cannot replace "${options.display}" atomically (${code}: ${why}); wrote it in place instead, so a reader may briefly see partial content. ` +
      'Make its directory writable by this user, or pass atomicFallback: false to fail instead.',
  )
  const fd = fs.openSync(abs, 'r+')
  try {
    writeAll(fd, data)
    fs.ftruncateSync(fd, data.byteLength)
    if (options.mode !== undefined) fs.fchmodSync(fd, options.mode)
    if (options.durability === 'full') fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  const stats = fs.lstatSync(abs)
  return { stats, ours: stats.ino === options.existing?.ino, inPlace: true }
}
