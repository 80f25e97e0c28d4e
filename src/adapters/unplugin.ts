import { createEmitOptimizer } from '../plugin/factory.js'
import { esbuildAdapter } from './esbuild.js'
import { rolldownAdapter } from './rolldown.js'
import { rollupAdapter } from './rollup.js'
import { rspackAdapter } from './rspack.js'
import { viteAdapter } from './vite.js'
import { webpackAdapter } from './webpack.js'

/** The plugin with every bundler's adapter; the entries in plugins/ export one bundler each. */
export const unplugin = createEmitOptimizer({
  vite: viteAdapter,
  rollup: rollupAdapter,
  rolldown: rolldownAdapter,
  webpack: (instance) => (compiler) => webpackAdapter(compiler, instance),
  rspack: (instance) => (compiler) => rspackAdapter(compiler, instance),
  esbuild: (instance) => ({ setup: (build) => esbuildAdapter(build, instance) }),
})
