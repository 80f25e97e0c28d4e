import path from 'node:path'
import { EmitOptimizerError, errnoCode } from '../errors.js'
import { lstatOrUndefined, nodeFs, type EngineFs } from './fs.js'
import { loadHasher } from './hash.js'
import { readJournal } from './journal.js'
import { isRunning, readRunSession } from './run-session.js'
import { readLock, type LockStatus } from './lock.js'
import { readManifest } from './manifest.js'
import { outDirFiles } from './outdir-claim.js'
import { resolveTransactionOptions, type Strategy } from './transaction-options.js'
import { listTree } from './plan.js'
import { statProvesUnchanged } from './stat-proof.js'
import { IoQueue } from './queue.js'
import { resolveStateDir, statePaths } from './state-dir.js'

export interface InspectOptions {
  /** @default process.cwd() */
  root?: string
  /** @default the transaction's default state dir */
  stateDir?: string
  fs?: EngineFs
}

export interface VerifyOptions extends InspectOptions {
  /**
   * Re-hash every file. Without it a file whose stat proves it unchanged since the commit (size,
   * mode, mtime and inode match, ctime older than the manifest: stat-proof.ts) is trusted and only
   * the others are hashed.
   * @default false
   */
  deep?: boolean
}

export interface VerifyResult {
  outDir: string
  stateDir: string
  /** No committed output is recorded for this outDir. */
  noManifest: boolean
  /** True when outDir matches the manifest exactly. */
  ok: boolean
  txId?: string
  committedAt?: string
  /** Files whose content or mode differs from the manifest. */
  modified: string[]
  /** Files in the manifest that are gone. */
  missing: string[]
  /** Files in outDir that the last commit did not produce. */
  extra: string[]
  /** Files hashed to decide. */
  hashed: number
  /** An interrupted commit is waiting for `recover`. */
  pendingJournal: boolean
}

export interface StatusResult {
  outDir: string
  stateDir: string
  /** `version`: the build-history version outDir holds, when history is on. */
  lastCommit: { txId: string; committedAt: string; strategy: Strategy; files: number; bytes: number; version: string | null } | null
  lock: LockStatus | null
  journal: { state: 'prepared' | 'committed'; txId: string; strategy: Strategy; pid: number; createdAt: string } | null
  /** An `emit-optimizer run --in-place` in progress (or killed: `alive` false, `recover` restores the previous output). */
  run: { phase: 'running' | 'committing'; pid: number; alive: boolean; command: string; kept: string; createdAt: string } | null
}

/** outDir and its state files, resolved as a transaction would. */
export async function locate(outDir: string, options: InspectOptions): Promise<{ outDir: string; efs: EngineFs; paths: ReturnType<typeof statePaths> }> {
  const resolved = resolveTransactionOptions({
    outDir,
    ...(options.root ? { root: options.root } : {}),
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    fs: options.fs ?? nodeFs,
  })
  return { outDir: resolved.outDir, efs: resolved.fs, paths: statePaths(await resolveStateDir(resolved)) }
}

/** Compares outDir with the manifest of the last commit: modified, missing and extra files. */
export async function verify(outDir: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const { outDir: dir, efs, paths } = await locate(outDir, options)
  const manifest = await readManifest(efs, paths.manifest)
  const pendingJournal = (await lstatOrUndefined(efs, paths.journal)) !== undefined
  const result: VerifyResult = {
    outDir: dir,
    stateDir: paths.dir,
    noManifest: !manifest,
    ok: false,
    modified: [],
    missing: [],
    extra: [],
    hashed: 0,
    pendingJournal,
  }
  if (!manifest) return result
  result.txId = manifest.txId
  result.committedAt = manifest.committedAt
  const manifestWrittenMs = (await lstatOrUndefined(efs, paths.manifest))?.mtimeMs
  const queue = new IoQueue(32)
  const hashContents = await loadHasher()
  await queue.each(Object.entries(manifest.files), async ([rel, entry]) => {
    const stats = await lstatOrUndefined(efs, path.join(dir, rel))
    if (!stats) return void result.missing.push(rel)
    if (!stats.isFile() || stats.size !== entry.size || (stats.mode & 0o7777) !== entry.mode) return void result.modified.push(rel)
    if (!options.deep && manifestWrittenMs !== undefined && statProvesUnchanged(entry, stats, manifestWrittenMs)) return
    result.hashed++
    if (hashContents(await efs.readFile(path.join(dir, rel))) !== entry.hash) result.modified.push(rel)
  })
  try {
    const tree = await listTree(efs, dir)
    result.extra = tree.files.filter((rel) => !(rel in manifest.files))
  } catch (error) {
    if (errnoCode(error) === 'ENOTDIR') {
      throw new EmitOptimizerError(
        'EO_OUTDIR_INVALID',
        `outDir is not a directory: "${dir}". It was replaced after the last commit; remove it and build again.`,
        { path: dir, cause: error },
      )
    }
    if (errnoCode(error) !== 'ENOENT') throw error
  }
  for (const list of [result.modified, result.missing, result.extra]) list.sort()
  result.ok = result.modified.length + result.missing.length + result.extra.length === 0 && !pendingJournal
  return result
}

/** The last commit, the lock holder and any interrupted commit of outDir. */
export async function status(outDir: string, options: InspectOptions = {}): Promise<StatusResult> {
  const { outDir: dir, efs, paths } = await locate(outDir, options)
  const [manifest, lock, journal, run] = await Promise.all([
    readManifest(efs, paths.manifest),
    // outDir's lock: every writer of outDir holds it, whatever its root; our state dir's only ours.
    outDirFiles(efs, dir).then(async (files) => (await readLock(files.lock, efs)) ?? readLock(paths.lock, efs)),
    readJournal(efs, paths.journal),
    readRunSession(efs, paths.dir, dir),
  ])
  return {
    outDir: dir,
    stateDir: paths.dir,
    lastCommit: manifest
      ? {
          txId: manifest.txId,
          committedAt: manifest.committedAt,
          strategy: manifest.strategy,
          files: Object.keys(manifest.files).length,
          bytes: Object.values(manifest.files).reduce((sum, entry) => sum + entry.size, 0),
          version: manifest.version ?? null,
        }
      : null,
    lock: lock ?? null,
    journal: journal ? { state: journal.state, txId: journal.txId, strategy: journal.strategy, pid: journal.pid, createdAt: journal.createdAt } : null,
    run: run ? { phase: run.phase, pid: run.pid, alive: isRunning(run), command: run.command, kept: run.kept, createdAt: run.createdAt } : null,
  }
}
