import path from 'node:path'
import type { PluginLogger } from '../plugin/capture.js'
import { createPluginInstance } from '../plugin/instance.js'
import type { Options } from '../plugin/plugin-options.js'
import { insideOf, startStagedBuild, type StagedBuild } from './staged-build.js'

/**
 * Nuxt (4.x) module: the whole `nuxt build` / `nuxt generate` is one transaction over Nitro's
 * output directory (`.output` by default: `public/`, `server/`, `nitro.json`).
 *
 * Where Nuxt writes (nuxt/dist, @nuxt/nitro-server, nitropack): the Vite client and server builds
 * go to `<buildDir>/dist` (`.nuxt/dist`), which Nuxt and Nitro read back by that fixed path, so it
 * is left alone and not tracked. Everything in the output directory is written inside Nuxt's
 * `build:done` hook: Nitro's `prepare` empties it, `prerender` renders the pages into `publicDir`,
 * `build` copies the public assets (`nitro:build:public-assets`), bundles the server and writes
 * `nitro.json`, then calls Nitro's `compiled` hook; after that Nuxt links `dist` to `publicDir`
 * (generate). So in `nitro:build:before` the output dirs are moved to a staging sibling, and a
 * `compiled` hook registered last commits it and puts the real paths back, so that Nitro's
 * closing messages and Nuxt's `dist` link name the real directory. Nitro's emptying becomes the
 * commit's `clean`.
 *
 * Failures: Nuxt's CLI ends the process from its own `build:error` hook, so ours (registered
 * earlier, by the module) records the rolled-back report first; a failure inside `build:done`
 * (prerender of a page that throws, a Nitro hook that throws) is caught by wrapping
 * `nuxt.callHook('build:done')`. Each rethrows the original error.
 *
 * Types of nuxt/nitro are structural here, so this module loads without them installed.
 */

interface OutputDirs {
  dir: string
  publicDir: string
  serverDir: string
}

type HookFn = (...args: never[]) => unknown

interface NitroLike {
  options: { output: OutputDirs }
  hooks: { hook(name: string, fn: HookFn): unknown }
  logger: { info(message: string): void; warn(message: string): void }
}

export interface NuxtLike {
  options: { dev: boolean; _prepare?: boolean; rootDir: string; emitOptimizer?: Options }
  hook(name: string, fn: HookFn): unknown
  callHook(name: string, ...args: unknown[]): unknown
}

export interface NuxtModuleLike {
  (inlineOptions: Options | undefined, nuxt: NuxtLike): void
  getMeta(): Promise<{ name: string; configKey: string }>
}

const NAME = 'unplugin-emit-optimizer'

/** `dir` moved from under `from` to under `to` when it lies inside `from`. */
function rebase(dir: string, from: string, to: string): string {
  const rel = insideOf(from, path.resolve(dir))
  return rel === undefined ? dir : path.join(to, rel)
}

function setup(inlineOptions: Options | undefined, nuxt: NuxtLike): void {
  if (nuxt.options.dev || nuxt.options._prepare) return
  const instance = createPluginInstance({ ...nuxt.options.emitOptimizer, ...inlineOptions })
  let nitro: NitroLike | undefined
  let run: StagedBuild | undefined
  const logger: PluginLogger = { info: (message) => nitro?.logger.info(message), warn: (message) => nitro?.logger.warn(message) }

  nuxt.hook('nitro:init', ((created: NitroLike) => {
    nitro = created
  }) as HookFn)

  // Opened before the bundles are built, so that a failed Vite build is reported too.
  nuxt.hook('build:before', () => {
    if (!nitro) return
    const outDir = path.resolve(nitro.options.output.dir)
    run = startStagedBuild(instance, { bundler: 'nuxt', outDir, root: nuxt.options.rootDir, cleans: () => true, logger })
  })

  nuxt.hook('nitro:build:before', ((built: NitroLike) => {
    if (!run || run.settled || built !== nitro) return
    const output = built.options.output
    const real: OutputDirs = { ...output }
    const staged = run
    output.publicDir = rebase(real.publicDir, real.dir, staged.staging)
    output.serverDir = rebase(real.serverDir, real.dir, staged.staging)
    output.dir = staged.staging
    for (const [key, dir] of Object.entries(real) as Array<[keyof OutputDirs, string]>) {
      if (key === 'dir' || insideOf(real.dir, path.resolve(dir)) !== undefined) continue
      logger.warn(`[emit-optimizer] Nitro's output.${key} (${dir}) is outside output.dir (${real.dir}): it is written in place, outside the transaction.`)
    }
    // Nitro's prerenderer is created from the unresolved config, so its public dir is the real
    // one. It serves static files from there (the nitro-prerender preset), and natively that dir
    // was just emptied; here it still holds the previous build, whose pages would be served
    // instead of rendered. Point it at the staged one, as Nitro itself would.
    built.hooks.hook('prerender:init', ((renderer: NitroLike) => {
      renderer.options.output.publicDir = output.publicDir
    }) as HookFn)
    // Registered now, after every module's and the config's own `compiled` hooks: runs last.
    built.hooks.hook('compiled', async () => {
      try {
        const { error } = await staged.commit()
        if (error !== undefined) throw error
      } finally {
        Object.assign(output, real)
      }
    })
  }) as HookFn)

  nuxt.hook('build:error', (async (error: unknown) => {
    await run?.abort(error)
  }) as HookFn)

  const callHook = nuxt.callHook
  nuxt.callHook = async function (this: unknown, name: string, ...args: unknown[]) {
    if (name !== 'build:done') return callHook.call(this, name, ...args)
    try {
      return await callHook.call(this, name, ...args)
    } catch (error) {
      await run?.abort(error)
      throw error
    }
  }
}

export const nuxtModule: NuxtModuleLike = Object.assign(setup, {
  getMeta: () => Promise.resolve({ name: NAME, configKey: 'emitOptimizer' }),
})
