import type { Durability, Logger, Strategy } from '../core/options.js'
import type { BuildReport } from './report.js'

/** Options of the bundler plugin (`unplugin-emit-optimizer/<bundler>`). */
export interface Options {
  /**
   * The directory to commit to. Relative paths resolve against the project root.
   * @default the bundler's output directory (Vite `build.outDir`, Rollup `output.dir`, webpack/Rspack `output.path`, esbuild `outdir`)
   */
  outDir?: string
  /**
   * How the new output is published: `incremental`, `swap` or `symlink` (see the README).
   * @default 'incremental'
   */
  strategy?: Strategy
  /**
   * `none`, `commit` (fsync at the commit point) or `full` (also every file).
   * @default 'commit'
   */
  durability?: Durability
  /**
   * Also delete files in outDir this plugin never wrote. `'bundler'` follows the bundler's own
   * emptying setting (Vite `build.emptyOutDir`, webpack/Rspack `output.clean`), which then takes
   * effect at commit instead of before the build.
   * @default 'bundler'
   */
  clean?: boolean | 'bundler'
  /**
   * Where the manifest, journal, lock and staging live (same filesystem as outDir).
   * @default '<root>/node_modules/.cache/emit-optimizer/<outDir name>-<hash>'
   */
  stateDir?: string
  /**
   * Maximum file system operations in flight.
   * @default 32
   */
  concurrency?: number
  /**
   * How long to wait for another build writing the same outDir.
   * @default 30000
   */
  lockTimeoutMs?: number
  /**
   * Allow an outDir that is the filesystem root, home, the project root or a repository root.
   * @default false
   */
  allowDangerousOutDir?: boolean
  /**
   * Publish order globs: `entries` last, `code` before them, other assets first.
   * @default { entries: html, manifests, service workers; code: js, css, wasm }
   */
  publishOrder?: { entries?: string[]; code?: string[] }
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
   * Where warnings and the summary go when the bundler has no logger for plugins (esbuild).
   * @default stderr
   */
  logger?: Logger & { info?(message: string): void }
}

export interface ResolvedOptions {
  outDir: string | undefined
  strategy: Strategy
  durability: Durability
  clean: boolean | 'bundler'
  stateDir: string | undefined
  concurrency: number
  lockTimeoutMs: number
  allowDangerousOutDir: boolean
  publishOrder: { entries?: string[]; code?: string[] } | undefined
  summary: boolean
  onReport: ((report: BuildReport) => void | Promise<void>) | undefined
  logger: (Logger & { info?(message: string): void }) | undefined
}

export function resolveOptions(options: Options = {}): ResolvedOptions {
  return {
    outDir: options.outDir,
    strategy: options.strategy ?? 'incremental',
    durability: options.durability ?? 'commit',
    clean: options.clean ?? 'bundler',
    stateDir: options.stateDir,
    concurrency: options.concurrency ?? 32,
    lockTimeoutMs: options.lockTimeoutMs ?? 30_000,
    allowDangerousOutDir: options.allowDangerousOutDir ?? false,
    publishOrder: options.publishOrder,
    summary: options.summary ?? true,
    onReport: options.onReport,
    logger: options.logger,
  }
}
