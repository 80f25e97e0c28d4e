/** Each kind of budget fires when exceeded and stays quiet at the limit; bad budgets are refused. */
import { describe, expect, it } from 'vitest'
import { evaluateBudgets, validateBudgets, type Budget, type BudgetInput } from '../../src/observe/size/budgets.js'
import { CDN_LEVELS } from '../../src/observe/size/compress.js'
import { compare, SIZES_FORMAT, totals, type SizeSnapshot, type Sizes } from '../../src/observe/size/delta.js'
import { entrySizes } from '../../src/observe/size/entries.js'
import { EmitOptimizerError } from '../../src/errors.js'

const snap = (id: string, files: Record<string, Sizes>): SizeSnapshot => ({ format: SIZES_FORMAT, id, committedAt: '2026-01-01T00:00:00Z', git: null, levels: CDN_LEVELS, files })
const current = snap('b', { 'assets/a.js': { raw: 1000, gzip: 400, brotli: 350 }, 'assets/b.js': { raw: 3000, gzip: 1000, brotli: 900 }, 'assets/s.css': { raw: 500, gzip: 200, brotli: 180 } })
const base = snap('a', { 'assets/a.js': { raw: 1000, gzip: 400, brotli: 350 }, 'assets/b.js': { raw: 2500, gzip: 900, brotli: 820 }, 'assets/s.css': { raw: 500, gzip: 200, brotli: 180 } })
// gzip total: 1600 now, 1500 before: +100 = +6.67 %
const input = (baseline: boolean, previous = true): BudgetInput => ({
  files: current.files,
  totals: totals(current.files, CDN_LEVELS),
  // main's initial load: a.js + s.css = 1500 raw, 600 gzip, 530 brotli.
  entries: entrySizes({ ...current, entries: { main: ['assets/a.js', 'assets/s.css'], other: ['assets/b.js'] } }, undefined, undefined),
  baseline: baseline ? compare(current, base) : null,
  previous: previous ? compare(current, snap('p', current.files)) : null,
  baselineLabel: 'main (abc1234)',
})
const fired = (budget: Budget, baseline = true) => evaluateBudgets([budget], input(baseline)).alerts

describe('evaluateBudgets', () => {
  it('path: each matching file against its limit, per encoding', () => {
    expect(fired({ path: 'assets/*.js', maxGzip: 1000 })).toEqual([])
    const alerts = fired({ path: 'assets/*.js', maxGzip: 999, maxBytes: 5000 })
    expect(alerts).toEqual([{ rule: 'size-budget', severity: 'warning', message: 'assets/b.js gzip 1.0 kB > 999 B (budget assets/*.js)', value: 1000, threshold: 999 }])
    expect(fired({ path: 'assets/*.js', maxBrotli: 300 }).map((a) => a.message)).toEqual(['assets/a.js brotli 350 B > 300 B (budget assets/*.js)', 'assets/b.js brotli 900 B > 300 B (budget assets/*.js)'])
    expect(fired({ path: '**/*.css', maxBytes: 499 })).toHaveLength(1)
    expect(fired({ path: 'nothing/*.js', maxBytes: 1 })).toEqual([])
  })

  it('total: a kind or all', () => {
    expect(fired({ total: 'js', maxGzip: 1400 })).toEqual([])
    expect(fired({ total: 'js', maxGzip: 1399 })).toMatchObject([{ message: 'js total gzip 1.4 kB > 1.4 kB', value: 1400, threshold: 1399 }])
    expect(fired({ total: 'all', maxBytes: 4500 })).toEqual([])
    expect(fired({ total: 'all', maxBytes: 4499 })).toHaveLength(1)
    expect(fired({ total: 'css', maxBrotli: 179 })).toHaveLength(1)
  })

  it("entry: the initial load's total; a name no entry has is unchecked", () => {
    expect(fired({ entry: 'main', maxGzip: 600 })).toEqual([])
    expect(fired({ entry: 'main', maxGzip: 599 })).toEqual([{ rule: 'size-budget', severity: 'warning', message: 'entry main initial load gzip 600 B > 599 B', value: 600, threshold: 599 }])
    expect(fired({ entry: 'main', maxBytes: 1500, maxBrotli: 530 })).toEqual([])
    expect(fired({ entry: 'main', maxBytes: 1499, maxBrotli: 529 }).map((a) => a.value)).toEqual([1500, 530])
    expect(fired({ entry: 'other', maxBytes: 2999 })).toHaveLength(1)
    const { results, alerts } = evaluateBudgets([{ entry: 'mian', maxGzip: 1 }], input(true))
    expect(alerts).toEqual([])
    expect(results).toEqual([{ budget: 'entry mian gzip ≤ 1 B', value: null, limit: 1, ok: true }])
  })

  it('maxIncrease: a percentage or bytes against the baseline', () => {
    expect(fired({ maxIncrease: '7%' })).toEqual([])
    expect(fired({ maxIncrease: '5%' })).toMatchObject([{ rule: 'size-budget', message: 'all gzip +100 B (+6.7 %) > 5% vs main (abc1234)', value: 6.67, threshold: 5 }])
    expect(fired({ maxIncrease: 100 })).toEqual([])
    expect(fired({ maxIncrease: 99 })).toMatchObject([{ message: 'all gzip +100 B > +99 B vs main (abc1234)' }])
    expect(fired({ maxIncrease: 499, total: 'js', compression: 'raw' })).toHaveLength(1)
    expect(fired({ maxIncrease: '0%', total: 'css' })).toEqual([])
  })

  it('maxIncrease falls back to the previous build without a baseline, and is unchecked with neither', () => {
    // The previous build is identical: no increase.
    expect(fired({ maxIncrease: '0%' }, false)).toEqual([])
    expect(fired({ maxIncrease: 1, against: 'previous' })).toEqual([])
    const { results, alerts } = evaluateBudgets([{ maxIncrease: '1%' }], input(false, false))
    expect(alerts).toEqual([])
    expect(results).toEqual([{ budget: 'all gzip increase vs baseline ≤ 1%', value: null, limit: 1, ok: true }])
  })

  it('lists every budget with its value for the report', () => {
    const { results } = evaluateBudgets([{ path: 'assets/*.js', maxGzip: 999 }, { total: 'css', maxBytes: 600 }], input(true))
    expect(results).toEqual([
      { budget: 'assets/*.js gzip ≤ 999 B per file', value: 1000, limit: 999, ok: false },
      { budget: 'css total raw ≤ 600 B', value: 500, limit: 600, ok: true },
    ])
  })
})

describe('validateBudgets', () => {
  it.each([
    [{ path: 'a/*.js' }, 'give maxBytes, maxGzip or maxBrotli'],
    [{ total: 'scripts', maxBytes: 1 }, 'total must be one of'],
    [{ maxIncrease: '5' }, 'maxIncrease takes bytes'],
    [{ maxIncrease: -1 }, 'maxIncrease takes bytes'],
    [{ path: 'a', maxGzip: -5 }, 'maxGzip must be a number'],
    [{ maxGzip: 5 }, 'give `path`'],
    [{ entry: '', maxGzip: 5 }, 'entry must be the name'],
    [{ entry: 'main' }, 'give maxBytes, maxGzip or maxBrotli'],
  ])('refuses %j', (budget, message) => {
    expect(() => validateBudgets([budget as Budget])).toThrowError(EmitOptimizerError)
    expect(() => validateBudgets([budget as Budget])).toThrowError(message)
  })

  it('accepts the documented forms', () => {
    expect(() => validateBudgets([{ path: 'assets/*.js', maxBytes: 1, maxGzip: 1, maxBrotli: 1 }, { total: 'js', maxGzip: 1 }, { entry: 'main', maxBrotli: 1 }, { maxIncrease: '5%' }, { maxIncrease: 1024, total: 'css', against: 'previous' }])).not.toThrow()
  })
})
