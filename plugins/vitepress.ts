import type { Plugin } from 'vite'
import { vitepressPlugin } from '../src/frameworks/vitepress.js'
import { resolveOptions, type Options } from '../src/plugin/options.js'

export type { Options } from '../src/plugin/options.js'
export type { BuildReport } from '../src/plugin/report.js'
/** For `vite.plugins` in `.vitepress/config`: the whole VitePress build is one transaction. */
export default function emitOptimizer(options?: Options): Plugin {
  return vitepressPlugin(resolveOptions(options))
}
