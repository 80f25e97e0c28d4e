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
  /**
   * Names of other plugins (their `name`) that delete, copy or write files in outDir by path, on
   * top of the known ones (`KNOWN_OUTDIR_WRITERS`). A Rollup, Vite or Rolldown build with one of
   * them runs as an in-place session: the previous output is kept aside from the start of the
   * build and put back if it fails (docs/options.md). `false` turns the detection off.
   * @default []
   */
  outDirWriters?: string[] | false
}

/** Engine fields stay as given (the engine applies their defaults); the plugin's own are resolved. */
export interface ResolvedOptions extends Pick<Options, EngineFields | 'onReport' | 'logger'>, ResolvedObserveOptions {
  outDir: string | undefined
  /** The known writers plus the given ones; empty when turned off. */
  outDirWriters: readonly string[]
  clean: boolean | 'bundler'
  summary: boolean
  failOnAlert: boolean
}

/** The defaults of the plugin's own options (the engine's are in core/transaction-options.ts, the reports' in observe/observe-options.ts). */
export const PLUGIN_DEFAULTS = { clean: 'bundler', summary: true, failOnAlert: false } as const

/**
 * Plugins that write outDir by path rather than through the bundle, at hooks the bundler's output
 * redirection does not cover: rollup-plugin-delete (`delete`, at buildStart), rollup-plugin-copy
 * (`copy`, fs-extra rewriting files in place) and vite-plugin-sitemap (its own `outDir` option).
 * Plugins that write into Vite's resolved `build.outDir` (vite-plugin-static-copy,
 * vite-plugin-compression) need nothing: they follow the redirection.
 */
export const KNOWN_OUTDIR_WRITERS = ['delete', 'copy', 'vite-plugin-sitemap'] as const

export function resolveOptions(options: Options = {}): ResolvedOptions {
  const { project, report, alerts, sizes, metrics, outDirWriters, ...rest } = options
  return {
    ...PLUGIN_DEFAULTS,
    ...definedOnly(rest),
    outDir: options.outDir,
    outDirWriters: outDirWriters === false ? [] : [...KNOWN_OUTDIR_WRITERS, ...(outDirWriters ?? [])],
    ...resolveObserveOptions({ project, report, alerts, sizes, metrics }),
  }
}
