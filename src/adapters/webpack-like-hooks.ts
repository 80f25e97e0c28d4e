import path from 'node:path'
import { describeError, startCapture, type PluginLogger } from '../plugin/capture.js'
import type { PluginInstance } from '../plugin/instance.js'
import type { BundlerName } from '../observe/types.js'
import { ownedByRun } from '../core/bundler-staging.js'
import { warmUpEngine } from '../core/warm-up.js'
import type { EmitOptimizerError } from '../errors.js'
import type { BuildSink } from './output-group.js'
import { CaptureFs, escapeError, type CallbackFs } from './webpack-like.js'

/**
 * The build lifecycle webpack 5 and Rspack 2 share, wired to one capture per compilation:
 *
 * `initialize` → swap `compiler.outputFileSystem` for the capturing overlay (webpack's
 * NodeEnvironmentPlugin and Rspack's RspackOptionsApply have set the real one by then; Rspack
 * hands it to its native compiler at the first build, so later is too late) →
 * `thisCompilation` → capture from here (Rspack cleans before `emit`) → `emit` (last) → remember every asset →
 * the bundler writes through the overlay → `afterEmit` (last) → commit or abort.
 *
 * The commit runs in `afterEmit`, not `done`: the compilation still accepts errors there, so a
 * failed commit is pushed onto `compilation.errors` (with its EO_ code) and the build fails
 * through the bundler's own reporting; `afterEmit` is skipped when a write or an `emit`/
 * `assetEmitted` hook fails, so such builds end in `failed` (or `done`) and are aborted there.
 * A build with errors is never committed, also where the bundler emits anyway (development
 * mode, `optimization.emitOnErrors`). Neither is one that wrote outside output.path, or has an
 * asset named so (`../evil.txt`): each such path becomes an EO_PATH_ESCAPE compilation error,
 * whether the bundler wrote it (the overlay refused it) or skipped it as already on disk.
 *
 * A compiler commits its own output path on its own, unless `route` sends its builds elsewhere:
 * the compilers of a MultiCompiler that share an output path, or an Rsbuild build, commit as one
 * group (src/adapters/output-group.ts).
 */

const NAME = 'unplugin-emit-optimizer'

export interface WebpackLikeAsset {
  name: string
  source: { buffer(): Buffer }
  info: { mode?: number }
}

export interface WebpackLikeCompilation {
  errors: unknown[]
  getAssets(): readonly WebpackLikeAsset[]
  getStats(): { hasErrors(): boolean }
  /** Entry name → its chunk group; `getFiles()` lists the files of its initial chunks (JS and CSS, no async chunks). */
  entrypoints: ReadonlyMap<string, { getFiles(): readonly string[] }>
}

interface Tap {
  name: string
  stage?: number
}

/** The part of webpack's and Rspack's `Compiler` the adapters use. */
export interface WebpackLikeCompiler {
  context: string
  outputPath: string
  outputFileSystem: unknown
  hooks: {
    initialize: { tap(tap: string, fn: () => void): void }
    thisCompilation: { tap(tap: string, fn: (compilation: WebpackLikeCompilation) => void): void }
    emit: { tapPromise(tap: Tap, fn: (compilation: WebpackLikeCompilation) => Promise<void>): void }
    afterEmit: { tapPromise(tap: Tap, fn: (compilation: WebpackLikeCompilation) => Promise<void>): void }
    done: { tapPromise(tap: Tap, fn: (stats: { compilation: WebpackLikeCompilation }) => Promise<void>): void }
    failed: { tap(tap: string, fn: (error: Error) => void): void }
  }
  getInfrastructureLogger(name: string): { info(...args: unknown[]): void; warn(...args: unknown[]): void }
}

/** Where a compiler's builds go instead of a transaction of their own. */
export interface BuildRoute {
  /** The sink of a build starting now, writing under `root`. */
  open(root: string): BuildSink
  /** Logs this compiler's warnings (the framework's logger, not the infrastructure logger). */
  logger?: PluginLogger
}

export interface WebpackLikeSpec {
  bundler: Extract<BundlerName, 'webpack' | 'rspack'>
  /** The bundler's error class for `compilation.errors`. */
  createError(message: string): Error
}

interface Build {
  compilation: WebpackLikeCompilation
  /** Started by the first write or delete, or when emitting starts: its duration is emit + commit. */
  capture: BuildSink | undefined
  /** The output path the bundler writes under. */
  root: string
  assets: readonly WebpackLikeAsset[]
  /** Refused writes (outside `root`, or under a name the engine rejects), by absolute path. */
  refused: Map<string, EmitOptimizerError>
}

/**
 * Where webpack's emitAssets writes an asset: its name without `?query`/`#hash`, joined to root
 * (so `/x` stays under it); `rel` is undefined when that is outside root.
 */
function targetOf(root: string, name: string): { abs: string; rel: string | undefined } {
  const cut = name.search(/[?#]/)
  const abs = path.join(root, cut >= 0 ? name.slice(0, cut) : name)
  return { abs, rel: abs.startsWith(root + path.sep) ? path.relative(root, abs).split(path.sep).join('/') : undefined }
}

/** The bundler's infrastructure logger (`infrastructureLogging`), as the plugin's logger. */
export function infrastructureLogger(compiler: WebpackLikeCompiler): PluginLogger {
  const infra = compiler.getInfrastructureLogger('emit-optimizer')
  return { info: (message) => infra.info(message), warn: (message) => infra.warn(message) }
}

export function applyWebpackLike(compiler: WebpackLikeCompiler, instance: PluginInstance, spec: WebpackLikeSpec, route?: BuildRoute): void {
  const logger: PluginLogger = route?.logger ?? infrastructureLogger(compiler)
  let overlay: CaptureFs | undefined
  let build: Build | undefined

  compiler.hooks.initialize.tap(NAME, () => {
    if (!compiler.outputFileSystem || compiler.outputFileSystem instanceof CaptureFs) return
    overlay = new CaptureFs(compiler.outputFileSystem as CallbackFs)
    compiler.outputFileSystem = overlay
  })

  const captureOf = (current: Build): BuildSink =>
    (current.capture ??= route
      ? route.open(current.root)
      : startCapture(instance, { bundler: spec.bundler, outDir: current.root, root: compiler.context, bundlerCleans: false, logger }))
  const close = (): Build | undefined => {
    const current = build
    build = undefined
    const refused = overlay?.end()
    if (current && refused) for (const [file, error] of refused) current.refused.set(file, error)
    return current
  }
  // abort() never throws but for a throwing onReport, which must not break the bundler's hooks.
  // A build that fails before emitting still gets its (rolled-back) report.
  const abort = async (current: Build | undefined, error: unknown): Promise<void> => {
    if (!current) return
    overlay?.drop(current.root)
    await captureOf(current).abort(error).catch((reason: unknown) => logger.warn(describeError(reason)))
  }

  compiler.hooks.thisCompilation.tap(NAME, (compilation) => {
    void abort(close(), new Error('a new compilation started before the previous one emitted'))
    // Something else took over the output (webpack-dev-middleware's memory fs): stay out of it.
    if (!overlay || compiler.outputFileSystem !== overlay) return
    const root = path.resolve(compiler.outputPath)
    const outDir = instance.options.outDir ? path.resolve(compiler.context, instance.options.outDir) : root
    // `emit-optimizer run` owns this directory's transaction: the bundler writes it directly.
    if (ownedByRun(outDir)) return
    warmUpEngine()
    const current: Build = { compilation, capture: undefined, root, assets: [], refused: new Map() }
    build = current
    // From here on: Rspack cleans output.path before the JS `emit` hook runs.
    overlay.begin(() => captureOf(current), current.root, outDir)
  })

  // Start the capture's clock no later than emitting.
  compiler.hooks.emit.tapPromise({ name: NAME, stage: -Infinity }, async (compilation) => {
    if (build?.compilation === compilation) captureOf(build)
  })

  compiler.hooks.emit.tapPromise({ name: NAME, stage: Infinity }, async (compilation) => {
    // Sources are swapped for size-only stubs while emitting: keep the real ones for the files the
    // bundler skips writing because they are already in outDir (compareBeforeEmit, unchanged in watch).
    if (build?.compilation === compilation) build.assets = compilation.getAssets()
  })

  compiler.hooks.afterEmit.tapPromise({ name: NAME, stage: Infinity }, async (compilation) => {
    if (build?.compilation !== compilation) return
    const current = close()!
    const capture = captureOf(current)
    const bundlerError = compilation.errors[0]
    const targets = current.assets.map((asset) => ({ asset, ...targetOf(current.root, asset.name) }))
    for (const { abs, rel } of targets) if (rel === undefined && !current.refused.has(abs)) current.refused.set(abs, escapeError(current.root, abs, 'asset'))
    for (const error of current.refused.values()) compilation.errors.push(spec.createError(describeError(error)))
    if (compilation.getStats().hasErrors()) {
      return void (await abort(current, bundlerError ?? current.refused.values().next().value ?? new Error('the compilation has errors')))
    }
    try {
      for (const { asset, rel } of targets) {
        if (rel !== undefined && !capture.has(rel)) capture.write(rel, asset.source.buffer(), asset.info.mode)
      }
    } catch (error) {
      compilation.errors.push(spec.createError(describeError(error)))
      return void (await abort(current, error))
    }
    capture.entries(
      [...compilation.entrypoints].map(([name, entrypoint]) => ({
        name,
        files: entrypoint.getFiles().flatMap((file) => targetOf(current.root, file).rel ?? []),
      })),
    )
    const report = await capture.commit()
    if (report?.error !== undefined) compilation.errors.push(spec.createError(describeError(report.error)))
  })

  compiler.hooks.done.tapPromise({ name: NAME, stage: -Infinity }, async (stats) => {
    if (build?.compilation !== stats.compilation) return
    // No afterEmit: nothing was emitted (errors with emitOnErrors off) or emitting failed.
    await abort(close(), stats.compilation.errors[0] ?? new Error('the build emitted nothing'))
  })

  compiler.hooks.failed.tap(NAME, (error) => {
    void abort(close(), error)
  })
}
