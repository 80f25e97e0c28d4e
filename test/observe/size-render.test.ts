/** The Markdown (parsed by marked) and the HTML section render the sizes, deltas and budgets, names escaped. */
import { marked } from 'marked'
import { describe, expect, it } from 'vitest'
import { evaluateBudgets } from '../../src/observe/size/budgets.js'
import { CDN_LEVELS } from '../../src/observe/size/compress.js'
import { compare, SIZES_FORMAT, totals, type SizeSnapshot, type Sizes } from '../../src/observe/size/delta.js'
import { renderSizesHtml } from '../../src/observe/size/html-sizes.js'
import { entrySizes } from '../../src/observe/size/entries.js'
import { kindOf } from '../../src/observe/size/kinds.js'
import { renderMarkdown } from '../../src/observe/size/markdown.js'
import type { SizeSummary } from '../../src/observe/size/measure.js'

const NASTY = 'assets/x|<b>*y*</b>.js'
const snap = (id: string, files: Record<string, Sizes>): SizeSnapshot => ({ format: SIZES_FORMAT, id, committedAt: '2026-01-01T00:00:00Z', git: { branch: 'main', commit: 'abcdef1234'.padEnd(40, '0') }, levels: CDN_LEVELS, files })
const before = snap('a-00000001', { 'index.html': { raw: 400, gzip: 250, brotli: 200 }, 'assets/index-BXqL3yKm.js': { raw: 10_000, gzip: 4000, brotli: 3500 } })
const after = snap('a-00000002', { 'index.html': { raw: 400, gzip: 250, brotli: 200 }, 'assets/index-Zz9_8yXw.js': { raw: 12_000, gzip: 4600, brotli: 4000 }, [NASTY]: { raw: 90, gzip: 80, brotli: 70 } })
before.entries = { 'index.html': ['index.html', 'assets/index-BXqL3yKm.js'] }
after.entries = { 'index.html': ['index.html', 'assets/index-Zz9_8yXw.js'], [NASTY]: [NASTY] }

function summary(): SizeSummary {
  const sums = totals(after.files, CDN_LEVELS)
  const previous = compare(after, before)
  const baseline = { ...compare(after, before), label: 'main (abcdef1)' }
  const entries = entrySizes(after, before, before)
  const { results } = evaluateBudgets([{ total: 'js', maxGzip: 4000 }, { maxIncrease: '50%' }], { files: after.files, totals: sums, entries, previous, baseline, baselineLabel: baseline.label })
  return { id: after.id, levels: CDN_LEVELS, totals: sums, files: Object.entries(after.files).map(([path, s]) => ({ path, kind: kindOf(path), ...s })), entries, previous, baseline, baselineWanted: 'main', budgets: results, work: { compressed: 2, cached: 1, ms: 3.2, overlappedMs: 1.5 } }
}

/** The cells of each row of the n-th table of parsed HTML, tags stripped. */
function tableRows(html: string, n: number): string[][] {
  const table = [...html.matchAll(/<table>[\s\S]*?<\/table>/g)][n]![0]
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => cell[1]!.replace(/<[^>]+>/g, '').trim()))
}

describe('renderMarkdown', () => {
  const markdown = renderMarkdown({ project: 'app', bundler: 'vite', status: 'committed', alerts: [{ message: 'js total gzip 4.7 kB > 4.0 kB' }], sizes: summary() })
  const html = marked.parse(markdown, { async: false })

  it('parses into the totals table: kinds, sizes, deltas vs previous and baseline', () => {
    const rows = tableRows(html, 0)
    expect(rows[0]).toEqual(['kind', 'files', 'raw', 'gzip', 'brotli', 'Δ gzip vs previous', 'Δ gzip vs main (abcdef1)'])
    expect(rows.find((row) => row[0] === 'js')).toEqual(['js', '2', '12.1 kB', '4.7 kB', '4.1 kB', '+680 B (+17.0 %)', '+680 B (+17.0 %)'])
    expect(rows.find((row) => row[0] === 'html')).toEqual(['html', '1', '400 B', '250 B', '200 B', '±0 B', '±0 B'])
    expect(rows.at(-1)![0]).toBe('total')
    expect(rows.map((row) => row[0])).not.toContain('css')
  })

  it("lists each entry point's initial load with its deltas; an entry new in this build has none", () => {
    expect(tableRows(html, 1)).toEqual([
      ['entry', 'files', 'raw', 'gzip', 'brotli', 'Δ gzip vs previous', 'Δ gzip vs main (abcdef1)'],
      ['index.html', '2', '12.4 kB', '4.8 kB', '4.2 kB', '+600 B (+14.1 %)', '+600 B (+14.1 %)'],
      ['assets/x|&lt;b&gt;*y*&lt;/b&gt;.js', '1', '90 B', '80 B', '70 B', '–', '–'],
    ])
  })

  it('lists the biggest changes, with the renamed hashed file matched and a nasty name kept as text', () => {
    const rows = tableRows(html, 2)
    expect(rows[0]).toEqual(['file', 'status', 'gzip', 'Δ gzip'])
    expect(rows[1]).toEqual(['assets/index-Zz9_8yXw.js (was assets/index-BXqL3yKm.js)', 'grown', '4.6 kB', '+600 B'])
    expect(rows[2]).toEqual(['assets/x|&lt;b&gt;*y*&lt;/b&gt;.js', 'added', '80 B', '+80 B'])
    expect(html).not.toContain('<b>*y*</b>')
  })

  it('shows the budgets and the status', () => {
    expect(tableRows(html, 3)).toEqual([['budget', 'value', 'limit', ''], ['js total gzip ≤ 4.0 kB', '4.7 kB', '4.0 kB', '❌'], ['all gzip increase vs baseline ≤ 50%', '16 %', '50 %', '✅']])
    expect(markdown.split('\n')[0]).toBe('### emit-optimizer: app (vite) · ⚠️ committed, 1 alert')
    expect(html).toContain('<strong>Alerts</strong>: js total gzip 4.7 kB &gt; 4.0 kB')
  })

  it('says so when a build has no sizes', () => {
    expect(renderMarkdown({ project: 'app', bundler: 'rollup', status: 'rolled-back', alerts: [], sizes: null })).toContain('❌ rolled-back')
  })
})

describe('renderSizesHtml', () => {
  const html = renderSizesHtml(summary())

  it('has the kinds table, the bars, one file table per order and the changes', () => {
    for (const id of ['size-kinds', 'size-bars', 'size-files-by-path', 'size-files-by-raw', 'size-files-by-compressed', 'size-files-by-delta', 'size-changes-previous', 'size-changes-baseline', 'size-budgets', 'size-deltas', 'size-entries']) expect(html, id).toContain(`id="${id}"`)
    const byRaw = /id="size-files-by-raw"[\s\S]*?<\/table>/.exec(html)![0]
    expect([...byRaw.matchAll(/<tr class="size-file"><td><code>([^<]*)<\/code>/g)].map((m) => m[1])).toEqual(['assets/index-Zz9_8yXw.js', 'index.html', 'assets/x|&lt;b&gt;*y*&lt;/b&gt;.js'])
    expect(html).toContain('was <code>assets/index-BXqL3yKm.js</code>')
    expect(html).not.toMatch(/<script|<b>\*y/)
  })
})

describe('renderSizesHtml entry points', () => {
  it('lists each entry with its totals and files, and leaves the table out when the bundler named none', () => {
    const s = summary()
    const table = /id="size-entries"[\s\S]*?<\/table>/.exec(renderSizesHtml(s))![0]
    const rows = [...table.matchAll(/<tr class="size-entry">([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1]!.replace(/<[^>]+>/g, '')))
    expect(rows).toEqual([
      ['index.html', '2', '12.4 kB', '4.8 kB', '4.2 kB', '+600 B', '+600 B'],
      ['assets/x|&lt;b&gt;*y*&lt;/b&gt;.js', '1', '90 B', '80 B', '70 B', '–', '–'],
    ])
    expect(table).toContain('title="index.html\nassets/index-Zz9_8yXw.js"')
    expect(renderSizesHtml({ ...s, entries: [] })).not.toContain('size-entries')
  })
})
