import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Plugin as VitePlugin } from 'vite'
import { describeError, type PluginLogger } from '../plugin/capture.js'
import { createPluginInstance } from '../plugin/instance.js'
import type { Options } from '../plugin/plugin-options.js'
import { insideOf, startStagedBuild, type StagedBuild } from './staged-build.js'

/**
 * Astro (7.x) integration: the whole `astro build` is one transaction.
 *
 * Where Astro writes (astro/dist/core/build): it empties `outDir` itself before the Vite builds
 * (unless `vite.build.emptyOutDir` is false), builds the prerender/SSR and client environments,
 * then in a post `buildApp` hook renders every page into `outDir` and moves assets there, and
 * finally runs the integrations' `astro:build:done` with `dir` = the output dir. So in
 * `astro:config:setup` (command `build` only: `dev`, `preview` and `sync` are left alone) `outDir`
 * and the `build.client`/`build.server` dirs inside it are moved to a staging sibling for the
 * whole run, and a last integration, appended in `astro:config:done` after every other one,
 * commits it in `astro:build:done`. Astro's emptying becomes the commit's `clean`.
 *
 * Failures: Astro's CLI ends the process right after a failed build (`process.exit(1)`), so the
 * failure is caught where it happens: a guard Vite plugin wraps the app build (`builder.buildApp`,
 * where the environments are bundled, and every plugin's `buildApp`, where pages are rendered) and
 * the other integrations' `astro:build:*` hooks; each records the rolled-back report and rethrows
 * the original error. Anything else that fails leaves outDir untouched too (the staging dir is
 * removed on exit), without a report.
 *
 * Types of astro are structural here, so this module loads without astro installed.
 */

interface AstroLogger {
  info(message: string): void
  warn(message: string): void
}

interface AstroConfigLike {
  root: URL
  outDir: URL
  build: { client: URL; server: URL }
  vite?: { build?: { emptyOutDir?: boolean } }
  integrations: AstroIntegrationLike[]
}

type Hook = (...args: never[]) => unknown

export interface AstroIntegrationLike {
  name: string
  hooks: Record<string, Hook | undefined>
}

interface SetupParams {
  config: AstroConfigLike
  command: string
  updateConfig(config: Record<string, unknown>): unknown
  logger: AstroLogger
}

const NAME = 'unplugin-emit-optimizer'

/** Astro's build hooks that run between the first write and the end of the build. */
const BUILD_HOOKS = ['astro:build:start', 'astro:build:setup', 'astro:build:ssr', 'astro:build:generated', 'astro:build:done']

function dirUrl(dir: string): URL {
  return pathToFileURL(`${dir}/`)
}

/** The same directory under `to` when `url` lies inside `from`, else undefined. */
function rebase(url: URL, from: string, to: string): URL | undefined {
  const rel = insideOf(from, path.resolve(fileURLToPath(url)))
  return rel === undefined ? undefined : dirUrl(path.join(to, rel))
}

export function astroIntegration(raw?: Options): AstroIntegrationLike {
  const instance = createPluginInstance(raw)
  let run: StagedBuild | undefined
  let config: AstroConfigLike | undefined

  /** Runs `fn`; when it throws, the build is rolled back before the error goes on to Astro. */
  const guard = <F extends Hook>(fn: F): F =>
    async function guarded(this: unknown, ...args: Parameters<F>) {
      try {
        return await fn.apply(this, args)
      } catch (error) {
        await run?.abort(error)
        throw error
      }
    } as unknown as F

  const wrapped = new WeakSet<object>()
  const guardPlugin: VitePlugin = {
    name: `${NAME}:astro-guard`,
    apply: 'build',
    configResolved(resolved) {
      // Astro's build config: its `builder.buildApp` bundles every environment, post `buildApp`
      // hooks render the pages.
      if (!run || !resolved.builder) return
      const builder = resolved.builder as { buildApp: Hook }
      if (!wrapped.has(builder)) {
        wrapped.add(builder)
        builder.buildApp = guard(builder.buildApp)
      }
      for (const plugin of resolved.plugins) {
        const hook = plugin.buildApp
        if (!hook || wrapped.has(plugin)) continue
        wrapped.add(plugin)
        const mutable = plugin as { buildApp?: unknown }
        mutable.buildApp = typeof hook === 'function' ? guard(hook) : { ...hook, handler: guard(hook.handler) }
      }
    },
  }

  const commit: AstroIntegrationLike = {
    name: `${NAME}:commit`,
    hooks: {
      'astro:build:done': async () => {
        if (!run || run.settled) return
        const { error } = await run.commit()
        if (error !== undefined) throw new Error(describeError(error), { cause: error })
      },
    },
  }

  return {
    name: NAME,
    hooks: {
      'astro:config:setup': (({ config: current, command, updateConfig, logger }: SetupParams) => {
        if (command !== 'build') return
        const outDir = path.resolve(fileURLToPath(current.outDir))
        const root = path.resolve(fileURLToPath(current.root))
        const pluginLogger: PluginLogger = { info: (message) => logger.info(message), warn: (message) => logger.warn(message) }
        run = startStagedBuild(instance, {
          bundler: 'astro',
          outDir,
          root,
          // Astro's own rule (core/build/static-build.js): empty unless `vite.build.emptyOutDir` is false.
          cleans: () => config?.vite?.build?.emptyOutDir !== false,
          logger: pluginLogger,
        })
        const build: Record<string, URL> = {}
        const client = rebase(current.build.client, outDir, run.staging)
        const server = rebase(current.build.server, outDir, run.staging)
        if (client) build.client = client
        if (server) build.server = server
        updateConfig({ outDir: dirUrl(run.staging), build, vite: { plugins: [guardPlugin] } })
      }) as Hook,
      'astro:config:done': (({ config: done }: { config: AstroConfigLike }) => {
        if (!run) return
        config = done
        for (const integration of done.integrations) {
          if (integration.name === NAME) continue
          for (const name of BUILD_HOOKS) {
            const hook = integration.hooks[name]
            if (hook) integration.hooks[name] = guard(hook)
          }
        }
        // Last, so that every other integration's `astro:build:done` has written to `dir` first.
        done.integrations.push(commit)
      }) as Hook,
    },
  }
}
