import { rsbuildPlugin } from '../src/frameworks/rsbuild.js'

export type { Options } from '../src/plugin/plugin-options.js'
export type { BuildReport } from '../src/observe/types.js'
export type { RsbuildPluginLike } from '../src/frameworks/rsbuild.js'
/** An Rsbuild plugin: `plugins: [emitOptimizer()]` in rsbuild.config.ts. The whole build is one transaction. */
export default rsbuildPlugin
