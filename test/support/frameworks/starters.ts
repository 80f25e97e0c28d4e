/**
 * The framework starters of the compatibility suites (test/frameworks/) and the framework
 * benches, pinned: what each installs (install.ts), where its files come from, and how a test
 * adds the plugin to it and builds it.
 */
import fs from 'node:fs'
import path from 'node:path'
import { install, type Installed, type InstallSpec } from './install.js'
import { createProject } from './project.js'
import { run, runModule, runSync, type RunResult } from './run.js'

/** Astro 7's `basics` starter (fixtures/astro-basics), under Node 22 (node22.ts). */
export const ASTRO: InstallSpec = { name: 'astro', dependencies: { astro: '7.3.5' }, scripts: true }

/**
 * Nuxt 4's starter (fixtures/nuxt-v4), under Node 22. Vite is pinned to 8.3 (overrides): Nuxt 4.5
 * fails natively with Vite 8.4.0 (EXTERNAL_MODULES_CANNOT_BE_TRANSFORMED_TO_MODULES).
 */
export const NUXT: InstallSpec = {
  name: 'nuxt',
  dependencies: { nuxt: '4.5.2', vue: '3.5.45', 'vue-router': '5.5.1', vite: '8.3.8' },
  overrides: { vite: '8.3.8' },
  scripts: true,
}

/** A starter its framework's own scaffolder generates from the template in its package (VitePress, SvelteKit). */
export interface FrameworkStarter {
  /** Framework and version, for test names and tables. */
  label: string
  installed: Installed
  /** The framework's final output dir in a project. */
  outDir(project: string): string
  /** The framework's build command, as a whole process. */
  build(project: string): Promise<RunResult>
  /** A copy of the starter with `entry` (a subpath of this package) in its plugins, and `extra` config; pushed to `made`. */
  project(made: string[], label: string, entry: string | undefined, extra?: string): string
  /** Edits a project's config as a user would: adds `entry` to its plugins and `extra` config. */
  configure(project: string, entry: string | undefined, extra?: string): void
}

/** The parts every scaffolded starter shares; `cli`: the build command's file in node_modules and its arguments. */
function scaffolded(
  starter: Pick<FrameworkStarter, 'label' | 'installed' | 'outDir' | 'configure'>,
  template: string,
  cli: string,
  args: string[],
): FrameworkStarter {
  return {
    ...starter,
    // These suites and their bench have always built with the test runner's environment (see run.ts).
    build: (project) => run(project, [path.join(project, 'node_modules', cli), ...args], { testEnv: true, timeoutMs: 180_000 }),
    project(made, label, entry, extra) {
      const dir = createProject(starter.installed, label, { from: template })
      made.push(dir)
      starter.configure(dir, entry, extra)
      return dir
    },
  }
}

export const VITEPRESS = '2.0.0-alpha.20'

/**
 * `vitepress init` with its defaults and `./docs` as root (its `scaffold()`, from the template in
 * the `vitepress` package), without syntax highlighting (see below). `extra`: lines added to
 * the site config. The generated starter is pushed to `made`.
 */
export async function vitepressStarter(made: string[]): Promise<FrameworkStarter> {
  const installed = await install({ name: 'vitepress', dependencies: { vitepress: VITEPRESS } })
  const template = createProject(installed, 'vitepress-starter')
  made.push(template)
  fs.writeFileSync(path.join(template, 'package.json'), `${JSON.stringify({ devDependencies: { vitepress: VITEPRESS } }, null, 2)}\n`)
  await runModule(template, "const { scaffold } = await import('vitepress'); await scaffold({ root: './docs' })")
  // VitePress 2.0.0-alpha.20's Shiki highlighting is not deterministic on a loaded machine: four
  // parallel native builds of this starter gave four different markdown-examples.md chunks (token
  // colours of its js blocks differ), also with the grammars preloaded or one theme. The suite
  // replaces the highlighter (a documented markdown option) with none: code stays escaped text
  // and every page is byte-stable, so native and plugin builds can be compared byte for byte.
  const anchor = 'export default defineConfig({\n'
  const config = path.join(template, 'docs', '.vitepress', 'config.mts')
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace(anchor, `${anchor}  markdown: { highlight: () => '' },\n`))
  const configure = (project: string, entry: string | undefined, extra = ''): void => {
    const file = path.join(project, 'docs', '.vitepress', 'config.mts')
    const source = fs.readFileSync(file, 'utf8')
    if (!source.includes(anchor)) throw new Error(`the scaffolded ${file} changed shape: no "${anchor.trim()}"`)
    const imports = entry ? `import emitOptimizer from 'unplugin-emit-optimizer/${entry}'\n` : ''
    const plugins = entry ? '  vite: { plugins: [emitOptimizer()] },\n' : ''
    fs.writeFileSync(file, imports + source.replace(anchor, anchor + plugins + extra))
  }
  const outDir = (project: string): string => path.join(project, 'docs', '.vitepress', 'dist')
  return scaffolded({ label: `VitePress ${VITEPRESS}`, installed, outDir, configure }, template, 'vitepress/bin/vitepress.js', ['build', 'docs'])
}

export const SVELTEKIT_DEPENDENCIES = {
  sv: '0.17.1',
  '@sveltejs/kit': '2.70.4',
  '@sveltejs/adapter-static': '3.0.10',
  '@sveltejs/vite-plugin-svelte': '7.3.1',
  svelte: '5.57.3',
  vite: '8.4.0',
}

/**
 * `sv create --template minimal --types none` (sv's `create()`, from the template in the `sv`
 * package), switched to @sveltejs/adapter-static as its docs say (the adapter in vite.config,
 * `prerender = true` in the root layout). Kit stamps every build with `version.name` (default
 * `Date.now()`) in `_app/version.json`, the entry chunks and index.html: the starter pins it (a
 * kit option) so two builds of the same source are byte-identical. `extra`: adapter options.
 */
export async function sveltekitStarter(made: string[]): Promise<FrameworkStarter> {
  const installed = await install({ name: 'sveltekit', dependencies: SVELTEKIT_DEPENDENCIES })
  const template = createProject(installed, 'sveltekit-starter')
  made.push(template)
  await runModule(template, "const { create } = await import('sv'); create({ cwd: '.', name: 'sk-starter', template: 'minimal', types: 'none' })")
  const config = path.join(template, 'vite.config.js')
  const source = fs.readFileSync(config, 'utf8')
  if (!source.includes("from '@sveltejs/adapter-auto'") || !source.includes('adapter: adapter()'))
    throw new Error(`sv's minimal vite.config.js changed shape:\n${source}`)
  fs.writeFileSync(
    config,
    source
      .replace("from '@sveltejs/adapter-auto'", "from '@sveltejs/adapter-static'")
      .replace('adapter: adapter()', "version: { name: 'eo-test' },\n\t\t\tadapter: adapter()"),
  )
  fs.writeFileSync(path.join(template, 'src', 'routes', '+layout.js'), 'export const prerender = true;\n')
  const configure = (project: string, entry: string | undefined, extra = ''): void => {
    const file = path.join(project, 'vite.config.js')
    let text = fs.readFileSync(file, 'utf8')
    for (const anchor of ['adapter: adapter()', '\t\t})\n\t]']) if (!text.includes(anchor)) throw new Error(`vite.config.js changed shape: no "${anchor}"`)
    text = text.replace('adapter: adapter()', `adapter: adapter(${extra})`)
    if (entry) text = `import emitOptimizer from 'unplugin-emit-optimizer/${entry}';\n${text.replace('\t\t})\n\t]', '\t\t}),\n\t\temitOptimizer()\n\t]')}`
    fs.writeFileSync(file, text)
  }
  const label = `SvelteKit ${SVELTEKIT_DEPENDENCIES['@sveltejs/kit']} + adapter-static ${SVELTEKIT_DEPENDENCIES['@sveltejs/adapter-static']}`
  return scaffolded({ label, installed, outDir: (project) => path.join(project, 'build'), configure }, template, 'vite/bin/vite.js', ['build'])
}

/** The official Rsbuild react-ts starter as `npm create rsbuild -- --template react-ts` writes it, pinned. */
export const RSBUILD_STARTER: InstallSpec = {
  name: 'rsbuild',
  template: { package: 'create-rsbuild@2.2.9', dirs: ['template-common', 'template-react-ts'], renames: { gitignore: '.gitignore' } },
  dependencies: { react: '19.3.1', 'react-dom': '19.3.1' },
  devDependencies: {
    '@rsbuild/core': '2.3.2',
    '@rsbuild/plugin-react': '2.1.1',
    '@types/node': '24.19.4',
    '@types/react': '19.3.3',
    '@types/react-dom': '19.3.0',
    typescript: '6.0.3',
  },
}

/** Adds the entry to the Rsbuild starter's config the way its README says: one import, one `plugins` item. */
export function withEntry(app: string, extraPlugins = ''): void {
  const file = path.join(app, 'rsbuild.config.ts')
  const config = fs.readFileSync(file, 'utf8')
  const edited = `import emitOptimizer from 'unplugin-emit-optimizer/rsbuild';\n${config.replace('plugins: [pluginReact()]', `plugins: [pluginReact(), ${extraPlugins}emitOptimizer()]`)}`
  if (!edited.includes('emitOptimizer()]')) throw new Error(`the starter's rsbuild.config.ts changed shape; update withEntry():\n${config}`)
  fs.writeFileSync(file, edited)
}

/** `rsbuild build` in the app (blocking: the Rsbuild tests are synchronous). */
export const rsbuildBuild = (app: string, env: NodeJS.ProcessEnv = {}): RunResult =>
  runSync(app, [path.join(app, 'node_modules', '@rsbuild', 'core', 'bin', 'rsbuild.js'), 'build'], { env, timeoutMs: 180_000 })
