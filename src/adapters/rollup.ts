/**
 * Rollup 4 adapter.
 *
 * Capture: the `fs` input option (Rollup >= 4.43), set in a post `options` hook. Rollup writes
 * every chunk and asset through `inputOptions.fs` (mkdir + writeFile in writeOutputFile), and so do
 * plugins using `this.fs`; wrapping it sees exactly the bytes Rollup would write, while module
 * reads pass through. Chosen over a post `generateBundle` that deletes bundle entries for
 * compatibility: that would hide the files from every other plugin's `writeBundle`, from
 * generateBundle hooks ordered after ours and from the `write()` result. Both keep the bytes in
 * memory (Rollup already holds them); the fs route costs two resolved promises per file.
 *
 * Commit: in `writeBundle` with order 'pre' and `sequential`, i.e. after Rollup's own writes and
 * before other plugins' writeBundle hooks, which thus find the files on disk as they do natively.
 *
 * Several outputs: one transaction per output directory. Outputs writing into the same directory
 * commit together, once the last of them is written (the count comes from `output` in the options,
 * as with a config file, the CLI and watch mode); outputs in different directories commit
 * separately, each as soon as its outputs are written. A failure aborts every directory not yet
 * committed. Failures in generateBundle are not announced to plugins: the directory then stays
 * uncommitted and is rolled back at `closeBundle` (or at the next build in watch mode).
 *
 * Left alone: a user-supplied `fs` (they route I/O elsewhere on purpose) and Rollup < 4.43.
 *
 * With a plugin that writes outDir by path (rollup-plugin-delete, rollup-plugin-copy; see
 * outdir-writers.ts) the `fs` capture is not used: a companion plugin appended to the build runs
 * it as an in-place session, from a first `buildStart` to a last `closeBundle`.
 */
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { InputOptions, NormalizedOutputOptions, Plugin as RollupPlugin, RollupFsModule } from 'rollup'
import { describeError, type PluginLogger } from '../plugin/capture.js'
import type { PluginInstance } from '../plugin/instance.js'
import { ownedByRun } from '../core/bundler-staging.js'
import { bundleEntries } from './entry-graph.js'
import { outputDirOf, RollupBuild } from './rollup-build.js'
import { flattenPlugins, InPlaceOutputs, inPlacePlugin, outDirWritersIn, PASS_OUTDIR } from './outdir-writers.js'

interface OutputTarget {
  dir?: string | undefined
  file?: string | undefined
}

/** Rollup's CLI, config files and watch mode pass `output` along with the input options. */
function declaredOutputs(input: InputOptions): OutputTarget[] {
  const output = (input as { output?: OutputTarget | OutputTarget[] }).output
  return output === undefined ? [] : Array.isArray(output) ? output : [output]
}

function supportsFsOption(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  return major > 4 || (major === 4 && minor >= 43)
}

const unfinished = (): Error =>
  new Error('emit-optimizer: an output of this build failed before it was written (e.g. in generateBundle); its directory was left as it was.')

export function rollupAdapter(instance: PluginInstance): Partial<RollupPlugin> {
  let build: RollupBuild | undefined
  /** The in-place sessions of the last build with outDir writers, closed by its last closeBundle. */
  let inPlace: InPlaceOutputs | undefined
  const dirOf = (output: NormalizedOutputOptions): string | undefined => (build ? outputDirOf(output) : undefined)

  return {
    options: {
      order: 'post',
      async handler(input) {
        // A watch rebuild, or a bundle that was never closed: settle what the last build left open.
        if (build?.pending) await build.fail(build.writeError ?? unfinished())
        build = undefined
        // A build whose closeBundle never reached ours (another plugin's failed): put its output back.
        await inPlace?.close(unfinished())
        inPlace = undefined
        if (input.fs) return null
        // Every declared output is in a transaction of `emit-optimizer run`: Rollup writes them itself.
        const outputs = declaredOutputs(input).map(outputDirOf)
        if (outputs.length > 0 && outputs.every((dir) => dir !== undefined && ownedByRun(dir))) return null
        const logger: PluginLogger = { info: (message) => this.info(message), warn: (message) => this.warn(message) }
        const writers = outDirWritersIn(instance, flattenPlugins(input.plugins))
        if (writers.length > 0) {
          const known = outputs.filter((dir): dir is string => dir !== undefined && !ownedByRun(dir))
          const dirs = known.length > 0 ? known : instance.options.outDir ? [path.resolve(instance.options.outDir)] : []
          if (dirs.length > 0) {
            inPlace = new InPlaceOutputs(instance, { bundler: 'rollup', root: process.cwd(), logger, writers }, dirs)
            return { ...input, plugins: [...flattenPlugins(input.plugins), inPlacePlugin(inPlace)] as InputOptions['plugins'] }
          }
          this.warn(`${writers.join(', ')} write the output directory by path, which is unknown here: ${PASS_OUTDIR}`)
        }
        if (!supportsFsOption(this.meta.rollupVersion)) {
          this.warn(`Rollup ${this.meta.rollupVersion} has no "fs" option (4.43+): output is written by Rollup, not transactionally.`)
          return null
        }
        build = new RollupBuild(instance, logger, declaredOutputs(input), fsp as unknown as RollupFsModule)
        return { ...input, fs: build.fs }
      },
    },
    renderStart(output) {
      const dir = dirOf(output)
      if (dir) build?.renderStart(dir)
    },
    generateBundle: {
      order: 'post',
      handler(output, _bundle, isWrite) {
        const dir = dirOf(output)
        if (isWrite && dir) build?.willWrite(dir)
      },
    },
    writeBundle: {
      order: 'pre',
      sequential: true,
      async handler(output, bundle) {
        const dir = dirOf(output)
        if (dir) build?.entries(dir, bundleEntries(bundle))
        const report = dir ? await build?.written(dir) : undefined
        if (report?.error !== undefined) this.error(describeError(report.error))
      },
    },
    async renderError(error) {
      await build?.fail(error)
    },
    async buildEnd(error) {
      if (error) await build?.fail(error)
    },
    async closeBundle(error) {
      if (error) await build?.fail(error)
      else if (build?.pending) await build.fail(build.writeError ?? unfinished())
      // `bundle.close()` must not resolve while another output's commit still changes outDir.
      await build?.settled()
    },
  }
}
