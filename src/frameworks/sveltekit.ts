import fs from 'node:fs'
import path from 'node:path'
import type { Plugin } from 'vite'
import { EmitOptimizerError } from '../errors.js'
import type { PluginLogger } from '../plugin/capture.js'
import type { PluginInstance } from '../plugin/instance.js'
import { firstTime } from '../adapters/once.js'
import { inKitWorker, svelteConfigOf } from '../adapters/vite-frameworks.js'
import { reportFailure, startStagedBuild, type StagedBuild } from './staged-build.js'

/**
 * SvelteKit 2 (`unplugin-emit-optimizer/sveltekit`, in `plugins` of `vite.config`).
 *
 * `vite build` runs kit's server build; kit's `writeBundle` starts the client build (a second
 * `vite.build` that loads the config again), reads both back from `.svelte-kit/output` by fixed
 * paths, prerenders, and its `closeBundle` runs the adapter, which empties its output dir and
 * copies client files and prerendered pages there through the adapter builder
 * (`rimraf`, `writeClient`, `writePrerendered`, `generateFallback`, `compress`).
 *
 * Mechanism: the Vite builds are left alone (`.svelte-kit/output` is kit's working dir, read
 * back by kit, not an output). The adapter on kit's config (`api.options` of kit's setup plugin)
 * is wrapped: it gets a builder whose paths outside `.svelte-kit` point into staging siblings of
 * its output dirs (one per top-level directory it writes, e.g. `build`), and when it has
 * finished they are committed; `builder.rimraf` becomes the emptying applied at commit.
 *
 * Only adapters that write through the builder can be staged: @sveltejs/adapter-static. Others
 * (adapter-node bundles into its output with Rollup, adapter-vercel writes `.vercel/output` with
 * `fs`) are left to run as they are, with a warning.
 *
 * Failures: a server-build error aborts in `buildEnd`/`renderError`; a client-build or prerender
 * error is caught around kit's `writeBundle`; an adapter error around the adapter. In every case
 * the adapter's output dir is untouched and the build fails with the original error.
 */

const COMPILE_PLUGIN = 'vite-plugin-sveltekit-compile'
/** Adapters whose every write goes through the builder. */
const STAGEABLE = new Set(['@sveltejs/adapter-static'])
/** adapter-static's default output dir: where a failure before the adapter ran is reported. */
const DEFAULT_OUT = 'build'

/** One `vite build` of a SvelteKit app: its staged output dirs, committed after the adapter. */
class KitBuild {
  private readonly roots = new Map<string, StagedBuild>()
  private finished = false

  constructor(
    private readonly instance: PluginInstance,
    private readonly cwd: string,
    private readonly kitDir: string,
    private readonly logger: PluginLogger,
  ) {}

  get done(): boolean {
    return this.finished
  }

  async fail(error: unknown): Promise<void> {
    if (this.finished) return
    this.finished = true
    const outDir = path.resolve(this.cwd, this.instance.options.outDir ?? DEFAULT_OUT)
    if (this.roots.size === 0) await reportFailure(this.instance, { bundler: 'vite', outDir, root: this.cwd, logger: this.logger }, error)
    for (const run of this.roots.values()) await run.abort(error)
  }

  async commit(): Promise<void> {
    this.finished = true
    let failure: unknown
    for (const run of this.roots.values()) {
      const report = await run.commit()
      failure ??= report.error
    }
    if (failure !== undefined) throw failure
  }

  /** The staged output dir that `abs` is in, started on first use. */
  private rootOf(abs: string, isDir: boolean): StagedBuild {
    for (const run of this.roots.values()) if (isInside(abs, run.outDir)) return run
    const rel = path.relative(this.cwd, abs)
    if (rel === '' || isInside(this.cwd, abs)) {
      throw new EmitOptimizerError(
        'EO_DANGEROUS_OUTDIR',
        `the SvelteKit adapter writes to the project root itself: "${abs}". Give the adapter an output directory (adapter-static \`pages\`/\`assets\`).`,
        { path: abs },
      )
    }
    const outDir = rel.startsWith('..') || path.isAbsolute(rel) ? (isDir ? abs : path.dirname(abs)) : path.join(this.cwd, rel.split(path.sep)[0]!)
    const run = startStagedBuild(this.instance, { bundler: 'vite', outDir, root: this.cwd, cleans: () => false, logger: this.logger })
    this.roots.set(outDir, run)
    return run
  }

  /** `dest` as the adapter wrote it, moved into staging unless it is kit's own working dir. */
  private map(dest: string, isDir: boolean): string {
    const abs = path.resolve(this.cwd, dest)
    if (isInside(abs, this.kitDir)) return dest
    const run = this.rootOf(abs, isDir)
    return path.join(run.staging, path.relative(run.outDir, abs))
  }

  /** The adapter builder with every output path pointing into staging. */
  stage<T extends object>(builder: T): T {
    const methods = builder as Record<string, (...args: unknown[]) => unknown>
    const dirs = (name: string) => (dir: string, ...rest: unknown[]) => methods[name]!(this.map(dir, true), ...rest)
    const overrides: Record<string, (...args: never[]) => unknown> = {
      rimraf: (dir: string) => {
        const abs = path.resolve(this.cwd, dir)
        if (isInside(abs, this.kitDir)) return methods.rimraf!(dir)
        const run = this.rootOf(abs, true)
        run.emptied(path.relative(run.outDir, abs).split(path.sep).join('/'))
        return methods.rimraf!(this.map(dir, true))
      },
      mkdirp: dirs('mkdirp'),
      writeClient: dirs('writeClient'),
      writePrerendered: dirs('writePrerendered'),
      writeServer: dirs('writeServer'),
      compress: dirs('compress'),
      generateFallback: (file: string) => methods.generateFallback!(this.map(file, false)),
      copy: (from: string, to: string, opts?: unknown) => {
        const source = path.resolve(this.cwd, from)
        const fromOutput = [...this.roots.values()].some((run) => isInside(source, run.outDir))
        const isDir = fs.existsSync(source) && fs.statSync(source).isDirectory()
        return methods.copy!(fromOutput ? this.map(from, isDir) : from, this.map(to, isDir), opts)
      },
    }
    return new Proxy(builder, {
      get: (target, key, receiver) =>
        typeof key === 'string' && key in overrides && typeof methods[key] === 'function' ? overrides[key] : Reflect.get(target, key, receiver),
    })
  }
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/** Kit's `writeBundle` (client build, prerendering): its error fails the run before it reaches Vite. */
function catchErrors(plugin: Plugin | undefined, hookName: 'writeBundle', onError: (error: unknown) => Promise<void>): void {
  const hook = plugin?.[hookName] as unknown as ((...args: unknown[]) => unknown) | { handler: (...args: unknown[]) => unknown } | undefined
  if (!plugin || !hook) return
  const handler = typeof hook === 'function' ? hook : hook.handler
  async function wrapped(this: unknown, ...args: unknown[]): Promise<unknown> {
    try {
      return await handler.apply(this, args)
    } catch (error) {
      await onError(error)
      throw error
    }
  }
  ;(plugin as unknown as Record<string, unknown>)[hookName] = typeof hook === 'function' ? wrapped : { ...hook, handler: wrapped }
}

export function sveltekitPlugin(instance: PluginInstance): Plugin {
  let build: KitBuild | undefined
  return {
    name: 'unplugin-emit-optimizer:sveltekit',
    apply: 'build',
    configResolved(config) {
      if (inKitWorker()) return
      const svelteConfig = svelteConfigOf(config)
      const logger: PluginLogger = { info: (message) => config.logger.info(message), warn: (message) => config.logger.warn(message) }
      if (!svelteConfig) {
        logger.warn(
          '[emit-optimizer] unplugin-emit-optimizer/sveltekit is not in a SvelteKit build; it does nothing here. ' +
            'Use unplugin-emit-optimizer/vite for a plain Vite build.',
        )
        return
      }
      // Kit's client build, started from the server build's writeBundle: kit reads its output back.
      if (!config.build.ssr) return
      const adapter = svelteConfig.kit.adapter
      if (!adapter) return
      if (!STAGEABLE.has(adapter.name)) {
        // Once: Vite resolves kit's config several times per build.
        if (!firstTime(`sveltekit-adapter:${config.root}`)) return
        logger.warn(
          `[emit-optimizer] ${adapter.name} writes its output itself, outside the adapter builder; ` +
            'unplugin-emit-optimizer/sveltekit can only make @sveltejs/adapter-static builds transactional. Building without it.',
        )
        return
      }
      const current = new KitBuild(instance, process.cwd(), path.resolve(svelteConfig.kit.outDir), logger)
      build = current
      svelteConfig.kit.adapter = {
        ...adapter,
        async adapt(builder) {
          try {
            await adapter.adapt(current.stage(builder))
          } catch (error) {
            await current.fail(error)
            throw error
          }
          await current.commit()
        },
      }
      catchErrors(
        config.plugins.find((plugin) => plugin.name === COMPILE_PLUGIN),
        'writeBundle',
        (error) => current.fail(error),
      )
    },
    async buildEnd(error) {
      if (error) await build?.fail(error)
    },
    async renderError(error) {
      await build?.fail(error)
    },
    closeBundle: {
      order: 'post',
      sequential: true,
      async handler() {
        if (build && !build.done) await build.fail(new Error('[emit-optimizer] the SvelteKit build ended before its adapter ran; keeping the previous output.'))
      },
    },
  }
}
