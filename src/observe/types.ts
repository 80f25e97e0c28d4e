import type { CommitResult } from '../core/transaction.js'
import type { SizeSummary } from './size/measure.js'

/** The bundler, the framework whose whole build was one transaction (src/frameworks/), or `command`: a build run through `emit-optimizer run`. */
export type BundlerName = 'vite' | 'rollup' | 'rolldown' | 'webpack' | 'rspack' | 'esbuild' | 'astro' | 'nuxt' | 'command'

/** What one build did to its outDir; the metrics and report work render this. */
export interface BuildReport {
  /**
   * - `committed`: the new output is in outDir.
   * - `rolled-back`: the build or the commit failed and outDir holds the previous output, intact.
   * - `failed`: the commit failed and restoring the previous output failed too; the journal is
   *   kept for `emit-optimizer recover`.
   */
  status: 'committed' | 'rolled-back' | 'failed'
  bundler: BundlerName
  outDir: string
  startedAt: string
  durationMs: number
  /** Files captured from the bundler for this build. */
  captured: number
  /** Per-file outcomes, stats and phase timings (committed builds). */
  result?: CommitResult
  /**
   * Why the build was not committed; for a committed build, an `EO_ALERT` error when
   * `failOnAlert` is set and an alert fired (the output stays committed, the bundler fails).
   */
  error?: unknown
  /** The transaction id: the build id in reports and history. */
  txId?: string
  /** Where a build that was not committed failed: in the bundler, or while committing. */
  failedIn?: 'build' | 'commit'
  /**
   * Thresholds this build crossed (`alerts` option, and exceeded size `budgets`); shown as
   * warnings in the summary line.
   */
  alerts?: Alert[]
  /** What was committed when one outDir takes several builds: `mobile+desktop → dist` (compiler names or environments, and the outDir). */
  target?: string
  /** Files outDir holds after a build that was not committed (the previous output, kept). */
  outDirFiles?: number
  /** What the committed output weighs and what changed (`sizes` option; committed builds). */
  sizes?: SizeSummary
}

/** One threshold crossed by a build. `rule` is stable: CI may match on it. */
export interface Alert {
  rule: 'error-ratio' | 'throughput' | 'p99-latency' | 'rollback' | 'size-budget'
  severity: 'warning' | 'critical'
  /** Human text for the summary line, e.g. `error ratio 2.0 % > 1 %`. */
  message: string
  value: number
  threshold: number
}

/** File names inside the report dir. */
export const REPORT_FILES = { json: 'latest.json', html: 'latest.html', history: 'history.ndjson' } as const

/** Per-file write latency buckets, 0.1 ms … 1 s (includes the inherited 0.001 … 1 s set). */
export const WRITE_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
/** Whole-commit buckets: the write buckets plus 2.5, 5 and 10 s. */
export const COMMIT_BUCKETS_SECONDS = [...WRITE_BUCKETS_SECONDS, 2.5, 5, 10]
