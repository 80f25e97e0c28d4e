import type { Plugin } from 'vite'
import { sveltekitPlugin } from '../src/frameworks/sveltekit.js'
import { resolveOptions, type Options } from '../src/plugin/options.js'

export type { Options } from '../src/plugin/options.js'
export type { BuildReport } from '../src/plugin/report.js'
/** For `plugins` in `vite.config`: the SvelteKit build, adapter output included, is one transaction. */
export default function emitOptimizer(options?: Options): Plugin {
  return sveltekitPlugin(resolveOptions(options))
}
