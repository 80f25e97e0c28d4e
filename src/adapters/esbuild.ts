/**
 * esbuild adapter.
 *
 * Capture: `write: false` set in setup, `result.outputFiles` committed in `onEnd` (which also runs
 * for failed builds: `result.errors`). It is esbuild's only supported way to see output before it
 * hits the disk, and the bytes are already in memory; afterwards `outputFiles` is removed again so
 * the build result looks like that of a writing build. Each `build()`, `context().rebuild()` and
 * watch rebuild is one transaction; a failed one commits nothing (natively esbuild's watch mode
 * deletes the outputs of a failed build), so the last good output stays.
 *
 * Left alone: builds where the user set `write: false` (they want `outputFiles` themselves) and
 * builds with neither `outdir` nor `outfile` (output goes to stdout).
 */
import path from 'node:path'
import type { PartialMessage, PluginBuild } from 'esbuild'
import { describeError, startCapture, type PluginLogger } from '../plugin/capture.js'
import type { PluginInstance } from '../plugin/instance.js'
import { ownedByRun } from '../core/bundler-staging.js'
import { warmUpEngine } from '../core/warm-up.js'
import { metafileEntries } from './entry-graph.js'

const PLUGIN_NAME = 'unplugin-emit-optimizer'

/** esbuild creates files starting with a hashbang executable (0o755 before the umask). */
function modeOf(contents: Uint8Array, umask: number): number | undefined {
  return contents[0] === 0x23 && contents[1] === 0x21 ? 0o755 & ~umask : undefined
}

function loggerFor({ logger }: PluginInstance['options'], logLevel: string | undefined): PluginLogger {
  if (logger) {
    return { info: (message) => (logger.info ? logger.info(message) : logger.warn(message)), warn: (message) => logger.warn(message) }
  }
  const quiet = logLevel === 'silent' || logLevel === 'error'
  const print = (message: string): void => {
    if (!quiet) process.stderr.write(`${message}\n`)
  }
  return { info: print, warn: print }
}

/** Why the build failed, from esbuild's messages (the build itself fails with esbuild's own error). */
function buildError(errors: ReadonlyArray<PartialMessage>): Error {
  return new Error(`esbuild build failed: ${errors.map((message) => message.text ?? '').join('; ')}`)
}

export function esbuildAdapter(build: PluginBuild, instance: PluginInstance): void {
  const initial = build.initialOptions
  if (initial.write === false) return
  const root = initial.absWorkingDir ?? process.cwd()
  const outDir = initial.outdir ? path.resolve(root, initial.outdir) : initial.outfile ? path.dirname(path.resolve(root, initial.outfile)) : undefined
  // Unknown output, or one whose transaction `emit-optimizer run` owns: esbuild writes it itself.
  if (outDir === undefined || ownedByRun(outDir)) return
  initial.write = false
  // The entry points' initial-load files come from the metafile: asked for when sizes are on, and
  // removed from the result again unless the user asked for it too.
  const ownMetafile = instance.options.sizes !== false && !initial.metafile
  if (ownMetafile) initial.metafile = true
  const logger = loggerFor(instance.options, initial.logLevel)
  const umask = process.umask()
  build.onStart(() => warmUpEngine())

  build.onEnd(async (result) => {
    const capture = startCapture(instance, { bundler: 'esbuild', outDir, root, bundlerCleans: false, logger })
    const files = result.outputFiles ?? []
    result.outputFiles = undefined
    const metafile = result.metafile
    if (ownMetafile) result.metafile = undefined
    if (result.errors.length > 0) {
      await capture.abort(buildError(result.errors))
      return undefined
    }
    try {
      for (const file of files) capture.write(file.path, file.contents, modeOf(file.contents, umask))
      if (metafile) capture.entries(metafileEntries(metafile, root))
    } catch (error) {
      // An output outside outDir (EO_PATH_ESCAPE): nothing is written.
      await capture.abort(error)
      return { errors: [{ pluginName: PLUGIN_NAME, text: describeError(error) }] }
    }
    const report = await capture.commit()
    if (report.error === undefined) return undefined
    return { errors: [{ pluginName: PLUGIN_NAME, text: describeError(report.error) }] }
  })
}
