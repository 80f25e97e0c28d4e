import type { Plugin } from 'vite'
import { viteAdapter } from '../src/adapters/vite.js'
import { nativePlugin } from '../src/plugin/native-plugin.js'
import type { Options } from '../src/plugin/plugin-options.js'

export type { Options } from '../src/plugin/plugin-options.js'
export type { BuildReport } from '../src/observe/types.js'
// Only this bundler's adapter: the entry loads no other bundler's code, nor unplugin.
const plugin: (options?: Options) => Plugin = nativePlugin(viteAdapter)
export default plugin
