import type { WebpackPluginInstance } from 'webpack'
import { webpackAdapter } from '../src/adapters/webpack.js'
import { nativeCompilerPlugin } from '../src/plugin/native-plugin.js'
import type { Options } from '../src/plugin/plugin-options.js'

export type { Options } from '../src/plugin/plugin-options.js'
export type { BuildReport } from '../src/observe/types.js'
// Only this bundler's adapter: the entry loads no other bundler's code, nor unplugin.
const plugin: (options?: Options) => WebpackPluginInstance = nativeCompilerPlugin(webpackAdapter)
export default plugin
