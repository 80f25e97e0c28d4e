import { nodeCrypto } from './node-crypto.js'
import path from 'node:path'
import { EmitOptimizerError } from '../errors.js'
import type { EngineFs } from './fs.js'
import type { ResolvedTransactionOptions } from './transaction-options.js'
import { projectDirOf } from './project-dir.js'

/** Every file the engine keeps for one outDir, by name. */
export interface StatePaths {
  dir: string
  lock: string
  journal: string
  manifest: string
  /** Staging and backups of one transaction (incremental strategy). */
  txDir(txId: string): string
  /** Full builds published through the symlink strategy. */
  builds: string
}

export function statePaths(dir: string): StatePaths {
  return {
    dir,
    lock: path.join(dir, 'lock'),
    journal: path.join(dir, 'journal.json'),
    manifest: path.join(dir, 'manifest.json'),
    txDir: (txId) => path.join(dir, `tx-${txId}`),
    builds: path.join(dir, 'builds'),
  }
}

/** The default state dir of `outDir` under the project dir `root`. */
export function defaultStateDir(root: string, outDir: string): string {
  const hash = nodeCrypto().createHash('sha256').update(outDir).digest('hex').slice(0, 12)
  return path.join(root, 'node_modules', '.cache', 'emit-optimizer', `${path.basename(outDir) || 'root'}-${hash}`)
}

/**
 * The default state dir: under the project that owns the build (src/core/project-dir.ts), unless
 * one already exists under `root` itself, where versions before this rule kept it (its manifest
 * and any pending journal stay in use; delete it to move the state).
 */
async function projectStateDir(efs: EngineFs, root: string, outDir: string): Promise<string> {
  const legacy = defaultStateDir(root, outDir)
  const project = await projectDirOf(efs, root)
  if (project === path.resolve(root)) return legacy
  const kept = await efs.stat(legacy).then(
    (stats) => stats.isDirectory(),
    () => false,
  )
  return kept ? legacy : defaultStateDir(project, outDir)
}

/** The state dir used when the default one is on another filesystem than outDir. */
export function siblingStateDir(outDir: string): string {
  return path.join(path.dirname(outDir), `.${path.basename(outDir)}.emit-optimizer`)
}

async function deviceOf(efs: EngineFs, target: string): Promise<number> {
  // The nearest existing ancestor tells the filesystem a not-yet-created directory will be on.
  for (let dir = target; ; dir = path.dirname(dir)) {
    try {
      return (await efs.stat(dir)).dev
    } catch (error) {
      if (dir === path.dirname(dir)) throw error
    }
  }
}

/**
 * Picks the state dir: renames between it and outDir must not cross filesystems, so a default
 * on another filesystem falls back to a hidden sibling of outDir; an explicit one is an error.
 */
export async function resolveStateDir(options: Pick<ResolvedTransactionOptions, 'root' | 'outDir' | 'stateDir' | 'fs' | 'logger'>): Promise<string> {
  const candidate = options.stateDir ?? (await projectStateDir(options.fs, options.root, options.outDir))
  const [outDev, stateDev] = await Promise.all([deviceOf(options.fs, options.outDir), deviceOf(options.fs, candidate)])
  if (outDev === stateDev) return candidate
  if (options.stateDir !== undefined) {
    throw new EmitOptimizerError(
      'EO_CROSS_DEVICE',
      `stateDir is on another filesystem than outDir: "${candidate}" (outDir: ${options.outDir}). Choose a stateDir on the same filesystem, or leave it unset.`,
      { path: candidate },
    )
  }
  const fallback = siblingStateDir(options.outDir)
  options.logger.warn(`[emit-optimizer] ${candidate} is on another filesystem than ${options.outDir}; keeping state in ${fallback} instead.`)
  return fallback
}
