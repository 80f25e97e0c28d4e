import { nodeCrypto } from './node-crypto.js'
import path from 'node:path'
import { EmitOptimizerError, errnoCode, toEmitOptimizerError } from '../errors.js'
import { createEngineContext, type EngineContext } from './context.js'
import type { Edit } from './edits.js'
import { countingFs, lstatOrUndefined } from './fs.js'
import { assertConfined, assertSafeOutDir, normalizeOutputPath } from './guard.js'
import { JOURNAL_FORMAT, writeJournal, type Journal } from './journal.js'
import { claimOutDir } from './outdir-claim.js'
import { MANIFEST_FORMAT, readManifest, writeManifest, type Manifest, type ManifestEntry } from './manifest.js'
import type { ResolvedTransactionOptions, Strategy } from './transaction-options.js'
import type { CommitObserver } from './phases.js'
import { buildPlan, type DesiredFile, type Plan } from './plan.js'
import { createPublishClassifier, type PublishGroup } from './publish-order.js'
import { finishCommitted, observersRolledBack, recoverPending, removeJournal } from './recover.js'
import { resolveStateDir, statePaths } from './state-dir.js'
import { strategies } from './strategies/index.js'
import type { WrittenFile } from './strategies/shared.js'
import { currentSymlinkTarget } from './strategies/symlink.js'

export interface WriteOptions {
  /** Permission bits, e.g. `0o755` for an executable. */
  mode?: number
  /**
   * A file that already holds exactly `contents`, on outDir's filesystem (a bundler's staging
   * dir): it is moved into place by rename instead of written again (zero copy). The engine takes
   * it: after `commit()` it is gone from there, whatever the outcome. Ignored when the file is
   * edited in the same transaction.
   */
  from?: string
}

export type { Edit } from './edits.js'

export type FileStatus = 'written' | 'unchanged' | 'deleted'

export interface FileOutcome {
  path: string
  status: FileStatus
  /** Size of the new file (0 for deleted). */
  bytes: number
  /** Time spent staging this file (written files only). */
  durationMs?: number
}

export interface CommitStats {
  written: number
  unchanged: number
  deleted: number
  /** Files in outDir after the commit that this engine manages. */
  total: number
  bytesWritten: number
  /** File system calls made by the commit (including recovery, planning and cleanup). */
  fsOps: number
  durationMs: number
  phases: { lock: number; recover: number; plan: number; stage: number; publish: number; finish: number }
}

export interface CommitResult {
  status: 'committed'
  txId: string
  outDir: string
  stateDir: string
  strategy: Strategy
  /** Per file, sorted by path. */
  files: FileOutcome[]
  stats: CommitStats
  /** What automatic recovery found from an earlier interrupted commit. */
  recovered: 'none' | 'rolled-back' | 'rolled-forward'
}

export interface RollbackResult {
  status: 'rolled-back'
  txId: string
  outDir: string
}

export interface Transaction {
  readonly id: string
  readonly outDir: string
  /** Sets the file's new content; the last write to a path wins. */
  write(path: string, contents: string | Uint8Array, options?: WriteOptions): void
  /** Removes the file at commit (if it exists). */
  delete(path: string): void
  /** Queues edits; all edits to one file are applied with one read and one write. */
  edit(path: string, edits: Edit | Edit[]): void
  /** Publishes every change as one transaction; on any error outDir is left as it was. */
  commit(): Promise<CommitResult>
  /** Discards the pending changes; nothing on disk is touched. */
  rollback(): Promise<RollbackResult>
}

type Pending =
  | { kind: 'write'; contents: Uint8Array; mode: number | undefined; from: string | undefined; edits: Edit[] }
  | { kind: 'edit'; edits: Edit[] }
  | { kind: 'delete' }

function newTxId(): string {
  return `${Date.now().toString(36)}-${nodeCrypto().randomBytes(4).toString('hex')}`
}

function toBytes(contents: string | Uint8Array): Uint8Array {
  if (typeof contents === 'string') return Buffer.from(contents)
  if (contents instanceof Uint8Array) return contents
  throw new EmitOptimizerError('EO_INVALID_OPTION', `contents must be a string, Buffer or Uint8Array, got ${typeof contents}.`)
}

/**
 * Starts a transaction on outDir. Nothing touches the disk until `commit()`; writes, deletes and
 * edits are collected (and coalesced) in memory. `observers` take part in the commit at its
 * phases (phases.ts); the package's `createTransaction` (history/engine.ts) passes the history.
 */
export function openTransaction(opts: ResolvedTransactionOptions, observers: readonly CommitObserver[] = []): Transaction {
  const id = newTxId()
  const pending = new Map<string, Pending>()
  let closed: 'committed' | 'rolled-back' | 'committing' | undefined

  const assertOpen = (): void => {
    if (closed)
      throw new EmitOptimizerError(
        'EO_TX_CLOSED',
        `transaction ${id} on ${opts.outDir} is already ${closed}. Start a new transaction with createTransaction().`,
      )
  }

  return {
    id,
    outDir: opts.outDir,
    write(file, contents, writeOptions = {}) {
      assertOpen()
      pending.set(normalizeOutputPath(file, opts.outDir), {
        kind: 'write',
        contents: toBytes(contents),
        mode: writeOptions.mode,
        from: writeOptions.from === undefined ? undefined : path.resolve(writeOptions.from),
        edits: [],
      })
    },
    delete(file) {
      assertOpen()
      pending.set(normalizeOutputPath(file, opts.outDir), { kind: 'delete' })
    },
    edit(file, edits) {
      assertOpen()
      const rel = normalizeOutputPath(file, opts.outDir)
      const list = Array.isArray(edits) ? edits : [edits]
      const entry = pending.get(rel)
      if (entry?.kind === 'delete')
        throw new EmitOptimizerError(
          'EO_EDIT_FAILED',
          `cannot edit "${rel}": it was deleted earlier in this transaction (outDir: ${opts.outDir}). Write its content instead.`,
          { path: rel },
        )
      if (entry) entry.edits.push(...list)
      else pending.set(rel, { kind: 'edit', edits: [...list] })
    },
    async commit() {
      assertOpen()
      closed = 'committing'
      try {
        const result = await commitTransaction(opts, id, pending, observers)
        closed = 'committed'
        return result
      } catch (error) {
        closed = 'rolled-back'
        throw error
      }
    },
    async rollback() {
      assertOpen()
      pending.clear()
      closed = 'rolled-back'
      return { status: 'rolled-back', txId: id, outDir: opts.outDir }
    },
  }
}

async function resolvePending(
  ctx: EngineContext,
  currentDir: string | undefined,
  pending: Map<string, Pending>,
): Promise<{ desired: Map<string, DesiredFile>; deletes: string[] }> {
  const desired = new Map<string, DesiredFile>()
  const deletes: string[] = []
  // Plain writes and deletes need no I/O: only edits go through the queue (a per-item task
  // costs about a microsecond more per file, 2000 of them in a large build).
  const reading: Array<[string, Exclude<Pending, { kind: 'delete' }>]> = []
  for (const [rel, entry] of pending) {
    if (entry.kind === 'delete') deletes.push(rel)
    else if (entry.kind === 'write' && entry.edits.length === 0) desired.set(rel, desiredFile(rel, entry.contents, entry.mode, entry.from))
    else reading.push([rel, entry])
  }
  await ctx.queue.each(reading, async ([rel, entry]) => {
    let contents: Uint8Array
    let mode: number | undefined
    let from: string | undefined
    if (entry.kind === 'write') {
      contents = entry.contents
      mode = entry.mode
      from = entry.from
    } else {
      try {
        if (currentDir === undefined) throw Object.assign(new Error('no output yet'), { code: 'ENOENT' })
        contents = await ctx.fs.readFile(path.join(currentDir, rel))
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error
        throw new EmitOptimizerError(
          'EO_EDIT_FAILED',
          `cannot edit "${rel}": the file does not exist in outDir (${ctx.outDir}) and was not written in this transaction. Write it first.`,
          { path: rel },
        )
      }
    }
    if (entry.edits.length > 0) {
      // magic-string is loaded by the first transaction with edits, not by every bundler plugin.
      const { applyEdits } = await import('./edits.js')
      contents = Buffer.from(applyEdits(rel, Buffer.from(contents.buffer, contents.byteOffset, contents.byteLength).toString('utf8'), entry.edits).code)
      from = undefined
    }
    desired.set(rel, desiredFile(rel, contents, mode, from))
  })
  return { desired, deletes }
}

function desiredFile(rel: string, contents: Uint8Array, mode: number | undefined, from: string | undefined): DesiredFile {
  return { path: rel, contents, ...(mode === undefined ? {} : { mode }), ...(from === undefined ? {} : { from }) }
}

/** Validates outDir's shape for the strategy and returns where its current files are. */
async function currentOutput(ctx: EngineContext, strategy: Strategy): Promise<string | undefined> {
  const out = await lstatOrUndefined(ctx.fs, ctx.outDir)
  if (strategy === 'symlink') return (await currentSymlinkTarget(ctx)).dir
  if (!out) return undefined
  if (out.isSymbolicLink()) {
    const target = await ctx.fs.readlink(ctx.outDir)
    throw new EmitOptimizerError(
      'EO_OUTDIR_INVALID',
      `outDir is a symlink (to "${target}"): "${ctx.outDir}". Point outDir at the real directory, or use strategy 'symlink' if it was created by it.`,
      { path: ctx.outDir },
    )
  }
  if (!out.isDirectory())
    throw new EmitOptimizerError('EO_OUTDIR_INVALID', `outDir exists and is not a directory: "${ctx.outDir}". Remove it or choose another outDir.`, {
      path: ctx.outDir,
    })
  return ctx.outDir
}

async function checkDiskSpace(ctx: EngineContext, plan: Plan): Promise<void> {
  // An adopted file is already on the filesystem: moving it takes no space.
  const needed = plan.writes.reduce((sum, write) => sum + (write.from === undefined ? write.contents.byteLength : 0), 0)
  if (needed === 0) return
  const stats = await ctx.fs.statfs(ctx.paths.dir)
  const available = stats.bavail * stats.bsize
  // Room for the journal and a block of slack per file on top of the bytes themselves.
  const required = needed + plan.writes.length * stats.bsize + 1024 * 1024
  if (available < required) {
    throw new EmitOptimizerError(
      'EO_NO_SPACE',
      `not enough free space for the new output: "${ctx.outDir}" needs ${required} bytes, ` +
        `${available} are available on the filesystem of ${ctx.paths.dir}. Free disk space; nothing was written.`,
      { path: ctx.outDir },
    )
  }
}

function validateManifestPaths(manifest: Manifest, file: string, outDir: string): void {
  const isNormalized = (rel: string): boolean => {
    try {
      return normalizeOutputPath(rel, outDir) === rel
    } catch {
      return false
    }
  }
  for (const rel of Object.keys(manifest.files)) {
    if (!isNormalized(rel)) {
      throw new EmitOptimizerError(
        'EO_MANIFEST_CORRUPT',
        `the manifest "${file}" lists an invalid path ${JSON.stringify(rel)}. ` +
          `Delete the manifest: the next commit compares every file by content; outDir is left as it is.`,
        { path: file },
      )
    }
  }
}

async function commitTransaction(
  opts: ResolvedTransactionOptions,
  txId: string,
  pending: Map<string, Pending>,
  observers: readonly CommitObserver[],
): Promise<CommitResult> {
  const started = performance.now()
  const phases = { lock: 0, recover: 0, plan: 0, stage: 0, publish: 0, finish: 0 }
  let mark = started
  const lap = (phase: keyof typeof phases): void => {
    const now = performance.now()
    phases[phase] += now - mark
    mark = now
  }

  const stateDir = await resolveStateDir(opts)
  const counted = countingFs(opts.fs)
  const ctx = createEngineContext(opts, stateDir, counted.fs)
  const strategy = strategies[opts.strategy]

  const claim = await claimOutDir(ctx, opts.lockTimeoutMs, (other) => recoverPending(other, observers), txId)
  if (claim.ownerStateDir !== undefined) ctx.ownerBuilds = statePaths(claim.ownerStateDir).builds
  lap('lock')
  try {
    const recovered = await recoverPending(ctx, observers)
    await claim.recovered()
    lap('recover')

    const stored = await readManifest(ctx.fs, ctx.paths.manifest)
    if (stored) validateManifestPaths(stored, ctx.paths.manifest, opts.outDir)
    // Another root committed into outDir since (or a commit we cannot place): its files are
    // compared by content and nothing is deleted or kept on the strength of our manifest.
    const manifest = claim.trusts(stored) ? stored : undefined
    const manifestWrittenMs = manifest && (await lstatOrUndefined(ctx.fs, ctx.paths.manifest))?.mtimeMs
    const currentDir = await currentOutput(ctx, opts.strategy)
    let classify: ((rel: string) => PublishGroup) | undefined
    const { desired, deletes } = await resolvePending(ctx, currentDir, pending)
    const plan = await buildPlan({
      fs: ctx.fs,
      queue: ctx.queue,
      currentDir,
      desired: [...desired.values()],
      explicitDeletes: deletes,
      manifest,
      manifestWrittenMs,
      walk: opts.clean || opts.strategy !== 'incremental',
      clean: opts.clean,
      // Compiled by the first write: a commit without changes classifies nothing.
      classify: (rel) => (classify ??= createPublishClassifier(opts.publishOrder))(rel),
    })
    if (plan.deletes.length > 0 || opts.clean || opts.strategy !== 'incremental') {
      await assertSafeOutDir(opts.outDir, { root: opts.root, allowDangerous: opts.allowDangerousOutDir, fs: ctx.fs })
    }
    if (opts.strategy === 'incremental' && currentDir !== undefined) {
      await assertConfined(await ctx.fs.realpath(opts.outDir), [...plan.writes.map((w) => w.path), ...plan.deletes], ctx.fs)
    }
    // A symlink into another root's builds is replaced by a build of ours even when no file changed.
    const foreignBuild = opts.strategy === 'symlink' && currentDir !== undefined && currentDir !== opts.outDir && path.dirname(currentDir) !== ctx.paths.builds
    const changes = plan.writes.length > 0 || plan.deletes.length > 0 || foreignBuild
    // Before anything is staged: an observer refusing the commit leaves no journal behind.
    let version: string | undefined
    const taking: Array<[CommitObserver, unknown]> = []
    for (const observer of observers) {
      const joined = await observer.planned(ctx, { txId, previous: manifest, changes })
      version ??= joined.version
      if (joined.record !== undefined) taking.push([observer, joined.record])
    }
    lap('plan')

    const written = new Map<string, WrittenFile>()
    const manifestFor = (files: Map<string, WrittenFile>): Manifest => {
      const entries: Record<string, ManifestEntry> = {}
      for (const [rel, entry] of [...plan.unchanged, ...[...files].map(([rel, w]) => [rel, w.entry] as const)].sort(([a], [b]) => (a < b ? -1 : 1)))
        entries[rel] = entry
      return {
        format: MANIFEST_FORMAT,
        txId,
        outDir: opts.outDir,
        strategy: opts.strategy,
        committedAt: new Date().toISOString(),
        ...(version === undefined ? {} : { version }),
        files: entries,
      }
    }
    const outputFile = (rel: string): { contents: Uint8Array; source: string } => ({
      contents: desired.get(rel)!.contents,
      source: written.get(rel)?.stagedAt ?? path.join(currentDir!, rel),
    })
    const prepared = async (next: Manifest): Promise<void> => {
      for (const [observer, record] of taking) await observer.prepared(ctx, { txId, manifest: next, previous: manifest, file: outputFile }, record)
    }

    if (!changes) {
      // Nothing to publish; the manifest is rewritten only when something about it changed.
      const unchanged =
        manifest &&
        plan.refreshed === 0 &&
        manifest.strategy === opts.strategy &&
        Object.keys(manifest.files).length === plan.unchanged.size &&
        manifest.version === version
      if (!unchanged) {
        const builds = opts.strategy === 'symlink' ? { buildDir: manifest?.buildDir, previousBuildDir: manifest?.previousBuildDir } : {}
        const next = { ...manifestFor(written), ...builds }
        await claim.changing()
        await prepared(next)
        await writeManifest(ctx.fs, ctx.paths.manifest, next, ctx.fsync)
        for (const [observer, record] of taking) await observer.committed(ctx, { txId, manifest: next }, record)
      }
      await claim.committed(unchanged ? manifest.txId : txId)
      lap('finish')
    } else {
      if (opts.checkDiskSpace) await checkDiskSpace(ctx, plan)
      const records = taking.length > 0 ? { observers: Object.fromEntries(taking.map(([observer, record]) => [observer.name, record])) } : {}
      const header = {
        format: JOURNAL_FORMAT,
        state: 'prepared',
        txId,
        outDir: opts.outDir,
        pid: process.pid,
        createdAt: new Date().toISOString(),
        ...records,
      } as const
      let journal: Journal | undefined
      try {
        // Our pending mark must be durable before the journal; its flush overlaps the staging.
        const [staging, marking] = await Promise.allSettled([strategy.stage(ctx, plan, header, manifestFor), claim.changing()])
        if (staging.status === 'rejected') throw staging.reason
        if (marking.status === 'rejected') throw marking.reason
        const staged = staging.value
        for (const [rel, file] of staged.written) written.set(rel, file)
        journal = staged.journal
        lap('stage')
        await writeJournal(ctx.fs, ctx.paths.journal, journal, ctx.fsync)
        if (ctx.fsync) await ctx.fs.fsyncPath(ctx.paths.dir)
        await prepared(journal.manifest)
        await strategy.publish(ctx, journal)
        journal = { ...journal, state: 'committed' }
        await writeJournal(ctx.fs, ctx.paths.journal, journal, ctx.fsync)
        lap('publish')
      } catch (error) {
        await undo(ctx, journal, error, opts, observers)
        throw toEmitOptimizerError(error, errorPath(error) ?? opts.outDir, opts.outDir)
      }
      // Past the commit point the new output is final: a failing cleanup only delays the
      // manifest and backup removal, which the next transaction (or `recover`) completes.
      try {
        await finishCommitted(ctx, journal, observers)
        await claim.committed(txId)
      } catch (error) {
        opts.logger.warn(
          `[emit-optimizer] commit ${txId} is complete, but finishing it failed (${(error as Error).message}); ` +
            `the next commit on ${opts.outDir} or "emit-optimizer recover --out ${opts.outDir}" completes it.`,
        )
      }
      lap('finish')
    }

    const files: FileOutcome[] = [
      ...[...plan.unchanged.entries()].map(([rel, entry]): FileOutcome => ({ path: rel, status: 'unchanged', bytes: entry.size })),
      ...[...written].map(([rel, file]): FileOutcome => ({ path: rel, status: 'written', bytes: file.entry.size, durationMs: file.durationMs })),
      ...plan.deletes.map((rel): FileOutcome => ({ path: rel, status: 'deleted', bytes: 0 })),
    ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    return {
      status: 'committed',
      txId,
      outDir: opts.outDir,
      stateDir,
      strategy: opts.strategy,
      files,
      recovered: recovered.action,
      stats: {
        written: written.size,
        unchanged: plan.unchanged.size,
        deleted: plan.deletes.length,
        total: written.size + plan.unchanged.size,
        bytesWritten: [...written.values()].reduce((sum, file) => sum + file.entry.size, 0),
        fsOps: counted.count(),
        durationMs: performance.now() - started,
        phases,
      },
    }
  } finally {
    await claim.release()
  }
}

function errorPath(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'path' in error && typeof error.path === 'string' ? error.path : undefined
}

/**
 * Restores the previous output after a failure before the commit point. If the rollback itself
 * fails, the journal stays so the next transaction (or `emit-optimizer recover`) finishes it.
 */
async function undo(
  ctx: EngineContext,
  journal: Journal | undefined,
  cause: unknown,
  opts: ResolvedTransactionOptions,
  observers: readonly CommitObserver[],
): Promise<void> {
  try {
    if (journal) {
      await strategies[journal.strategy].rollback(ctx, journal)
      await observersRolledBack(ctx, journal, observers)
    } else {
      await recoverPending(ctx, observers)
    }
    await removeJournal(ctx)
    if (journal) await recoverPending(ctx, observers)
  } catch (rollbackError) {
    // The code stays the original failure's (EO_NO_SPACE, …): that is what the user must fix.
    const original = toEmitOptimizerError(cause, errorPath(cause) ?? opts.outDir, opts.outDir)
    throw new EmitOptimizerError(
      original.code,
      `the commit failed (${(cause as Error)?.message ?? String(cause)}) and restoring the previous ` +
        `output failed too (${(rollbackError as Error)?.message ?? String(rollbackError)}). ` +
        `Run "emit-optimizer recover --out ${opts.outDir}" once the cause is fixed; the journal keeps what is needed.`,
      { path: opts.outDir, cause, recoveryPending: true },
    )
  }
}
