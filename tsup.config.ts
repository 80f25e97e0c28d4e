import { defineConfig } from 'tsup'

const bundlers = ['vite', 'rollup', 'rolldown', 'webpack', 'rspack', 'esbuild'] as const
// Framework entries (src/frameworks/): each builds a whole framework run as one transaction.
const frameworks = ['rsbuild', 'vitepress', 'sveltekit', 'astro', 'nuxt'] as const
const plugins = Object.fromEntries([...bundlers, ...frameworks].map((name) => [name, `plugins/${name}.ts`]))

export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts', ...plugins },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts', ...plugins } },
  // Bundlers are the user's: never bundle them into ours.
  external: ['vite', 'rollup', 'rolldown', 'webpack', '@rspack/core', 'esbuild', '@rsbuild/core'],
  clean: true,
  sourcemap: true,
  splitting: true,
  shims: false,
})
