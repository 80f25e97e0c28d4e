import { EmitOptimizerError } from '../../errors.js'
import { validateBudgets, type Budget } from './budgets.js'
import { CDN_LEVELS, type CompressionLevels } from './compress.js'

/** The `sizes` option of the plugin. */
export interface SizeOptions {
  /**
   * gzip level (1–9) the sizes are measured at, or `false` for none.
   * @default 6 (what a CDN or nginx uses on the fly)
   */
  gzip?: number | false
  /**
   * brotli quality (0–11), or `false` for none. Use 11 when you deploy precompressed files (it is
   * ~20× slower to compute on a cold build).
   * @default 4 (what Cloudflare uses on the fly)
   */
  brotli?: number | false
  /**
   * What the output is compared with besides the previous build: a build-history version id or a
   * branch (its newest kept version).
   * @default the CI's target branch (GITHUB_BASE_REF, CI_MERGE_REQUEST_TARGET_BRANCH_NAME, CI_DEFAULT_BRANCH), else the repository's default branch
   */
  baseline?: string
  /**
   * Size budgets: `{ path: 'assets/*.js', maxGzip: 100_000 }` (each matching file),
   * `{ total: 'js', maxGzip }` (a kind's total), `{ entry: 'main', maxGzip }` (an entry point's
   * initial load: its chunk, static imports, their CSS and assets), `{ maxIncrease: '5%' }` (growth
   * against the baseline). An exceeded budget is an alert (`failOnAlert` makes it fail the build).
   * @default []
   */
  budgets?: Budget[]
  /**
   * Append the Markdown size summary to `$GITHUB_STEP_SUMMARY` when that variable is set (GitHub Actions).
   * @default true
   */
  githubSummary?: boolean
}

export interface ResolvedSizeOptions {
  levels: CompressionLevels
  baseline: string | undefined
  budgets: Budget[]
  githubSummary: boolean
}

function level(name: 'gzip' | 'brotli', value: number | false | undefined, max: number, min: number): number | false {
  if (value === undefined) return CDN_LEVELS[name]
  if (value === false) return false
  if (!Number.isInteger(value) || value < min || value > max)
    throw new EmitOptimizerError('EO_INVALID_OPTION', `sizes.${name} must be an integer from ${min} to ${max} or false, got ${JSON.stringify(value)}.`)
  return value
}

export function resolveSizeOptions(options: false | SizeOptions | undefined): ResolvedSizeOptions | false {
  if (options === false) return false
  const budgets = options?.budgets ?? []
  validateBudgets(budgets)
  return {
    levels: { gzip: level('gzip', options?.gzip, 9, 1), brotli: level('brotli', options?.brotli, 11, 0) },
    baseline: options?.baseline,
    budgets,
    githubSummary: options?.githubSummary ?? true,
  }
}
