import type { CommitResult } from '../core/transaction.js'

export type BundlerName = 'vite' | 'rollup' | 'rolldown' | 'webpack' | 'rspack' | 'esbuild'

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
  /** Why the build was not committed. */
  error?: unknown
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** `emit-optimizer: 12 written · 588 unchanged · 3 deleted · 1.2 MB · 41 ms · committed` */
export function formatSummary(report: BuildReport): string {
  const ms = `${Math.round(report.durationMs)} ms`
  if (!report.result) return `emit-optimizer: ${report.captured} files captured · ${ms} · ${report.status}, ${report.outDir} left as it was`
  const { written, unchanged, deleted, bytesWritten } = report.result.stats
  return `emit-optimizer: ${written} written · ${unchanged} unchanged · ${deleted} deleted · ${formatBytes(bytesWritten)} · ${ms} · ${report.status}`
}
