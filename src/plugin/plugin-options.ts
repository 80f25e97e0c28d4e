import type { Logger, TransactionOptions } from '../core/transaction-options.js'
import { definedOnly, resolveObserveOptions, type ObserveOptions, type ResolvedObserveOptions } from '../observe/observe-options.js'
import type { BuildReport } from '../observe/types.js'

/** The engine options the plugin passes through as they are: documented, validated and defaulted by the engine. */
type EngineFields = 'strategy' | 'durability' | 'stateDir' | 'concurrency' | 'lockTimeoutMs' | 'history' | 'allowDangerousOutDir' | 'publishOrder'

/** Options of the bundler plugin (`unplugin-emit-optimizer/<bundler>`). */
export interface Options extends Pick<TransactionOptions, EngineFields>, ObserveOptions {
  /**
   * The directory to commit to. Relative paths resolve against the project root.
   * @default the bundler's output directory (Vite `build.outDir`, Rollup `output.dir`, webpack/Rspack `output.path`, esbuild `outdir`)
   */
  outDir?: string
  /**
   * Also delete files in outDir this plugin never wrote. `'bundler'` follows the bundler's own
   * emptying setting (Vite `build.emptyOutDir`, webpack/Rspack `output.clean`), which then takes
   * effect at commit instead of before the build.
   * @default 'bundler'
   */
  clean?: boolean | 'bundler'
  /**
   * Print one summary line per build through the bundler's logger.
   * @default true
   */
  summary?: boolean
  /**
   * Called after every build with what was committed (or why not).
   * @default undefined
   */
  onReport?: (report: BuildReport) => void | Promise<void>
  /**
   * Fail the build when an alert fires (for CI).
   * @default false
   */
  failOnAlert?: boolean
  /**
   * Where warnings and the summary go when the bundler has no logger for plugins (esbuild).
   * @default stderr
   */
  logger?: Logger & { info?(message: string): void }
}

/** Engine fields stay as given (the engine applies their defaults); the plugin's own are resolved. */
export interface ResolvedOptions extends Pick<Options, EngineFields | 'onReport' | 'logger'>, ResolvedObserveOptions {
  outDir: string | undefined
  clean: boolean | 'bundler'
  summary: boolean
  failOnAlert: boolean
}

/** The defaults of the plugin's own options (the engine's are in core/transaction-options.ts, the reports' in observe/observe-options.ts). */
export const PLUGIN_DEFAULTS = { clean: 'bundler', summary: true, failOnAlert: false } as const

export function resolveOptions(options: Options = {}): ResolvedOptions {
  const { project, report, alerts, sizes, metrics, ...rest } = options
  return { ...PLUGIN_DEFAULTS, ...definedOnly(rest), outDir: options.outDir, ...resolveObserveOptions({ project, report, alerts, sizes, metrics }) }
}
