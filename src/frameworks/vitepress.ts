import path from 'node:path'
import type { Plugin } from 'vite'
import { siteConfigOf, type SiteConfig } from '../adapters/vite-frameworks.js'
import type { PluginInstance } from '../plugin/instance.js'
import { projectRoot, startStagedBuild, type StagedBuild } from './staged-build.js'

/**
 * VitePress (`unplugin-emit-optimizer/vitepress`, in `vite.plugins` of `.vitepress/config`).
 *
 * VitePress's `build()` runs two Vite builds (client into `outDir`, SSR into `.temp`), then
 * renders every page with the SSR bundle and writes the HTML, `hashmap.json`, the icons CSS and
 * the sitemap into `siteConfig.outDir` with `fs`, then calls `siteConfig.buildEnd`. The plugin
 * is in both Vite builds and sees `siteConfig` on the resolved config (`config.vitepress`).
 *
 * Mechanism: at the first Vite build of a VitePress build, `siteConfig.outDir` (read by every
 * later step) and the client build's `build.outDir` (already computed from it) are redirected to
 * a staging sibling; `.temp` is left alone, it is not an output. `siteConfig.buildEnd` is wrapped:
 * after the user's own `buildEnd`, the staging dir is committed to outDir in one transaction,
 * with VitePress's emptying of outDir (client build `emptyOutDir`) applied at commit.
 *
 * Failures: a Vite build error aborts in `buildEnd`/`renderError`/`closeBundle` (bundle never
 * written); a page that throws while rendering aborts before VitePress sees the error, through
 * a wrapper around the SSR bundle's `render` (only in `.temp`, the HTML is unchanged); a throwing
 * `buildEnd` aborts too. Anything else that fails (sitemap, a `transformHtml` hook) never reaches
 * the commit, so outDir stays as it was and the staging dir goes at exit (staged-build.ts).
 *
 * Logs go to VitePress's own logger: VitePress runs Vite at log level `warn`.
 */

const RENDER_FAILED = Symbol.for('unplugin-emit-optimizer:vitepress-render-failed')
type RenderFailedHook = (error: unknown) => Promise<void>
const SSR_ENTRY = /[\\/]vitepress[\\/]dist[\\/]client[\\/]app[\\/]ssr\.js$/
const WRAPPED_SSR_ENTRY = '\0emit-optimizer:vitepress-ssr:'

export function vitepressPlugin(instance: PluginInstance): Plugin {
  let site: SiteConfig | undefined
  let run: StagedBuild | undefined
  let ssrBuild = false
  let wroteBundle = false
  let warned = false

  const fail = async (error: unknown): Promise<void> => {
    if (!run || run.settled) return
    // siteConfig.outDir keeps pointing into staging: pages VitePress renders in parallel are
    // still being written after one of them failed, and must not land in outDir.
    await run.abort(error)
  }

  const start = (found: SiteConfig): void => {
    site = found
    const outDir = path.resolve(found.outDir)
    const current = startStagedBuild(instance, { bundler: 'vite', outDir, root: projectRoot(found.root), cleans: () => !found.mpa, logger: found.logger })
    run = current
    const userBuildEnd = found.buildEnd
    const hooks = globalThis as Record<symbol, unknown>
    const renderFailed: RenderFailedHook = (error) => (run === current ? fail(error) : Promise.resolve())
    hooks[RENDER_FAILED] = renderFailed
    found.outDir = current.staging
    found.buildEnd = async (siteConfig) => {
      try {
        await userBuildEnd?.(siteConfig)
      } catch (error) {
        await fail(error)
        throw error
      }
      found.outDir = outDir
      found.buildEnd = userBuildEnd
      if (hooks[RENDER_FAILED] === renderFailed) delete hooks[RENDER_FAILED]
      const report = await current.commit()
      if (report.error !== undefined) throw report.error
    }
  }

  return {
    name: 'unplugin-emit-optimizer:vitepress',
    apply: 'build',
    async configResolved(config) {
      const found = siteConfigOf(config)
      if (!found) {
        if (!warned) {
          config.logger.warn(
            '[emit-optimizer] unplugin-emit-optimizer/vitepress is not in a VitePress build; it does nothing here. ' +
              'Use unplugin-emit-optimizer/vite for a plain Vite build.',
          )
        }
        warned = true
        return
      }
      if (found !== site) {
        // A VitePress build of this process that failed where no hook tells (programmatic use).
        await fail(new Error('[emit-optimizer] the previous VitePress build never finished; its output was not committed.'))
        start(found)
      }
      ssrBuild = Boolean(config.build.ssr)
      // The client build's outDir was computed from siteConfig.outDir before this plugin ran
      // (in `config.build` and, since Vite 6, in each environment's copy of it).
      if (run && !run.settled) {
        for (const build of [config.build, ...Object.values(config.environments ?? {}).map((env) => env.build)]) {
          if (path.resolve(config.root, build.outDir) === run.outDir) build.outDir = run.staging
        }
      }
    },
    buildStart() {
      wroteBundle = false
    },
    async buildEnd(error) {
      if (error) await fail(error)
    },
    async renderError(error) {
      await fail(error)
    },
    writeBundle: {
      order: 'post',
      handler() {
        wroteBundle = true
      },
    },
    closeBundle: {
      order: 'post',
      async handler() {
        if (!wroteBundle) await fail(new Error('[emit-optimizer] a VitePress bundle was not written; keeping the previous output.'))
      },
    },
    // The SSR entry, wrapped so that a page throwing while VitePress renders it aborts the run
    // before VitePress sees the error (and exits).
    resolveId: {
      // Before Vite's own resolver, which would resolve the entry first.
      order: 'pre',
      filter: { id: SSR_ENTRY },
      handler(id, importer) {
        if (ssrBuild && importer === undefined && SSR_ENTRY.test(id)) return WRAPPED_SSR_ENTRY + id
        return undefined
      },
    },
    load: {
      filter: { id: new RegExp(`^${WRAPPED_SSR_ENTRY}`) },
      handler(id) {
        if (!id.startsWith(WRAPPED_SSR_ENTRY)) return undefined
        const entry = JSON.stringify(id.slice(WRAPPED_SSR_ENTRY.length))
        return [
          `import { render as renderPage } from ${entry}`,
          `export * from ${entry}`,
          `export async function render(...args) {`,
          `  try { return await renderPage(...args) } catch (error) {`,
          `    await globalThis[Symbol.for(${JSON.stringify(RENDER_FAILED.description)})]?.(error)`,
          `    throw error`,
          `  }`,
          `}`,
        ].join('\n')
      },
    },
  }
}
