import { EmitOptimizerError } from '../errors.js'
import { lstatOrUndefined, readTextOrUndefined, type EngineFs } from './fs.js'
import type { Strategy } from './transaction-options.js'

export const MANIFEST_FORMAT = 'emit-optimizer/manifest@1'

/** What the last commit left at one path. `mtimeMs` and `ino` let a `stat` prove the file is untouched. */
export interface ManifestEntry {
  size: number
  /** sha256, hex */
  hash: string
  /** permission bits */
  mode: number
  mtimeMs: number
  ino: number
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT
  txId: string
  outDir: string
  strategy: Strategy
  committedAt: string
  /** Symlink strategy: the build directory outDir points to, and the one before it (kept for instant rollback). */
  buildDir?: string
  previousBuildDir?: string
  /** The build-history version outDir holds (this commit's id, or the one a rollback restored). */
  version?: string
  files: Record<string, ManifestEntry>
}

/**
 * The manifest last read or written by this process, per path, with the identity of the file
 * it came from: a watch-mode rebuild re-reads its own commit's manifest with one `lstat`
 * instead of reading and parsing it (every write replaces the file, so a new inode or mtime
 * means another process, or a person, changed it). Callers never modify a manifest object.
 */
const known = new Map<string, { ino: number; mtimeMs: number; size: number; manifest: Manifest }>()

export async function readManifest(efs: EngineFs, file: string): Promise<Manifest | undefined> {
  const stats = await lstatOrUndefined(efs, file)
  if (stats === undefined) {
    known.delete(file)
    return undefined
  }
  const cached = known.get(file)
  if (cached && cached.ino === stats.ino && cached.mtimeMs === stats.mtimeMs && cached.size === stats.size) return cached.manifest
  const text = await readTextOrUndefined(efs, file)
  if (text === undefined) return undefined
  try {
    const manifest = JSON.parse(text) as Manifest
    if (manifest?.format !== MANIFEST_FORMAT || typeof manifest.files !== 'object' || manifest.files === null)
      throw new Error(`unknown format ${JSON.stringify(manifest?.format)}`)
    known.set(file, { ino: stats.ino, mtimeMs: stats.mtimeMs, size: stats.size, manifest })
    return manifest
  } catch (error) {
    known.delete(file)
    throw new EmitOptimizerError(
      'EO_MANIFEST_CORRUPT',
      `the manifest of the last commit cannot be read: "${file}" (${(error as Error).message}). ` +
        `Delete it: the next commit then compares every file by content and rewrites only what differs; outDir is left as it is.`,
      { path: file, cause: error },
    )
  }
}

export async function writeManifest(efs: EngineFs, file: string, manifest: Manifest, fsync: boolean): Promise<void> {
  known.delete(file)
  await efs.writeFileAtomic(file, JSON.stringify(manifest), { fsync, mode: 0o600 })
  const stats = await lstatOrUndefined(efs, file)
  if (stats?.isFile()) known.set(file, { ino: stats.ino, mtimeMs: stats.mtimeMs, size: stats.size, manifest })
}
