import path from 'node:path'
import type { Plugin as VitePlugin, ResolvedConfig } from 'vite'
import { describeError, startCapture, type OutputCapture, type PluginLogger } from '../plugin/capture.js'
import type { PluginInstance } from '../plugin/instance.js'
import { ownedByRun, stagingDirFor } from '../core/bundler-staging.js'
import { captureDir, removeDir, sweepStaleStaging } from './staging.js'
import { frameworkWarning } from './vite-frameworks.js'
import { warmUpEngine } from '../core/warm-up.js'
import { bundleEntries } from './entry-graph.js'
import type { EntryPoint } from '../observe/size/entry-point.js'
import { InPlaceOutputs, outDirWritersIn } from './outdir-writers.js'

/**
 * Vite 8 (Rolldown inside).
 *
 * Mechanism: `build.outDir` (and any `rolldownOptions.output[].dir`) is redirected in
 * `configResolved` to a staging sibling of the real outDir (see staging.ts), with
 * `emptyOutDir: true` for that staging dir. Everything that would land in outDir lands there
 * instead: Rolldown's chunks and assets, the publicDir copy made by `vite:prepare-out-dir`, and
 * files other plugins write into `build.outDir` themselves (compression, PWA, sitemap plugins
 * write with `fs` in `writeBundle`/`closeBundle`). In a post `closeBundle`, after every other
 * plugin, the staging dir is captured, committed to the real outDir in one transaction and
 * removed. The user's `emptyOutDir` is applied at commit (`bundlerCleans`), so a failed build
 * no longer empties dist (measured: an error in `generateBundle` left only the public files).
 *
 * Rejected: capturing the bundle in a post `generateBundle` and deleting its entries. Cheaper
 * (no staging write), but Vite's own post plugins run after ours, other plugins' `writeBundle`
 * would see an empty bundle, `build()` would return no output, Vite's size report would be
 * empty, and direct `fs` writes by plugins would bypass the transaction. Measured (600 chunks
 * + 20 public files, 2 shared cores): reading the staging dir back takes 11–21 ms, hashing in the
 * commit's plan 7–25 ms; Rolldown's own write to staging costs what a plain build pays for dist.
 * Zero copy: the staged files are not written again but renamed into place by the commit
 * (captureDir's `adopt`), so removing the staging dir afterwards removes only what stayed
 * (unchanged files and empty directories).
 *
 * Vite's size report names the output dir: the logger is wrapped so it shows the real one.
 *
 * Several environments (client + SSR, `builder.buildApp`): each environment is built on its own
 * and commits its own outDir(s) at the end of its own build, separately: a failing SSR build
 * keeps the previous SSR output, the client output already committed stays. Several
 * `rolldownOptions.output` entries of one environment commit one after another in its
 * `closeBundle`, after all of them were written.
 *
 * With a plugin that writes outDir by path (rollup-plugin-delete, rollup-plugin-copy; see
 * outdir-writers.ts) nothing is redirected: each environment's build runs as an in-place session
 * from a first `buildStart` to a last `closeBundle`. `configResolved` runs first so plugins that
 * read `build.outDir` there (vite-plugin-compression) follow the redirection.
 */

interface Target {
  /** The real output directory. */
  outDir: string
  staging: string
  /** The user's `emptyOutDir` as Vite would resolve it. */
  bundlerCleans: boolean
}

interface BuildState {
  targets: Target[]
  written: Set<string>
  /** Entry points per written dir (staging), for the size report. */
  entries: Map<string, EntryPoint[]>
  settled: boolean
  error: unknown
}

interface OutputWithDir {
  dir?: string
}

/**
 * Vite's size report and warnings name the output dir; show the real one instead of the
 * staging dir (a sibling, so swapping the last path segment gives the real relative path).
 */
function hideStaging(config: ResolvedConfig, targets: Target[]): void {
  if (targets.length === 0) return
  const swap = (message: string): string => targets.reduce((text, t) => text.replaceAll(path.basename(t.staging), path.basename(t.outDir)), message)
  const { logger } = config
  const info = logger.info.bind(logger)
  const warn = logger.warn.bind(logger)
  logger.info = (message, opts) => info(swap(message), opts)
  logger.warn = (message, opts) => warn(swap(message), opts)
}

function viteLogger(config: ResolvedConfig): PluginLogger {
  return { info: (message) => config.logger.info(message), warn: (message) => config.logger.warn(message) }
}

export function viteAdapter(instance: PluginInstance): Partial<VitePlugin> {
  /** Targets per environment name, from the resolved config. */
  const targetsByEnv = new Map<string, Target[]>()
  const builds = new Map<string, BuildState>()
  let logger: PluginLogger | undefined
  let root = process.cwd()
  /** Plugins writing outDir by path (then every environment builds in place), empty otherwise. */
  let writers: string[] = []
  const inPlace = new Map<string, InPlaceOutputs>()

  /** The output directories an environment's build writes, one per output (Vite's getResolvedOutDirs). */
  const outputDirs = (build: ResolvedConfig['build']): string[] => {
    const outDir = path.resolve(root, build.outDir)
    const output = build.rolldownOptions.output as OutputWithDir | OutputWithDir[] | undefined
    const entries = output === undefined ? [{}] : Array.isArray(output) ? output : [output]
    return entries.map((entry) => (entry.dir ? path.resolve(root, entry.dir) : outDir)).filter((dir) => build.write && !ownedByRun(dir))
  }

  const redirect = (build: ResolvedConfig['build']): Target[] => {
    const outDir = path.resolve(root, build.outDir)
    if (!build.write || ownedByRun(outDir)) return []
    // Vite's own rule (resolveEmptyOutDir): unset means "empty it when it is inside root".
    const bundlerCleans = build.emptyOutDir ?? !path.relative(root, outDir).startsWith('..')
    const targets: Target[] = []
    const stage = (dir: string): string => {
      const staging = stagingDirFor(dir)
      if (!targets.some((t) => t.outDir === dir)) targets.push({ outDir: dir, staging, bundlerCleans })
      return staging
    }
    // Like Vite's getResolvedOutDirs: with `rolldownOptions.output`, the outputs' dirs (an output
    // without `dir` uses build.outDir) are the output directories, each emptied and given the
    // public dir.
    const output = build.rolldownOptions.output as OutputWithDir | OutputWithDir[] | undefined
    if (output) {
      const redirected = (Array.isArray(output) ? output : [output]).map((entry) =>
        entry.dir ? { ...entry, dir: stage(path.resolve(root, entry.dir)) } : (stage(outDir), entry),
      )
      // A copy: environments may share the user's rolldownOptions object.
      build.rolldownOptions = { ...build.rolldownOptions, output: (Array.isArray(output) ? redirected : redirected[0]) as typeof build.rolldownOptions.output }
    } else stage(outDir)
    build.outDir = stagingDirFor(outDir)
    build.emptyOutDir = true
    for (const target of targets) sweepStaleStaging(target.outDir)
    return targets
  }

  const settle = async (env: string, state: BuildState, error: unknown): Promise<OutputCapture[] | undefined> => {
    if (state.settled) return undefined
    state.settled = true
    const captures = state.targets.map((target) =>
      startCapture(instance, { bundler: 'vite', outDir: target.outDir, root, bundlerCleans: target.bundlerCleans, logger: logger! }),
    )
    if (error !== undefined) {
      for (const target of state.targets) removeDir(target.staging)
      await Promise.all(captures.map((capture) => capture.abort(error)))
      builds.delete(env)
      return undefined
    }
    return captures
  }

  const stateOf = (env: string): BuildState => {
    let state = builds.get(env)
    if (!state) {
      state = { targets: targetsByEnv.get(env) ?? [], written: new Set(), entries: new Map(), settled: false, error: undefined }
      builds.set(env, state)
    }
    return state
  }

  return {
    configResolved: {
      // Before other plugins read `build.outDir` (compression plugins keep it from here).
      order: 'pre',
      handler(config) {
        root = config.root
        logger = viteLogger(config)
        // A framework that reads its Vite output back or writes outDir after the bundle: stay out
        // of its build entirely (no target, so no hook does anything) and name the entry to use.
        const framework = frameworkWarning(config)
        if (framework !== undefined) {
          if (framework) logger.warn(framework)
          return
        }
        writers = outDirWritersIn(instance, config.plugins)
        if (writers.length > 0) return
        const top = redirect(config.build)
        // `config.build` is a copy of the built environment's options: redirect both.
        for (const [name, env] of Object.entries(config.environments)) {
          const targets = redirect(env.build)
          targetsByEnv.set(name, targets.length > 0 ? targets : top.filter((t) => t.staging === env.build.outDir))
        }
        if (!targetsByEnv.has('client')) targetsByEnv.set('client', top)
        hideStaging(config, [...new Set([...top, ...[...targetsByEnv.values()].flat()])])
      },
    },
    buildStart: {
      // First: rollup-plugin-delete empties outDir in its buildStart.
      order: 'pre',
      sequential: true,
      async handler() {
        warmUpEngine()
        const env = this.environment.name
        if (writers.length > 0 && !inPlace.has(env)) {
          const dirs = outputDirs(this.environment.config.build)
          if (dirs.length === 0) return
          const outputs = new InPlaceOutputs(instance, { bundler: 'vite', root, logger: logger!, writers }, dirs)
          inPlace.set(env, outputs)
          await outputs.open()
        }
        // Rolldown runs the build hooks again for each of several outputs: keep what they wrote.
        // A settled build is removed from `builds`, so the next (watch) build starts fresh.
        stateOf(env)
      },
    },
    async buildEnd(error) {
      if (error) inPlace.get(this.environment.name)?.failed(error)
      if (error) await settle(this.environment.name, stateOf(this.environment.name), error)
    },
    async renderError(error) {
      inPlace.get(this.environment.name)?.failed(error)
      await settle(this.environment.name, stateOf(this.environment.name), error)
    },
    // Post: Rolldown runs hooks one after another, so a `writeBundle` that fails before ours
    // leaves the output unmarked and the build is rolled back.
    writeBundle: {
      order: 'post',
      handler(outputOptions, bundle) {
        if (!outputOptions.dir) return
        inPlace.get(this.environment.name)?.written(outputOptions.dir)
        const state = stateOf(this.environment.name)
        const dir = path.resolve(outputOptions.dir)
        state.written.add(dir)
        state.entries.set(dir, [...(state.entries.get(dir) ?? []), ...bundleEntries(bundle, root)])
      },
    },
    closeBundle: {
      order: 'post',
      async handler(error?: Error) {
        const env = this.environment.name
        const outputs = inPlace.get(env)
        if (outputs) {
          inPlace.delete(env)
          const failure = await outputs.close(error)
          if (failure !== undefined) this.error(describeError(failure))
        }
        const state = builds.get(env)
        if (!state || state.settled || state.targets.length === 0) return
        const unwritten = state.targets.find((t) => !state.written.has(t.staging))
        const captures = await settle(
          env,
          state,
          unwritten ? new Error(`[emit-optimizer] the bundle was not written to ${unwritten.outDir}; keeping the previous output.`) : undefined,
        )
        if (!captures) return
        builds.delete(env)
        let failure: unknown
        for (const [i, target] of state.targets.entries()) {
          const capture = captures[i]!
          try {
            // Adopted: the commit renames the staged files into place; the staging dir goes after it.
            captureDir(capture, target.staging, true)
            capture.entries(state.entries.get(target.staging) ?? [])
          } catch (error) {
            removeDir(target.staging)
            await capture.abort(error)
            failure ??= error
            continue
          }
          const report = await capture.commit(() => removeDir(target.staging))
          if (report.error !== undefined) failure ??= report.error
        }
        if (failure !== undefined) this.error(describeError(failure))
      },
    },
  }
}
