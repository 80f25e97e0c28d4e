import path from 'node:path'
import type { OutputOptions, Plugin as RolldownPlugin, PluginContext } from 'rolldown'
import { describeError, startCapture, type PluginLogger } from '../plugin/capture.js'
import type { PluginInstance } from '../plugin/instance.js'
import { ownedByRun, stagingDirFor } from '../core/bundler-staging.js'
import { captureDir, removeDir, sweepStaleStaging } from './staging.js'
import { warmUpEngine } from '../core/warm-up.js'

/**
 * Rolldown (JS API, CLI, `watch()`).
 *
 * Mechanism: the `outputOptions` hook points `dir` (or `file`) at a staging sibling of the real
 * output directory (see staging.ts); Rolldown writes there, other plugins' `writeBundle` sees
 * that directory too. A post `writeBundle` (Rolldown runs plugin hooks one after another, so it
 * runs after every other plugin's) captures the staging dir, commits it to the real directory
 * and removes it; `write()` resolves after the commit. `closeBundle` is not used for the commit:
 * with the JS API it only runs if the caller remembers `bundle.close()`.
 *
 * Rejected: deleting the bundle's entries in a post `generateBundle` and writing them ourselves.
 * Rolldown has no `fs` output option, `write()` would then return an empty output and other
 * plugins' `writeBundle` would see no files. Rolldown writes serially from Rust, so the staging
 * write costs what the plain build costs; reading it back is close to the hashing the engine
 * does anyway.
 *
 * `output.cleanDir` empties the staging dir instead, and takes effect at commit (`bundlerCleans`).
 * Several outputs (`write()` called per output, or an `output` array in the CLI config) commit
 * separately, each when its own `write()` finishes.
 */

interface Target {
  outDir: string
  staging: string
  bundlerCleans: boolean
}

interface Current {
  target: Target
  settled: boolean
}

const contextLogger = (ctx: Pick<PluginContext, 'info' | 'warn'>): PluginLogger => ({
  info: (message) => ctx.info(message),
  warn: (message) => ctx.warn(message),
})

export function rolldownAdapter(instance: PluginInstance): Partial<RolldownPlugin> {
  /** Rolldown resolves relative output paths against its `cwd` option. */
  let root = process.cwd()
  /** staging dir → target, from `outputOptions`. */
  const targets = new Map<string, Target>()
  let current: Current | undefined

  const abort = async (ctx: Pick<PluginContext, 'info' | 'warn'>, target: Target, error: unknown): Promise<void> => {
    removeDir(target.staging)
    await startCapture(instance, { bundler: 'rolldown', outDir: target.outDir, root, bundlerCleans: target.bundlerCleans, logger: contextLogger(ctx) }).abort(
      error,
    )
  }

  return {
    outputOptions(output: OutputOptions) {
      const real = output.dir ?? (output.file ? path.dirname(output.file) : 'dist')
      const outDir = path.resolve(root, real)
      if (ownedByRun(outDir)) return null
      const staging = stagingDirFor(outDir)
      targets.set(staging, { outDir, staging, bundlerCleans: output.cleanDir ?? false })
      sweepStaleStaging(outDir)
      return output.file && !output.dir ? { ...output, file: path.join(staging, path.basename(output.file)) } : { ...output, dir: staging }
    },
    buildStart(inputOptions) {
      warmUpEngine()
      root = inputOptions.cwd ?? root
    },
    async buildEnd(error) {
      // A build error happens before any output options are known: report against the outputs
      // of earlier builds (watch mode), else Rolldown's default `dist`.
      if (!error) return
      const known = [...targets.values()]
      if (known.length === 0) known.push({ outDir: path.resolve(root, 'dist'), staging: stagingDirFor(path.resolve(root, 'dist')), bundlerCleans: false })
      for (const target of known) await abort(this, target, error)
    },
    renderStart(outputOptions) {
      const target = targets.get(path.resolve(outputOptions.dir ?? path.dirname(outputOptions.file ?? 'dist')))
      current = target ? { target, settled: false } : undefined
      // Leftovers of this process's own failed write; `cleanDir` is not on by default.
      if (target) removeDir(target.staging)
    },
    async renderError(error) {
      if (!current || current.settled) return
      current.settled = true
      await abort(this, current.target, error)
    },
    writeBundle: {
      order: 'post',
      async handler() {
        if (!current || current.settled) return
        current.settled = true
        const { target } = current
        const capture = startCapture(instance, {
          bundler: 'rolldown',
          outDir: target.outDir,
          root,
          bundlerCleans: target.bundlerCleans,
          logger: contextLogger(this),
        })
        try {
          // Adopted: the commit renames the staged files into place; the staging dir goes after it.
          captureDir(capture, target.staging, true)
        } catch (error) {
          removeDir(target.staging)
          await capture.abort(error)
          this.error(describeError(error))
        }
        const report = await capture.commit(() => removeDir(target.staging))
        if (report.error !== undefined) this.error(describeError(report.error))
      },
    },
    async closeBundle(error) {
      // Rolldown's own write failed (writeBundle never ran): the real outDir was not touched.
      if (!current || current.settled) return
      current.settled = true
      await abort(
        this,
        current.target,
        error ?? new Error(`[emit-optimizer] the bundle was not written to ${current.target.outDir}; keeping the previous output.`),
      )
    },
  }
}
