import { constants, type Stats } from 'node:fs'
import path from 'node:path'
import { EmitOptimizerError, errnoCode } from '../errors.js'
import { ignoring, lstatOrUndefined, readdirNames, type EngineFs } from '../core/fs.js'
import { hashContents } from '../core/hash.js'
import type { HistoryPaths } from './paths.js'

/** How an object gets its bytes: a copy-on-write clone of the staged file, or a write of the bytes in memory. */
export type PlaceMethod = 'reflink' | 'write'

/** Errors meaning "this filesystem cannot clone here", after which the store writes instead. */
const NO_REFLINK = new Set(['ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EINVAL', 'EXDEV', 'ENOTTY'])

/** Stored objects are not for editing: read-only, and never a link to another file. */
const OBJECT_MODE = 0o444

/**
 * Per objects directory, whether reflinks work there: probed by the first object a process
 * stores, then kept (watch mode commits many times; a failed clone costs a syscall and a temp file).
 */
const methods = new Map<string, PlaceMethod>()

/** What is wrong with a stored object, as `history list`, `verify --deep` and `history repair` name it. */
export type ObjectProblem =
  /** Not in the store. */
  | 'missing'
  /** Its size or (deep check) its sha256 differs from its name: the bytes were changed. */
  | 'altered'
  /**
   * A hard link shared with another file (stores written before objects were copies): intact
   * now, but an in-place edit of that file would alter it. `history repair` copies it.
   */
  | 'shared'

/**
 * Content-addressed file store. An object is an independent copy of the content, so nothing
 * done to outDir (in-place writes, truncation, chmod, touch) reaches a stored version: a reflink
 * of the staged file where the filesystem clones (btrfs, XFS, APFS: no bytes copied), else the
 * bytes the commit holds in memory written once (ext4: no read back). Only content no version
 * stored yet is written, so a commit pays for what it changed.
 *
 * An object is created under its final name, exclusively: a crash mid-write leaves it short,
 * which the size check of the next `put` (and the sha256 check of every read) catches; recovery
 * removes the objects of a rolled-back commit anyway.
 */
export class ObjectStore {
  private dirReady = false

  constructor(
    private readonly efs: EngineFs,
    private readonly paths: HistoryPaths,
  ) {}

  /**
   * Stores `contents` (whose bytes are also in the file `source`) as object `sha256` unless an
   * intact one is there. `fsync`: flush it (durability `full`).
   */
  async put(sha256: string, contents: Uint8Array, source: string, fsync: boolean): Promise<void> {
    const target = this.paths.object(sha256)
    if (!this.dirReady) {
      await this.efs.mkdir(this.paths.objects, { recursive: true })
      this.dirReady = true
    }
    // Puts run concurrently: the first to probe decides for all of them.
    if ((methods.get(this.paths.objects) ?? 'reflink') === 'reflink' && (await this.clone(source, target))) {
      if (fsync) await this.efs.fsyncPath(target)
      return
    }
    try {
      await this.efs.writeFile(target, contents, { flag: 'wx', mode: OBJECT_MODE })
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error
      const stats = await this.efs.lstat(target)
      if (stats.size === contents.byteLength && stats.nlink === 1) return
      // Short (a crash mid-write) or shared with another file: replaced by a fresh copy.
      await this.replace(target, contents)
    }
    if (fsync) await this.efs.fsyncPath(target)
  }

  /**
   * Clones `source` as object `target` (temp name first: a failed clone leaves nothing; the
   * rename replaces a short or shared object). False when the filesystem cannot clone.
   */
  private async clone(source: string, target: string): Promise<boolean> {
    const temp = `${target}.${process.pid}.tmp`
    try {
      await this.efs.copyFile(source, temp, constants.COPYFILE_FICLONE_FORCE)
    } catch (error) {
      await ignoring(this.efs.unlink(temp))
      if (!NO_REFLINK.has(errnoCode(error) ?? '')) throw error
      methods.set(this.paths.objects, 'write')
      return false
    }
    methods.set(this.paths.objects, 'reflink')
    await this.efs.rename(temp, target)
    return true
  }

  /** Writes `contents` as object `target` over whatever is there, atomically. */
  async replace(target: string, contents: Uint8Array): Promise<void> {
    const temp = `${target}.${process.pid}.tmp`
    await ignoring(this.efs.unlink(temp))
    await this.efs.writeFile(temp, contents, { flag: 'wx', mode: OBJECT_MODE })
    await this.efs.rename(temp, target)
  }

  /** The bytes of object `sha256`, verified; `EO_HISTORY_CORRUPT` when missing or altered. */
  async read(sha256: string, forPath: string, versionId: string): Promise<Buffer> {
    const file = this.paths.object(sha256)
    const fix =
      'Run "emit-optimizer history repair --out <dir>" (it re-stores what outDir still holds and drops what cannot be restored), ' +
      'or restore another version; outDir was not changed.'
    let bytes: Buffer
    try {
      bytes = await this.efs.readFile(file)
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error
      throw new EmitOptimizerError('EO_HISTORY_CORRUPT', `the stored content of "${forPath}" in version ${versionId} is missing: "${file}". ${fix}`, {
        path: file,
      })
    }
    if (hashContents(bytes) !== sha256) {
      throw new EmitOptimizerError(
        'EO_HISTORY_CORRUPT',
        `the stored content of "${forPath}" in version ${versionId} was altered: "${file}" no longer hashes to its name. ${fix}`,
        { path: file },
      )
    }
    return bytes
  }

  /**
   * What is wrong with object `sha256` of `size` bytes, or undefined when it is intact: lstat
   * only, or with `deep` its bytes re-hashed too.
   */
  async check(sha256: string, size: number, deep: boolean): Promise<ObjectProblem | undefined> {
    const file = this.paths.object(sha256)
    const stats: Stats | undefined = await lstatOrUndefined(this.efs, file)
    if (stats === undefined || !stats.isFile()) return 'missing'
    if (stats.size !== size || (deep && hashContents(await this.efs.readFile(file)) !== sha256)) return 'altered'
    return stats.nlink > 1 ? 'shared' : undefined
  }

  /** Every object's sha256, and the names of temp files of copies a crash interrupted. */
  async list(): Promise<{ objects: string[]; temps: string[] }> {
    const found = { objects: [] as string[], temps: [] as string[] }
    for (const name of await readdirNames(this.efs, this.paths.objects)) (/^[0-9a-f]{64}$/.test(name) ? found.objects : found.temps).push(name)
    return found
  }

  /** Removes an object or a temp file, by its name in objects/. */
  remove(name: string): Promise<void> {
    return ignoring(this.efs.unlink(path.join(this.paths.objects, name)))
  }
}
