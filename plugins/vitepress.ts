import type { Plugin } from 'vite'
import { vitepressPlugin } from '../src/frameworks/vitepress.js'
import { createPluginInstance } from '../src/plugin/instance.js'
import type { Options } from '../src/plugin/plugin-options.js'

export type { Options } from '../src/plugin/plugin-options.js'
export type { BuildReport } from '../src/observe/types.js'
/** For `vite.plugins` in `.vitepress/config`: the whole VitePress build is one transaction. */
export default function emitOptimizer(options?: Options): Plugin {
  return vitepressPlugin(createPluginInstance(options))
}
