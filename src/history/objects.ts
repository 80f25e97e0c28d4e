import { constants } from 'node:fs'
import path from 'node:path'
import { EmitOptimizerError, errnoCode } from '../errors.js'
import { ignoring, lstatOrUndefined, readdirNames, type EngineFs } from '../core/fs.js'
import { hashContents } from '../core/hash.js'
import type { HistoryPaths } from './paths.js'

/** How an object shares the output file's bytes. */
export type PlaceMethod = 'reflink' | 'link' | 'copy'

/** Errors meaning "this filesystem cannot do that here", after which the next method is tried. */
const UNSUPPORTED = new Set(['ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EINVAL', 'EXDEV', 'ENOTTY', 'EMLINK'])

/**
 * Content-addressed file store. An object is placed by reflink (copy-on-write: btrfs, XFS, APFS),
 * else by hard link to the file just staged (no bytes copied: ext4), else by copy. A hard-linked
 * object shares its inode with the published file (and so its mode and mtime); the engine only ever replaces output files by
 * rename, so the object keeps its bytes, and every read is verified against the name (sha256) in
 * case something else edited the file in place.
 */
export class ObjectStore {
  private method: PlaceMethod = 'reflink'
  private dirReady = false

  constructor(
    private readonly efs: EngineFs,
    private readonly paths: HistoryPaths,
  ) {}

  /** Stores `source`'s bytes as object `sha256` unless it is already there. Returns whether it was added. */
  async put(sha256: string, source: string): Promise<boolean> {
    const target = this.paths.object(sha256)
    if (!this.dirReady) {
      await this.efs.mkdir(this.paths.objects, { recursive: true })
      this.dirReady = true
    }
    for (;;) {
      // Puts run concurrently: only the first failure of a method moves all of them to the next.
      const method = this.method
      try {
        if (method === 'link') {
          await this.efs.link(source, target)
          return true
        }
        // A copy is not atomic: it goes to a temp name first, so a crash never leaves a
        // partial object under a valid name.
        if ((await lstatOrUndefined(this.efs, target)) !== undefined) return false
        const temp = `${target}.${process.pid}.tmp`
        await this.efs.copyFile(source, temp, method === 'reflink' ? constants.COPYFILE_FICLONE_FORCE : 0)
        await this.efs.rename(temp, target)
        return true
      } catch (error) {
        const code = errnoCode(error)
        if (code === 'EEXIST') return false
        if (method === 'copy' || !UNSUPPORTED.has(code ?? '')) throw error
        if (this.method === method) this.method = method === 'reflink' ? 'link' : 'copy'
      }
    }
  }

  /** The bytes of object `sha256`, verified; `EO_HISTORY_CORRUPT` when missing or altered. */
  async read(sha256: string, forPath: string, versionId: string): Promise<Buffer> {
    const file = this.paths.object(sha256)
    let bytes: Buffer
    try {
      bytes = await this.efs.readFile(file)
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error
      throw new EmitOptimizerError(
        'EO_HISTORY_CORRUPT',
        `the stored content of "${forPath}" in version ${versionId} is missing: "${file}". ` +
          `Restore another version ("emit-optimizer history list"); outDir was not changed.`,
        { path: file },
      )
    }
    if (hashContents(bytes) !== sha256) {
      throw new EmitOptimizerError(
        'EO_HISTORY_CORRUPT',
        `the stored content of "${forPath}" in version ${versionId} was altered: "${file}" no longer hashes to ` +
          `its name (was the published file edited in place?). Restore another version; outDir was not changed.`,
        { path: file },
      )
    }
    return bytes
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
