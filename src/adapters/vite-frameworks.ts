import type { ResolvedConfig } from 'vite'
import { firstTime } from './once.js'

/**
 * Framework builds the plain Vite plugin recognises from the resolved config (the framework
 * entries in src/frameworks/ use the same accessors).
 */

/** The parts of VitePress's SiteConfig (on Vite's resolved config as `vitepress`) the plugins use. */
export interface SiteConfig {
  root: string
  outDir: string
  mpa?: boolean
  buildEnd?: (siteConfig: SiteConfig) => unknown
  logger: { info(message: string): void; warn(message: string): void }
}

export function siteConfigOf(config: ResolvedConfig): SiteConfig | undefined {
  return (config as ResolvedConfig & { vitepress?: SiteConfig }).vitepress
}

export interface KitAdapter {
  name: string
  adapt(builder: object): unknown
}

/** The parts of SvelteKit's validated config (`api.options` of kit's setup plugin) the plugins use. */
export interface SvelteConfig {
  kit: { adapter?: KitAdapter; outDir: string }
}

export function svelteConfigOf(config: ResolvedConfig): SvelteConfig | undefined {
  const setup = config.plugins.find((plugin) => plugin.name === 'vite-plugin-sveltekit-setup')
  return (setup?.api as { options?: SvelteConfig } | undefined)?.options
}

/**
 * Kit's forked analysis and prerendering threads load the Vite config to read kit's options;
 * nothing is built there.
 */
export function inKitWorker(): boolean {
  return process.env.SVELTEKIT_FORK !== undefined
}

/**
 * For the plain Vite plugin: the warning to show when this Vite build belongs to a framework
 * that keeps writing its output after (or reading it back from) the bundle, once per framework
 * build (per siteConfig for VitePress, per process and root for SvelteKit); `null` for the
 * framework's other Vite builds; `undefined` for a plain Vite build.
 */
export function frameworkWarning(config: ResolvedConfig): string | null | undefined {
  const site = siteConfigOf(config)
  if (site) {
    if (!firstTime(site)) return null
    return stepAside('VitePress', 'renders every page into outDir after its Vite builds', 'vitepress', '`vite.plugins` of .vitepress/config')
  }
  if (svelteConfigOf(config)) {
    if (inKitWorker()) return null
    // By root: Vite resolves kit's config several times per build, with new plugin instances.
    if (!firstTime(`sveltekit-step-aside:${config.root}`)) return null
    const why = 'reads its Vite output back by fixed paths and writes the adapter output after the bundle'
    return stepAside('SvelteKit', why, 'sveltekit', '`plugins` of vite.config')
  }
  const viaPlugins = PLUGIN_FRAMEWORKS.find((framework) => config.plugins.some((plugin) => plugin.name.startsWith(framework.prefix)))
  if (viaPlugins) {
    // Once per framework build: Astro and Nuxt run several Vite builds (client, server, `astro sync`).
    if (!firstTime(`${viaPlugins.entry}-step-aside`)) return null
    return stepAside(viaPlugins.name, viaPlugins.why, viaPlugins.entry, viaPlugins.slot)
  }
  return undefined
}

/**
 * Frameworks recognised by their plugins' names: both keep writing after Vite's builds (Astro
 * renders pages in a post `buildApp` hook, Nitro writes `.output` after both bundles) and read
 * Vite's output back by fixed paths (Nuxt: `.nuxt/dist/client/manifest.json`).
 */
const PLUGIN_FRAMEWORKS = [
  { name: 'Astro', prefix: 'astro:', entry: 'astro', slot: "astro.config's `integrations`", why: 'prerenders its pages into outDir after its Vite builds' },
  {
    name: 'Nuxt',
    prefix: 'nuxt:',
    entry: 'nuxt',
    slot: "nuxt.config's `modules`",
    why: 'reads its Vite output back by fixed paths and writes .output after the bundles',
  },
] as const

function stepAside(framework: string, why: string, entry: string, slot: string): string {
  return (
    `[emit-optimizer] ${framework} detected: it ${why}, which the plain Vite plugin cannot make transactional, ` +
    `so it steps aside and this build runs as it would without it. Use unplugin-emit-optimizer/${entry} in ${slot} instead.`
  )
}
