import { astroIntegration } from '../src/frameworks/astro.js'

export type { Options } from '../src/plugin/plugin-options.js'
export type { BuildReport } from '../src/observe/types.js'
/** `integrations: [emitOptimizer()]` in astro.config: the whole `astro build` is one transaction. */
export default astroIntegration
