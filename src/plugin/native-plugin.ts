import { createPluginInstance, type PluginInstance } from './instance.js'
import type { Options } from './plugin-options.js'

export const PLUGIN_NAME = 'unplugin-emit-optimizer'

/**
 * The plugin for a bundler whose plugins are plain objects (Vite, Rollup, Rolldown: hooks; esbuild:
 * `setup`), without unplugin. Our hooks are all bundler-specific, so unplugin would only copy
 * them onto `{ name }`; importing it costs ~70 ms per process (measured), more than the work a
 * small build asks of us. Each call creates one plugin instance, as the unplugin factory does.
 */
export function nativePlugin<Hooks extends object>(hooks: (instance: PluginInstance) => Hooks): (options?: Options) => Hooks & { name: string } {
  return (options) => ({ name: PLUGIN_NAME, ...hooks(createPluginInstance(options)) })
}

/**
 * The plugin for webpack and Rspack (`{ apply(compiler) }`), without unplugin: our adapters tap
 * the compiler's hooks themselves and use no loader, virtual module or shared hook of unplugin's.
 * As unplugin's does, each `apply` creates its own plugin instance, so one plugin object given to
 * several compilers keeps their state apart, and invalid options throw when it is applied.
 */
export function nativeCompilerPlugin<Compiler>(
  adapter: (compiler: Compiler, instance: PluginInstance) => void,
): (options?: Options) => { apply(compiler: Compiler): void } {
  return (options) => ({ apply: (compiler) => adapter(compiler, createPluginInstance(options)) })
}
