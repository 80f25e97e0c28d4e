import path from 'node:path'
import { countFiles } from '../core/count-files.js'
import type { Transaction } from '../core/transaction.js'
import { createTransaction } from '../history/engine.js'
import { EmitOptimizerError } from '../errors.js'
import { startSizeCapture } from '../observe/size/capture-sizes.js'
import type { EntryPoint } from '../observe/size/entry-point.js'
import { formatSummary } from '../observe/summary-line.js'
import type { BuildReport, BundlerName } from '../observe/types.js'
import type { PluginInstance } from './instance.js'

export interface PluginLogger {
  info(message: string): void
  warn(message: string): void
}

export interface CaptureContext {
  bundler: BundlerName
  /** The bundler's output directory, absolute; `options.outDir` overrides it. */
  outDir: string
  root: string
  /** Whether the bundler was set to empty outDir before building (applied at commit instead). */
  bundlerCleans: boolean
  logger: PluginLogger
  /**
   * One of several output directories of one build (Rollup): it gets this subdirectory of a
   * configured `stateDir` for its own manifest, and `options.outDir` (one target) does not apply.
   */
  stateSubdir?: string
  /** What this transaction commits when one outDir takes several builds (compiler names, environments). */
  target?: string
}

/** The files one build would write, collected in memory and committed as one transaction. */
export interface OutputCapture {
  readonly outDir: string
  /**
   * A file the bundler would write: absolute inside outDir, or relative to it. `from`: a file on
   * outDir's filesystem holding exactly these bytes, moved into place at commit (WriteOptions.from).
   */
  write(file: string, contents: string | Uint8Array, mode?: number, from?: string): void
  /** Whether a file was captured (absolute or relative path). */
  has(file: string): boolean
  /** The bundler deleted a file (e.g. webpack/Rspack `output.clean`): removed at commit, not before. */
  delete(file: string): void
  /** The bundler's entry points and their initial-load files (absolute or relative), for the size report. */
  entries(list: readonly EntryPoint[]): void
  /**
   * Commits everything captured; never throws: a failure is in the report (`error`). `released`
   * runs once the engine is done with adopted files (`from`), before the report goes out: the
   * adapter removes its staging dir there.
   */
  commit(released?: () => void): Promise<BuildReport>
  /** The build failed: drop everything, outDir stays as it was. */
  abort(error: unknown): Promise<BuildReport>
}

export function startCapture(instance: PluginInstance, ctx: CaptureContext): OutputCapture {
  const { options, observer } = instance
  const started = performance.now()
  const startedAt = new Date().toISOString()
  const outDir = options.outDir && ctx.stateSubdir === undefined ? path.resolve(ctx.root, options.outDir) : ctx.outDir
  const stateDir =
    options.stateDir !== undefined && ctx.stateSubdir !== undefined ? path.join(path.resolve(options.stateDir), ctx.stateSubdir) : options.stateDir
  const tx: Transaction = createTransaction({
    outDir,
    root: ctx.root,
    stateDir,
    logger: ctx.logger,
    strategy: options.strategy,
    durability: options.durability,
    concurrency: options.concurrency,
    clean: options.clean === 'bundler' ? ctx.bundlerCleans : options.clean,
    lockTimeoutMs: options.lockTimeoutMs,
    history: options.history,
    bundler: ctx.bundler,
    allowDangerousOutDir: options.allowDangerousOutDir,
    publishOrder: options.publishOrder,
  })
  const files = new Set<string>()
  const sizes = startSizeCapture(options.sizes, { root: ctx.root, warn: ctx.logger.warn })
  const relative = (file: string): string => (path.isAbsolute(file) ? path.relative(outDir, file).split(path.sep).join('/') : file)

  const finish = async (report: BuildReport): Promise<BuildReport> => {
    if (!report.result) report.outDirFiles = await countFiles(outDir).catch(() => undefined)
    try {
      const alerts = (report.alerts = await observer.observe(report, { root: ctx.root, stateDir, logger: ctx.logger }))
      if (options.failOnAlert && alerts.length > 0 && report.error === undefined) {
        // The output stays committed; the adapters fail the build on any `report.error`.
        const fired = `${alerts.length === 1 ? 'an alert' : `${alerts.length} alerts`} fired ` +
          `with failOnAlert set: ${alerts.map((alert) => alert.message).join('; ')}`
        report.error = new EmitOptimizerError(
          'EO_ALERT',
          `${fired} (outDir: ${outDir}). The output was committed; raise the threshold in \`alerts\` or fix the cause.`,
        )
      }
    } catch (error) {
      // Only a required Pushgateway push throws (EO_PUSH_FAILED).
      report.error ??= error
    }
    const warn = report.status !== 'committed' || (report.alerts?.length ?? 0) > 0
    if (options.summary) (warn ? ctx.logger.warn : ctx.logger.info)(formatSummary(report))
    await options.onReport?.(report)
    return report
  }
  const base = (): Omit<BuildReport, 'status'> => ({
    bundler: ctx.bundler,
    outDir,
    startedAt,
    durationMs: performance.now() - started,
    captured: files.size,
    txId: tx.id,
    ...(ctx.target === undefined ? {} : { target: ctx.target }),
  })

  return {
    outDir,
    write(file, contents, mode, from) {
      const rel = relative(file)
      tx.write(rel, contents, { ...(mode === undefined ? {} : { mode }), ...(from === undefined ? {} : { from }) })
      files.add(rel)
      sizes.write(rel, contents)
    },
    has: (file) => files.has(relative(file)),
    delete(file) {
      const rel = relative(file)
      tx.delete(rel)
      files.delete(rel)
      sizes.delete(rel)
    },
    entries: (list) => sizes.entries(list.map((entry) => ({ name: entry.name, files: entry.files.map(relative) }))),
    async commit(released) {
      try {
        sizes.begin({ outDir, stateDir: options.stateDir })
        const result = await tx.commit().finally(released)
        // Part of the build's time: the report is complete when the build returns.
        const measured = await sizes.measure(result)
        return await finish({ ...base(), status: 'committed', result, ...(measured.sizes ? { sizes: measured.sizes } : {}), alerts: measured.alerts })
      } catch (error) {
        // The engine restores the previous output before failing, unless that failed too, in
        // which case it keeps the journal for `recover` and says so on the error.
        const pending = error instanceof EmitOptimizerError && error.recoveryPending
        return await finish({ ...base(), status: pending ? 'failed' : 'rolled-back', error, failedIn: 'commit' })
      }
    },
    async abort(error) {
      await tx.rollback()
      return finish({ ...base(), status: 'rolled-back', error, failedIn: 'build' })
    },
  }
}

/** The message a bundler shows for our error: `[EO_CODE] message`. */
export function describeError(error: unknown): string {
  return error instanceof EmitOptimizerError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error)
}
