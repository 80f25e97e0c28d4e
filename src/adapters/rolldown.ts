import path from 'node:path'
import type { OutputOptions, Plugin as RolldownPlugin, PluginContext } from 'rolldown'
import { describeError, startCapture, type PluginLogger } from '../plugin/capture.js'
import type { PluginInstance } from '../plugin/instance.js'
import { ownedByRun, stagingDirFor } from '../core/bundler-staging.js'
import { warmUpEngine } from '../core/warm-up.js'
import { bundleEntries } from './entry-graph.js'
import { captureDir, removeDir, sweepStaleStaging } from './staging.js'
import { flattenPlugins, InPlaceOutputs, outDirWritersIn, PASS_OUTDIR } from './outdir-writers.js'

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
 *
 * With a plugin that writes outDir by path (rollup-plugin-delete, rollup-plugin-copy; see
 * outdir-writers.ts) nothing is redirected: the build runs as an in-place session on the
 * plugin's `outDir` option (Rolldown tells the output directory only at write time, after the
 * delete ran), from a first `buildStart` to a last `closeBundle`.
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
  /** Plugins writing outDir by path, from the input options; the build's in-place sessions. */
  let writers: string[] = []
  let inPlace: InPlaceOutputs | undefined

  const abort = async (ctx: Pick<PluginContext, 'info' | 'warn'>, target: Target, error: unknown): Promise<void> => {
    removeDir(target.staging)
    await startCapture(instance, { bundler: 'rolldown', outDir: target.outDir, root, bundlerCleans: target.bundlerCleans, logger: contextLogger(ctx) }).abort(
      error,
    )
  }

  return {
    options(input) {
      writers = outDirWritersIn(instance, flattenPlugins(input.plugins))
      return null
    },
    outputOptions(output: OutputOptions) {
      // Builds in place (Rolldown builds lazily: this runs before buildStart).
      if (writers.length > 0 && instance.options.outDir) return null
      const real = output.dir ?? (output.file ? path.dirname(output.file) : 'dist')
      const outDir = path.resolve(root, real)
      if (ownedByRun(outDir)) return null
      const staging = stagingDirFor(outDir)
      targets.set(staging, { outDir, staging, bundlerCleans: output.cleanDir ?? false })
      sweepStaleStaging(outDir)
      return output.file && !output.dir ? { ...output, file: path.join(staging, path.basename(output.file)) } : { ...output, dir: staging }
    },
    buildStart: {
      // First: rollup-plugin-delete empties outDir in its buildStart.
      order: 'pre',
      async handler(inputOptions) {
        warmUpEngine()
        root = inputOptions.cwd ?? root
        // A build whose closeBundle never reached ours (the JS API without `bundle.close()`).
        await inPlace?.close(new Error('[emit-optimizer] the previous build was not closed; keeping the output before it.'))
        inPlace = undefined
        if (writers.length === 0) return
        const { outDir } = instance.options
        if (!outDir || ownedByRun(path.resolve(root, outDir))) {
          if (!outDir) this.warn(`${writers.join(', ')} write the output directory by path: ${PASS_OUTDIR}`)
          return
        }
        inPlace = new InPlaceOutputs(instance, { bundler: 'rolldown', root, logger: contextLogger(this), writers }, [path.resolve(root, outDir)])
        await inPlace.open()
      },
    },
    async buildEnd(error) {
      if (error) inPlace?.failed(error)
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
      inPlace?.failed(error)
      if (!current || current.settled) return
      current.settled = true
      await abort(this, current.target, error)
    },
    writeBundle: {
      order: 'post',
      async handler(outputOptions, bundle) {
        if (inPlace) inPlace.written(outputOptions.dir ?? path.dirname(outputOptions.file ?? ''))
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
          capture.entries(bundleEntries(bundle))
        } catch (error) {
          removeDir(target.staging)
          await capture.abort(error)
          this.error(describeError(error))
        }
        const report = await capture.commit(() => removeDir(target.staging))
        if (report.error !== undefined) this.error(describeError(report.error))
      },
    },
    closeBundle: {
      // Last: compression and sitemap plugins write in their closeBundle.
      order: 'post',
      async handler(error) {
        const outputs = inPlace
        inPlace = undefined
        const failure = await outputs?.close(error)
        if (failure !== undefined) this.error(describeError(failure))
        // Rolldown's own write failed (writeBundle never ran): the real outDir was not touched.
        if (!current || current.settled) return
        current.settled = true
        await abort(
          this,
          current.target,
          error ?? new Error(`[emit-optimizer] the bundle was not written to ${current.target.outDir}; keeping the previous output.`),
        )
      },
    },
  }
}
