import fs from 'node:fs'
import path from 'node:path'
import { stagingDirFor } from '../core/bundler-staging.js'
import type { EngineContext } from '../core/context.js'
import { assertSafeOutDir } from '../core/guard.js'
import { keptDirFor, processId, removeRunSession, RUN_SESSION_FORMAT, runSessionPath, swapBack, writeRunSession, type RunSession } from '../core/run-session.js'
import { resolveTransactionOptions } from '../core/transaction-options.js'
import type { BuildReport, BundlerName } from '../observe/types.js'
import { describeError, startCapture, type PluginLogger } from '../plugin/capture.js'
import type { PluginInstance } from '../plugin/instance.js'
import { lockOutDir, outDirExists, seedDir } from './outdir-lock.js'
import { captureDir } from './staging.js'

/**
 * Builds with plugins that delete, copy or write files in outDir by path (rollup-plugin-delete
 * at buildStart, rollup-plugin-copy, sitemap plugins with their own `outDir`). Redirecting the
 * bundler's output cannot cover them: they act on the real outDir, before or beside the bundle.
 * Such a build runs as an in-place session, the one `emit-optimizer run --in-place` uses
 * (core/run-session.ts), opened by the adapter before any other plugin's `buildStart` and closed
 * after every other plugin's `closeBundle`:
 *
 * - open: outDir's lock, the session file, a copy of outDir (reflinked where possible) renamed
 *   into its place while the previous output waits aside under its own inodes;
 * - the build and every plugin write outDir as they would natively;
 * - close: the previous output is renamed back; on success what the build left is committed as
 *   one transaction (unchanged files keep their inode and mtime), on failure it is dropped.
 *
 * A process killed mid-build leaves the session file: the next commit or `emit-optimizer
 * recover` renames the previous output back. Builds without such plugins never get here.
 */

/** The end of the warning when outDir writers run but the adapter cannot tell which directory they write. */
export const PASS_OUTDIR = 'pass "outDir" to emit-optimizer to keep their writes in the transaction.'

/** The names, among `plugins`, that the options declare as outDir writers (first occurrence each). */
export function outDirWritersIn(instance: PluginInstance, plugins: ReadonlyArray<{ name?: string } | null | undefined>): string[] {
  const writers = new Set(instance.options.outDirWriters)
  return [...new Set(plugins.map((plugin) => plugin?.name).filter((name): name is string => name !== undefined && writers.has(name)))]
}

/** Rollup/Vite plugin lists may nest arrays and hold falsy entries. */
export function flattenPlugins(plugins: unknown): Array<{ name?: string }> {
  if (Array.isArray(plugins)) return plugins.flatMap(flattenPlugins)
  return plugins && typeof plugins === 'object' ? [plugins as { name?: string }] : []
}

export interface InPlaceTarget {
  bundler: BundlerName
  outDir: string
  root: string
  logger: PluginLogger
  /** What opened the session (recorded in the session file, shown by `recover`). */
  writers: readonly string[]
}

export class InPlaceBuild {
  private constructor(
    private readonly instance: PluginInstance,
    private readonly target: InPlaceTarget,
    private readonly ctx: EngineContext,
    private readonly session: RunSession,
    private release: (() => Promise<void>) | undefined,
  ) {
    process.once('exit', this.restoreAtExit)
  }

  /**
   * A build whose last hook never ran (a plugin failing in closeBundle stops Rollup before ours,
   * a JS API caller not closing the bundle) must not leave its output in place of the previous
   * one: put the previous output back synchronously when the process exits. A process killed
   * outright leaves this to the next build's recovery (the session file).
   */
  private readonly restoreAtExit = (): void => {
    const { session } = this
    try {
      fs.rmSync(session.work, { recursive: true, force: true })
      if (fs.existsSync(session.kept)) {
        if (fs.existsSync(session.outDir)) fs.renameSync(session.outDir, session.work)
        fs.renameSync(session.kept, session.outDir)
      } else if (!session.hadOutDir) fs.renameSync(session.outDir, session.work)
      fs.rmSync(session.work, { recursive: true, force: true })
      fs.rmSync(runSessionPath(this.ctx.paths.dir), { force: true })
    } catch {
      // The session file stays: the next build or `emit-optimizer recover` finishes the restore.
    }
  }

  get outDir(): string {
    return this.target.outDir
  }

  /** Keeps the previous output aside and gives the build a copy of it in outDir's place. */
  static async open(instance: PluginInstance, target: InPlaceTarget): Promise<InPlaceBuild> {
    const plugin = instance.options
    const opts = resolveTransactionOptions({
      outDir: target.outDir,
      root: target.root,
      logger: target.logger,
      concurrency: plugin.concurrency,
      lockTimeoutMs: plugin.lockTimeoutMs,
      durability: plugin.durability,
      allowDangerousOutDir: plugin.allowDangerousOutDir,
      ...(plugin.stateDir === undefined ? {} : { stateDir: plugin.stateDir }),
    })
    // The commit cleans (outDir becomes what the build left): refuse a dangerous outDir first.
    await assertSafeOutDir(opts.outDir, { root: opts.root, allowDangerous: opts.allowDangerousOutDir, fs: opts.fs })
    const { ctx, release } = await lockOutDir(opts)
    const session: RunSession = {
      format: RUN_SESSION_FORMAT,
      phase: 'running',
      outDir: opts.outDir,
      hadOutDir: false,
      kept: keptDirFor(opts.outDir),
      work: stagingDirFor(opts.outDir),
      ...processId(process.pid),
      child: null,
      command: `${target.bundler} build with ${target.writers.join(', ')} (in place)`,
      createdAt: new Date().toISOString(),
    }
    try {
      session.hadOutDir = await outDirExists(ctx)
      await writeRunSession(ctx, session)
      fs.rmSync(session.work, { recursive: true, force: true })
      fs.mkdirSync(path.dirname(opts.outDir), { recursive: true })
      seedDir(session.work, session.hadOutDir ? opts.outDir : undefined)
      if (session.hadOutDir) await ctx.fs.rename(opts.outDir, session.kept)
      await ctx.fs.rename(session.work, opts.outDir)
      if (ctx.fsync) await ctx.fs.fsyncPath(path.dirname(opts.outDir))
    } catch (error) {
      await swapBack(ctx, session)
      fs.rmSync(session.work, { recursive: true, force: true })
      await removeRunSession(ctx)
      await release()
      throw error
    }
    return new InPlaceBuild(instance, { ...target, outDir: opts.outDir }, ctx, session, release)
  }

  /**
   * Puts the previous output back, then commits what the build left (no `error`) or drops it.
   * Idempotent: a second call (a later hook of the same failed build) returns undefined.
   */
  async close(error: unknown): Promise<BuildReport | undefined> {
    const release = this.release
    if (!release) return undefined
    this.release = undefined
    process.off('exit', this.restoreAtExit)
    const { ctx, session, target } = this
    const capture = startCapture(this.instance, {
      bundler: target.bundler,
      outDir: target.outDir,
      root: target.root,
      bundlerCleans: true,
      logger: target.logger,
    })
    try {
      await swapBack(ctx, session)
      if (error === undefined) await writeRunSession(ctx, { ...session, phase: 'committing' })
    } catch (swapError) {
      // The session file still says `running`: the next commit or `recover` finishes the swap.
      await release()
      return capture.abort(swapError)
    }
    await release()
    try {
      let unread: unknown
      if (error === undefined) {
        try {
          // Adopted (zero copy): `work` (what the build left in outDir's place, renamed back
          // out of it) is removed below, after the commit, so its files are renamed into place.
          captureDir(capture, session.work, true)
        } catch (readError) {
          unread = readError
        }
      }
      return error === undefined && unread === undefined ? await capture.commit() : await capture.abort(error ?? unread)
    } finally {
      fs.rmSync(session.work, { recursive: true, force: true })
      await removeRunSession(ctx)
    }
  }
}

const unwritten = (dir: string): Error =>
  new Error(`[emit-optimizer] the bundle was not (completely) written to ${dir}, e.g. a writeBundle hook failed; keeping the previous output.`)

/**
 * The in-place sessions of one build (one per output directory), driven by an adapter's hooks:
 * `open` at the start of the build, `failed` from its error hooks, `written` once per output
 * written (after every other plugin's writeBundle), `close` at its very end.
 */
export class InPlaceOutputs {
  private readonly expected = new Map<string, number>()
  private readonly writes = new Map<string, number>()
  private sessions: InPlaceBuild[] = []
  private failure: unknown

  /** `outputs`: the output directory of each output the build will write (a directory may repeat). */
  constructor(
    private readonly instance: PluginInstance,
    private readonly target: Omit<InPlaceTarget, 'outDir'>,
    outputs: readonly string[],
  ) {
    for (const dir of outputs) this.expected.set(path.resolve(dir), (this.expected.get(path.resolve(dir)) ?? 0) + 1)
  }

  get dirs(): string[] {
    return [...this.expected.keys()]
  }

  async open(): Promise<void> {
    for (const outDir of this.expected.keys()) {
      if (this.sessions.some((session) => session.outDir === outDir)) continue
      this.sessions.push(await InPlaceBuild.open(this.instance, { ...this.target, outDir }))
    }
  }

  failed(error: unknown): void {
    this.failure ??= error
  }

  written(dir: string): void {
    const abs = path.resolve(dir)
    if (this.expected.has(abs)) this.writes.set(abs, (this.writes.get(abs) ?? 0) + 1)
  }

  /** Closes every session; returns the first commit failure (to fail the build with). */
  async close(error?: unknown): Promise<unknown> {
    const sessions = this.sessions
    this.sessions = []
    let failure: unknown
    for (const session of sessions) {
      const dirError =
        error ?? this.failure ?? ((this.writes.get(session.outDir) ?? 0) < this.expected.get(session.outDir)! ? unwritten(session.outDir) : undefined)
      const report = await session.close(dirError)
      if (dirError === undefined && report?.error !== undefined) failure ??= report.error
    }
    this.writes.clear()
    this.failure = undefined
    return failure
  }
}

/** The hooks of the plugin the Rollup adapter appends to a build with outDir writers (Rollup's hook shapes). */
export function inPlacePlugin(outputs: InPlaceOutputs) {
  return {
    name: 'emit-optimizer:in-place',
    buildStart: {
      // Before any other plugin's buildStart (rollup-plugin-delete empties outDir there).
      order: 'pre' as const,
      sequential: true,
      async handler() {
        await outputs.open()
      },
    },
    buildEnd(error?: Error) {
      if (error) outputs.failed(error)
    },
    renderError(error?: Error) {
      outputs.failed(error)
    },
    writeBundle: {
      // After every other plugin's writeBundle: a failing one stops Rollup before this.
      order: 'post' as const,
      sequential: true,
      handler(output: { dir?: string | undefined; file?: string | undefined }) {
        const dir = output.dir ?? (output.file ? path.dirname(output.file) : undefined)
        if (dir !== undefined) outputs.written(dir)
      },
    },
    closeBundle: {
      // After every other plugin's closeBundle (compression and sitemap plugins write there).
      order: 'post' as const,
      sequential: true,
      async handler(this: { error(message: string): never }, error?: Error) {
        const failure = await outputs.close(error)
        if (failure !== undefined) this.error(describeError(failure))
      },
    },
  }
}
