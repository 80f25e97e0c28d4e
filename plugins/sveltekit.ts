import type { Plugin } from 'vite'
import { sveltekitPlugin } from '../src/frameworks/sveltekit.js'
import { createPluginInstance } from '../src/plugin/instance.js'
import type { Options } from '../src/plugin/plugin-options.js'

export type { Options } from '../src/plugin/plugin-options.js'
export type { BuildReport } from '../src/observe/types.js'
/** For `plugins` in `vite.config`: the SvelteKit build, adapter output included, is one transaction. */
export default function emitOptimizer(options?: Options): Plugin {
  return sveltekitPlugin(createPluginInstance(options))
}
