import { unplugin } from '../src/unplugin.js'

export type { Options } from '../src/plugin/options.js'
export type { BuildReport } from '../src/plugin/report.js'
export default unplugin.rspack
