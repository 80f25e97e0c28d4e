import path from 'node:path'
import { EmitOptimizerError } from '../errors.js'
import { nodeFs, type EngineFs } from './fs.js'

export type Strategy = 'incremental' | 'swap' | 'symlink'
export type Durability = 'none' | 'commit' | 'full'

/** Where warnings go; bundler adapters pass the bundler's logger. */
export interface Logger {
  warn(message: string): void
}

/** How much build history to keep. */
export interface HistoryOptions {
  /**
   * Versions kept (the latest and the one outDir holds are always kept).
   * @default 10
   */
  keep?: number
  /**
   * Also drop versions older than this many days.
   * @default undefined (no age limit)
   */
  maxAgeDays?: number
}

/** `HistoryOptions` resolved: how many versions, and how old, the history keeps. */
export interface Retention {
  keep: number
  /** Versions older than this many days are dropped too; null: no age limit. */
  maxAgeDays: number | null
}

export interface TransactionOptions {
  /** The directory the output is committed to. Relative paths resolve against `root`. */
  outDir: string
  /**
   * Project root: relative paths resolve against it, the default state dir lives under it, and it
   * is never accepted as outDir.
   * @default process.cwd()
   */
  root?: string
  /**
   * How the new output is published.
   * - `incremental`: changed files are renamed into place one by one in publish order, stale
   *   files deleted, unchanged files untouched; the journal makes the whole commit atomic.
   * - `swap`: the full output is staged in a sibling directory (unchanged files hard-linked) and
   *   swapped in with two renames.
   * - `symlink`: outDir is a symlink to `<stateDir>/builds/<id>`; publishing replaces the link
   *   in one rename.
   * @default 'incremental'
   */
  strategy?: Strategy
  /**
   * Where the manifest, journal, lock, staging and backups live. Must be on outDir's filesystem;
   * when the default is not, `<outDir's parent>/.<outDir name>.emit-optimizer` is used instead.
   * @default '<project>/node_modules/.cache/emit-optimizer/<outDir name>-<hash of outDir>', <project> being the nearest
   * directory from `root` up with a project package.json (src/core/project-dir.ts); a state dir already under `root` is kept
   */
  stateDir?: string
  /**
   * - `none`: no fsync. Safe against a killed process (the kernel keeps the data), not power loss.
   * - `commit`: fsync the journal, the manifest and every touched directory at the commit point,
   *   so a power loss cannot leave a mix of old and new names.
   * - `full`: also fsync each file's data before it is published (no zero-length file after power
   *   loss even on filesystems without rename ordering). Slowest.
   * @default 'commit'
   */
  durability?: Durability
  /**
   * Maximum file system operations in flight. EMFILE/ENFILE halve it and retry.
   * @default 32
   */
  concurrency?: number
  /**
   * Also delete files in outDir that this engine never wrote (files from a previous bundler run,
   * stray files). Without it only files a previous commit produced are deleted.
   * @default false
   */
  clean?: boolean
  /**
   * Publish order: files matching `entries` are published last, files matching `code` before
   * them, everything else (plain assets) first; stale files are deleted at the very end. Globs
   * (picomatch) against the output path.
   */
  publishOrder?: {
    /** @default ['**\/*.html', '**\/*manifest*.json', '**\/*.webmanifest', '**\/sw.js', '**\/service-worker.js', '**\/_redirects', '**\/_headers'] */
    entries?: string[]
    /** @default ['**\/*.{js,mjs,cjs,jsx,css,wasm}'] */
    code?: string[]
  }
  /**
   * How long to wait for another process's lock on outDir before failing with `EO_LOCKED`.
   * @default 30000
   */
  lockTimeoutMs?: number
  /**
   * Allow deleting from, swapping or linking an outDir that is the filesystem root, the home
   * directory, the project root (or above it) or a repository root.
   * @default false
   */
  allowDangerousOutDir?: boolean
  /**
   * Check free space before the first write (`EO_NO_SPACE`).
   * @default true
   */
  checkDiskSpace?: boolean
  /**
   * Receives warnings (e.g. the state dir fallback).
   * @default a logger that writes to stderr
   */
  logger?: Logger
  /**
   * Build history: each commit that changes outDir is recorded as a version (its files
   * content-addressed in `<stateDir>/history`, shared between versions), so
   * `emit-optimizer rollback` can restore any kept version. `false` records nothing.
   * @default { keep: 10 }
   */
  history?: false | HistoryOptions
  /**
   * Recorded with each version (`history list`); the bundler adapters set it.
   * @default undefined (shown as "-")
   */
  bundler?: string
  /**
   * File system used for every operation; tests wrap it to inject faults.
   * @default node:fs
   */
  fs?: EngineFs
}

export interface ResolvedTransactionOptions {
  outDir: string
  root: string
  strategy: Strategy
  stateDir: string | undefined
  durability: Durability
  concurrency: number
  clean: boolean
  publishOrder: { entries: string[]; code: string[] }
  lockTimeoutMs: number
  allowDangerousOutDir: boolean
  checkDiskSpace: boolean
  logger: Logger
  fs: EngineFs
  history: Retention | false
  bundler: string | null
}

/** The engine's defaults, in one place (the JSDoc `@default` above says the same for readers). */
export const TRANSACTION_DEFAULTS = {
  strategy: 'incremental',
  durability: 'commit',
  concurrency: 32,
  clean: false,
  publishOrder: {
    entries: ['**/*.html', '**/*manifest*.json', '**/*.webmanifest', '**/sw.js', '**/service-worker.js', '**/_redirects', '**/_headers'],
    code: ['**/*.{js,mjs,cjs,jsx,css,wasm}'],
  },
  lockTimeoutMs: 30_000,
  allowDangerousOutDir: false,
  checkDiskSpace: true,
  history: { keep: 10 },
} as const

/** The default logger when no bundler logger is given. */
export const stderrLogger: Logger = { warn: (message) => process.stderr.write(`${message}\n`) }

/** Validates an enum-like option (`EO_INVALID_OPTION` naming the allowed values). */
export function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback
  if (!allowed.includes(value)) {
    throw new EmitOptimizerError('EO_INVALID_OPTION', `invalid ${name}: ${JSON.stringify(value)}. Use one of ${allowed.map((a) => `'${a}'`).join(', ')}.`)
  }
  return value
}

export function resolveTransactionOptions(options: TransactionOptions): ResolvedTransactionOptions {
  if (typeof options?.outDir !== 'string' || options.outDir.length === 0) {
    throw new EmitOptimizerError('EO_INVALID_OPTION', 'outDir is required: pass the output directory, e.g. { outDir: "dist" }.')
  }
  const root = path.resolve(options.root ?? process.cwd())
  const defaults = TRANSACTION_DEFAULTS
  const concurrency = options.concurrency ?? defaults.concurrency
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new EmitOptimizerError(
      'EO_INVALID_OPTION',
      `invalid concurrency: ${JSON.stringify(options.concurrency)}. Use a positive integer (default ${defaults.concurrency}).`,
    )
  }
  const lockTimeoutMs = options.lockTimeoutMs ?? defaults.lockTimeoutMs
  if (!(lockTimeoutMs >= 0)) {
    throw new EmitOptimizerError(
      'EO_INVALID_OPTION',
      `invalid lockTimeoutMs: ${JSON.stringify(options.lockTimeoutMs)}. Use a number of milliseconds ≥ 0 (default ${defaults.lockTimeoutMs}).`,
    )
  }
  return {
    outDir: path.resolve(root, options.outDir),
    root,
    strategy: oneOf('strategy', options.strategy, ['incremental', 'swap', 'symlink'], defaults.strategy),
    stateDir: options.stateDir === undefined ? undefined : path.resolve(root, options.stateDir),
    durability: oneOf('durability', options.durability, ['none', 'commit', 'full'], defaults.durability),
    concurrency,
    clean: options.clean ?? defaults.clean,
    publishOrder: {
      entries: options.publishOrder?.entries ?? [...defaults.publishOrder.entries],
      code: options.publishOrder?.code ?? [...defaults.publishOrder.code],
    },
    lockTimeoutMs,
    allowDangerousOutDir: options.allowDangerousOutDir ?? defaults.allowDangerousOutDir,
    checkDiskSpace: options.checkDiskSpace ?? defaults.checkDiskSpace,
    logger: options.logger ?? stderrLogger,
    fs: options.fs ?? nodeFs,
    history: resolveHistory(options.history),
    bundler: options.bundler ?? null,
  }
}

function resolveHistory(history: TransactionOptions['history']): Retention | false {
  if (history === false) return false
  const keep = history?.keep ?? TRANSACTION_DEFAULTS.history.keep
  if (!Number.isInteger(keep) || keep < 1) {
    throw new EmitOptimizerError(
      'EO_INVALID_OPTION',
      `invalid history.keep: ${JSON.stringify(history?.keep)}. ` +
        `Use a whole number of versions ≥ 1 (default ${TRANSACTION_DEFAULTS.history.keep}), or history: false.`,
    )
  }
  const maxAgeDays = history?.maxAgeDays ?? null
  if (maxAgeDays !== null && !(maxAgeDays > 0))
    throw new EmitOptimizerError(
      'EO_INVALID_OPTION',
      `invalid history.maxAgeDays: ${JSON.stringify(history?.maxAgeDays)}. Use a number of days > 0, or leave it unset for no age limit.`,
    )
  return { keep, maxAgeDays }
}
