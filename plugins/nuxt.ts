import { nuxtModule } from '../src/frameworks/nuxt.js'

export type { Options } from '../src/plugin/plugin-options.js'
export type { BuildReport } from '../src/observe/types.js'
/** `modules: ['unplugin-emit-optimizer/nuxt']` in nuxt.config: the whole `nuxt build`/`nuxt generate` is one transaction. */
export default nuxtModule
