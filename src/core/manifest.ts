import { EmitOptimizerError } from '../errors.js'
import { readTextOrUndefined, type EngineFs } from './fs.js'
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

export async function readManifest(efs: EngineFs, file: string): Promise<Manifest | undefined> {
  const text = await readTextOrUndefined(efs, file)
  if (text === undefined) return undefined
  try {
    const manifest = JSON.parse(text) as Manifest
    if (manifest?.format !== MANIFEST_FORMAT || typeof manifest.files !== 'object' || manifest.files === null)
      throw new Error(`unknown format ${JSON.stringify(manifest?.format)}`)
    return manifest
  } catch (error) {
    throw new EmitOptimizerError(
      'EO_MANIFEST_CORRUPT',
      `the manifest of the last commit cannot be read: "${file}" (${(error as Error).message}). ` +
        `Delete it: the next commit then compares every file by content and rewrites only what differs; outDir is left as it is.`,
      { path: file, cause: error },
    )
  }
}

export async function writeManifest(efs: EngineFs, file: string, manifest: Manifest, fsync: boolean): Promise<void> {
  await efs.writeFileAtomic(file, JSON.stringify(manifest), { fsync, mode: 0o600 })
}
