import { rspackAdapter } from '../src/adapters/rspack.js'
import { createEmitOptimizer } from '../src/plugin/factory.js'

export type { Options } from '../src/plugin/plugin-options.js'
export type { BuildReport } from '../src/observe/types.js'
// Only this bundler's adapter; unplugin adds webpack's and Rspack's plugin protocol.
export default createEmitOptimizer({ rspack: (instance) => (compiler) => rspackAdapter(compiler, instance) }).rspack
