import { TRANSACTION_DEFAULTS } from '../core/transaction-options.js'
import { createBuildObserver, type BuildObserver } from '../observe/build-observer.js'
import { resolveOptions, type Options, type ResolvedOptions } from './plugin-options.js'

/**
 * One plugin instance: created once per `plugin(options)` call (native-plugin.ts; webpack and
 * Rspack: once per `apply`, as unplugin does) and handed to each adapter and framework entry,
 * which pass it to every capture they start. All state an instance keeps between builds lives
 * here, never in module scope.
 */
export interface PluginInstance {
  readonly options: ResolvedOptions
  /** Its metrics registries, its /metrics server and the reports of its builds. */
  readonly observer: BuildObserver
}

export function createPluginInstance(raw?: Options): PluginInstance {
  const options = resolveOptions(raw)
  return { options, observer: createBuildObserver({ ...options, strategy: options.strategy ?? TRANSACTION_DEFAULTS.strategy }) }
}
