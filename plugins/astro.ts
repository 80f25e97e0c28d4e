import { astroIntegration } from '../src/frameworks/astro.js'

export type { Options } from '../src/plugin/options.js'
export type { BuildReport } from '../src/plugin/report.js'
/** `integrations: [emitOptimizer()]` in astro.config: the whole `astro build` is one transaction. */
export default astroIntegration
