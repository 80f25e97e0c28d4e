import { createUnplugin, type UnpluginOptions } from 'unplugin'
import { createPluginInstance, type PluginInstance } from './instance.js'
import type { Options } from './plugin-options.js'

type BundlerHooks = Pick<UnpluginOptions, 'vite' | 'rollup' | 'rolldown' | 'webpack' | 'rspack' | 'esbuild'>

/** Each bundler's hooks for one plugin instance (src/adapters/); passed in, so this layer imports no adapter. */
export type BundlerAdapters = { [Bundler in keyof BundlerHooks]-?: (instance: PluginInstance) => NonNullable<BundlerHooks[Bundler]> }

/**
 * One plugin for every bundler. unplugin's shared hooks cannot see a bundle's files or a failed
 * build, so each bundler gets its own hooks (src/adapters/), all committing through the same
 * capture (capture.ts) and engine (src/core/). Each call of the plugin creates one instance
 * (instance.ts): the resolved options and the state kept between builds, handed to the adapter
 * of the bundler in use.
 */
export function createEmitOptimizer(adapters: BundlerAdapters) {
  return createUnplugin<Options | undefined>((raw) => {
    const instance = createPluginInstance(raw)
    return {
      name: 'unplugin-emit-optimizer',
      vite: adapters.vite(instance),
      rollup: adapters.rollup(instance),
      rolldown: adapters.rolldown(instance),
      webpack: adapters.webpack(instance),
      rspack: adapters.rspack(instance),
      esbuild: adapters.esbuild(instance),
    }
  })
}
