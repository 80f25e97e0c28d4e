/**
 * Frameworks that keep writing after Vite's build (pages rendered in a post `buildApp` hook,
 * Nitro's output written after both bundles) and read Vite's output back by fixed paths. Inside
 * them the plain Vite plugin cannot make the build one transaction, and redirecting Vite's outDir
 * breaks them (Nuxt reads `.nuxt/dist/client/manifest.json`), so it steps aside with one warning
 * that names the framework entry. Recognised by their plugins in the resolved Vite config.
 */
export interface ViteFramework {
  name: string
  /** What to use instead, as the warning says it. */
  entry: string
}

const FRAMEWORKS: ReadonlyArray<ViteFramework & { prefix: string }> = [
  { name: 'Astro', prefix: 'astro:', entry: "`unplugin-emit-optimizer/astro` in astro.config's `integrations`" },
  { name: 'Nuxt', prefix: 'nuxt:', entry: "`unplugin-emit-optimizer/nuxt` in nuxt.config's `modules`" },
]

export function viteFrameworkOf(plugins: ReadonlyArray<{ name: string }>): ViteFramework | undefined {
  return FRAMEWORKS.find((framework) => plugins.some((plugin) => plugin.name.startsWith(framework.prefix)))
}

export function stepAsideMessage(framework: ViteFramework): string {
  return (
    `[emit-optimizer] ${framework.name} writes its output after Vite's build and reads Vite's output back by path, ` +
    'so unplugin-emit-optimizer/vite leaves this build alone (the output is written exactly as without it). ' +
    `Use ${framework.entry} to make the whole ${framework.name} build one transaction.`
  )
}
