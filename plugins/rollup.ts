import { unplugin } from '../src/adapters/unplugin.js'

export type { Options } from '../src/plugin/plugin-options.js'
export type { BuildReport } from '../src/observe/types.js'
export default unplugin.rollup
