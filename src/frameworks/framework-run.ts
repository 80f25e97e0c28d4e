import { captureDir, removeDir, removeDirLater, sweepStaleStaging } from '../adapters/staging.js'
import { stagingDirFor } from '../core/bundler-staging.js'
import { startCapture, type PluginLogger } from '../plugin/capture.js'
import type { PluginInstance } from '../plugin/instance.js'
import type { BuildReport, BundlerName } from '../observe/types.js'

/**
 * One framework build as one transaction (Astro, Nuxt): the framework's final output directory is
 * redirected to a staging sibling (same filesystem, same depth) for the whole run, so the bundler
 * builds, the prerendered pages and whatever integrations write afterwards all land there. At the
 * framework's own end the staging dir is committed to the real directory at once; a failure
 * anywhere before that drops the staging dir and the real directory is never touched. The
 * framework's own emptying (`clean`) is applied at commit.
 *
 * The run opens no transaction until the commit: a build that dies (even by `process.exit` in the
 * framework's CLI) has changed nothing but the staging dir, which is removed on exit and, after a
 * kill -9, by the next build's sweep.
 */
export interface FrameworkRun {
  /** The real output directory. */
  readonly outDir: string
  /** Where the framework writes during the run. */
  readonly staging: string
  /** Whether the run already committed or failed. */
  readonly settled: boolean
  /** Commits the staging dir to outDir; throws the error when the commit failed (outDir restored). */
  commit(): Promise<BuildReport>
  /** The build failed: outDir stays as it was, the report says rolled-back. Once per run. */
  fail(error: unknown): Promise<void>
}

export interface FrameworkRunContext {
  bundler: BundlerName
  outDir: string
  root: string
  /** Whether the framework empties its output dir before building (then applied at commit). */
  clean: () => boolean
  logger: PluginLogger
}

export function startFrameworkRun(instance: PluginInstance, ctx: FrameworkRunContext): FrameworkRun {
  const staging = stagingDirFor(ctx.outDir)
  sweepStaleStaging(ctx.outDir)
  // A previous run of this process (programmatic builds) may have left its staging dir.
  removeDir(staging)
  let settled = false
  const onExit = (): void => removeDir(staging)
  process.once('exit', onExit)
  const settle = (): void => {
    settled = true
    process.removeListener('exit', onExit)
  }
  const capture = () => startCapture(instance, { bundler: ctx.bundler, outDir: ctx.outDir, root: ctx.root, bundlerCleans: ctx.clean(), logger: ctx.logger })

  return {
    outDir: ctx.outDir,
    staging,
    get settled() {
      return settled
    },
    async commit() {
      if (settled) throw new Error(`[emit-optimizer] the build of ${ctx.outDir} was already settled; nothing to commit.`)
      settle()
      const tx = capture()
      try {
        captureDir(tx, staging)
      } catch (error) {
        removeDir(staging)
        const report = await tx.abort(error)
        throw report.error
      }
      const removal = removeDirLater(staging)
      const report = await tx.commit()
      await removal
      if (report.error !== undefined) throw report.error
      return report
    },
    async fail(error) {
      if (settled) return
      settle()
      removeDir(staging)
      await capture().abort(error)
    },
  }
}

/** `dir` relative to `from` when it lies inside it (or is it), else undefined. */
export function insideOf(from: string, dir: string): string | undefined {
  const rel = dir === from ? '' : dir.startsWith(`${from}/`) ? dir.slice(from.length + 1) : undefined
  return rel
}

