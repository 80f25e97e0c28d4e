import { loadPicomatch } from '../../core/publish-order.js'
import { EmitOptimizerError } from '../../errors.js'
import type { Delta, SizeComparison, Sizes, TotalKey, Totals } from './delta.js'
import type { EntrySizes } from './entries.js'
import { TOTAL_KEYS } from './delta.js'
import { formatBytes } from '../format-bytes.js'

export type Compression = 'raw' | 'gzip' | 'brotli'

/** Limits in bytes; a budget needs at least one. */
export interface SizeLimits {
  maxBytes?: number
  maxGzip?: number
  maxBrotli?: number
}

/**
 * - `{ path: 'assets/*.js', maxGzip }`: every output file matching the glob (picomatch).
 * - `{ total: 'js', maxGzip }`: the total of a kind (`js`, `css`, `html`, `images`, `fonts`, `other`) or `all`.
 * - `{ entry: 'main', maxGzip }`: an entry point's initial load (its chunk, static imports, their
 *   CSS and assets); unchecked in an output that has no entry of that name.
 * - `{ maxIncrease: '5%' | bytes }`: growth of a total (`all` by default, gzip when on, else raw)
 *   against the baseline, or the previous build when there is no baseline (or `against: 'previous'`).
 */
export type Budget =
  | ({ path: string } & SizeLimits)
  | ({ total: TotalKey } & SizeLimits)
  | ({ entry: string } & SizeLimits)
  | { maxIncrease: number | `${number}%`; total?: TotalKey; compression?: Compression; against?: 'baseline' | 'previous' }

/** A budget a build exceeded: shown like the other alerts (`rule: 'size-budget'`). */
export interface BudgetAlert {
  rule: 'size-budget'
  severity: 'warning'
  message: string
  value: number
  threshold: number
}

/** Every budget, checked or not, for the report's budget table. */
export interface BudgetResult {
  budget: string
  /** The measured value the limit applies to (the largest one for a path budget). */
  value: number | null
  limit: number
  ok: boolean
}

const LIMITS: Array<[keyof SizeLimits, Compression]> = [
  ['maxBytes', 'raw'],
  ['maxGzip', 'gzip'],
  ['maxBrotli', 'brotli'],
]

/** `EO_INVALID_OPTION` for a budget that cannot be checked; called by resolveOptions. */
export function validateBudgets(budgets: readonly Budget[]): void {
  budgets.forEach((budget, i) => {
    const where = `budgets[${i}] (${JSON.stringify(budget)})`
    const fail = (fix: string) => {
      throw new EmitOptimizerError('EO_INVALID_OPTION', `${where}: ${fix}`)
    }
    if ('maxIncrease' in budget) {
      const value = budget.maxIncrease
      if (typeof value === 'number' ? !(value >= 0) : !/^\d+(\.\d+)?%$/.test(value)) fail('maxIncrease takes bytes (a number ≥ 0) or a percentage like "5%".')
      if (budget.total !== undefined && !TOTAL_KEYS.includes(budget.total)) fail(`total must be one of ${TOTAL_KEYS.join(', ')}.`)
      return
    }
    if (!('path' in budget) && !('total' in budget) && !('entry' in budget))
      fail('give `path` (a glob), `total` (a kind or "all"), `entry` (an entry point\'s name) or `maxIncrease`.')
    if ('entry' in budget && (typeof budget.entry !== 'string' || budget.entry === '')) fail('entry must be the name of an entry point.')
    if ('total' in budget && !TOTAL_KEYS.includes(budget.total)) fail(`total must be one of ${TOTAL_KEYS.join(', ')}.`)
    const limits = LIMITS.filter(([key]) => budget[key] !== undefined)
    if (limits.length === 0) fail('give maxBytes, maxGzip or maxBrotli (bytes).')
    for (const [key] of limits) if (!(budget[key]! >= 0)) fail(`${key} must be a number of bytes ≥ 0.`)
  })
}

export function formatDelta(bytes: number | null): string {
  if (bytes === null) return '–'
  return bytes === 0 ? '±0 B' : `${bytes > 0 ? '+' : '−'}${formatBytes(Math.abs(bytes))}`
}

const pick = (sizes: Sizes | Delta, compression: Compression): number | null => sizes[compression]

export interface BudgetInput {
  files: Record<string, Sizes>
  totals: Totals
  entries: readonly EntrySizes[]
  baseline: SizeComparison | null
  previous: SizeComparison | null
  /** How the baseline is named in messages, e.g. `main (3f2a1bc)`. */
  baselineLabel: string
}

/** Checks every budget; `alerts` are the ones exceeded. */
export function evaluateBudgets(budgets: readonly Budget[], input: BudgetInput): { results: BudgetResult[]; alerts: BudgetAlert[] } {
  const results: BudgetResult[] = []
  const alerts: BudgetAlert[] = []
  const check = (budget: string, value: number | null, limit: number, message: () => string) => {
    const ok = value === null || value <= limit
    results.push({ budget, value, limit, ok })
    if (!ok) alerts.push({ rule: 'size-budget', severity: 'warning', message: message(), value: value!, threshold: limit })
  }
  for (const budget of budgets) {
    if ('maxIncrease' in budget) {
      const total = budget.total ?? 'all'
      const compression = budget.compression ?? (input.totals.all.gzip === null ? 'raw' : 'gzip')
      const comparison = budget.against === 'previous' ? input.previous : (input.baseline ?? input.previous)
      const against = comparison === input.baseline && comparison !== null ? input.baselineLabel : 'the previous build'
      const delta = comparison ? pick(comparison.totals[total], compression) : null
      const now = pick(input.totals[total], compression)
      const label = `${total} ${compression} increase vs ${budget.against ?? 'baseline'}`
      if (typeof budget.maxIncrease === 'number') {
        check(
          `${label} ≤ ${formatBytes(budget.maxIncrease)}`,
          delta,
          budget.maxIncrease,
          () => `${total} ${compression} ${formatDelta(delta)} > +${formatBytes(budget.maxIncrease as number)} vs ${against}`,
        )
      } else {
        const limit = Number.parseFloat(budget.maxIncrease)
        const before = now === null || delta === null ? null : now - delta
        const percent = before === null || delta === null ? null : before === 0 ? (delta > 0 ? Infinity : 0) : (delta / before) * 100
        check(
          `${label} ≤ ${budget.maxIncrease}`,
          percent === null ? null : Number(percent.toFixed(2)),
          limit,
          () => `${total} ${compression} ${formatDelta(delta)} (+${percent!.toFixed(1)} %) > ${budget.maxIncrease} vs ${against}`,
        )
      }
      continue
    }
    for (const [key, compression] of LIMITS) {
      const limit = budget[key]
      if (limit === undefined) continue
      if ('total' in budget) {
        const value = pick(input.totals[budget.total], compression)
        check(
          `${budget.total} total ${compression} ≤ ${formatBytes(limit)}`,
          value,
          limit,
          () => `${budget.total} total ${compression} ${formatBytes(value!)} > ${formatBytes(limit)}`,
        )
        continue
      }
      if ('entry' in budget) {
        const found = input.entries.find((entry) => entry.name === budget.entry)
        const value = found ? pick(found, compression) : null
        check(
          `entry ${budget.entry} ${compression} ≤ ${formatBytes(limit)}`,
          value,
          limit,
          () => `entry ${budget.entry} initial load ${compression} ${formatBytes(value!)} > ${formatBytes(limit)}`,
        )
        continue
      }
      const matches = loadPicomatch()(budget.path, { dot: true })
      const over: Array<[string, number]> = []
      let largest: number | null = null
      for (const [file, sizes] of Object.entries(input.files)) {
        const value = matches(file) ? pick(sizes, compression) : null
        if (value === null) continue
        largest = Math.max(largest ?? 0, value)
        if (value > limit) over.push([file, value])
      }
      results.push({ budget: `${budget.path} ${compression} ≤ ${formatBytes(limit)} per file`, value: largest, limit, ok: over.length === 0 })
      for (const [file, value] of over)
        alerts.push({
          rule: 'size-budget',
          severity: 'warning',
          message: `${file} ${compression} ${formatBytes(value)} > ${formatBytes(limit)} (budget ${budget.path})`,
          value,
          threshold: limit,
        })
    }
  }
  return { results, alerts }
}
