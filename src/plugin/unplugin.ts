import { createUnplugin } from 'unplugin'
import { esbuildAdapter } from './adapters/esbuild.js'
import { rolldownAdapter } from './adapters/rolldown.js'
import { rollupAdapter } from './adapters/rollup.js'
import { rspackAdapter } from './adapters/rspack.js'
import { viteAdapter } from './adapters/vite.js'
import { webpackAdapter } from './adapters/webpack.js'
import { resolveOptions, type Options } from './plugin/options.js'

/**
 * One plugin for every bundler. unplugin's shared hooks cannot see a bundle's files or a failed
 * build, so each bundler gets its own hooks (src/adapters/), all committing through the same
 * capture (src/plugin/capture.ts) and engine (src/core/).
 */
export const unplugin = createUnplugin<Options | undefined>((raw) => {
  const options = resolveOptions(raw)
  return {
    name: 'unplugin-emit-optimizer',
    vite: viteAdapter(options),
    rollup: rollupAdapter(options),
    rolldown: rolldownAdapter(options),
    webpack: (compiler) => webpackAdapter(compiler, options),
    rspack: (compiler) => rspackAdapter(compiler, options),
    esbuild: { setup: (build) => esbuildAdapter(build, options) },
  }
})
