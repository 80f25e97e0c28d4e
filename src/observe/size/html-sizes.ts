import { formatBytes } from '../format-bytes.js'
import { formatDelta, type BudgetResult, type Compression } from './budgets.js'
import { TOTAL_KEYS, type Delta, type SizeComparison } from './delta.js'
import { SIZE_KINDS, type SizeKind } from './kinds.js'
import type { SizeSummary } from './measure.js'

/** Files drawn in the bar view; the tables list every file (up to FILE_ROWS). */
export const BAR_FILES = 25
export const FILE_ROWS = 1000

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const esc = (text: string): string => text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char)

const COLORS: Record<SizeKind, string> = {
  js: '#3b82f6',
  css: '#a855f7',
  html: '#f97316',
  images: '#22c55e',
  fonts: '#eab308',
  other: '#94a3b8',
}

/** The orders of the file table, in the order their tables are written; `compressed` is shown first. */
const SORT_KEYS = ['path', 'raw', 'compressed', 'delta'] as const
type SortKey = (typeof SORT_KEYS)[number]

/** Per order: its checked radio button shows its table and marks its header labels. */
const SORT_RULES = [
  `${SORT_KEYS.map((key) => `#sort-${key}:checked~#size-files-by-${key}`).join(',')}{display:table}`,
  `${SORT_KEYS.map((key) => `#sort-${key}:checked~* label[for=sort-${key}]`).join(',')}{font-weight:700;text-decoration:none}`,
]

/** The report's CSS for the sizes section (no scripts: sorting is radio buttons and CSS). */
export const SIZES_STYLE = `
.sizes .up{color:#cf222e}.sizes .down{color:#1f883d}.sizes .legend span{display:inline-block;margin-right:12px}
.sizes .swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:baseline}
.sizes .bars{background:#fff;border:1px solid #d8dee4;border-radius:6px}.sizes .bars text{font-size:11px;fill:#1d2330}
.sizes input.sort{position:absolute;opacity:0;pointer-events:none}.sizes .sorted{display:none}
.sizes label.sortby{cursor:pointer;text-decoration:underline dotted}
${SORT_RULES.join('\n')}`

const direction = (delta: number): string => (delta > 0 ? 'up' : delta < 0 ? 'down' : '')

function deltaCell(delta: number | null): string {
  if (delta === null) return '<td class="num delta">–</td>'
  return `<td class="num delta ${direction(delta)}">${esc(formatDelta(delta))}</td>`
}

const sizeCell = (value: number | null) => `<td class="num">${value === null ? '–' : esc(formatBytes(value))}</td>`

/** The gzip and brotli cells of a row; a size is null when its compression is off, and has no column. */
const compressedCells = (sizes: { gzip: number | null; brotli: number | null }): string =>
  (sizes.gzip !== null ? sizeCell(sizes.gzip) : '') + (sizes.brotli !== null ? sizeCell(sizes.brotli) : '')

const tr = (className: string, cells: readonly string[]): string => `<tr class="${className}">${cells.join('')}</tr>`
const ths = (labels: readonly string[]): string => labels.map((label) => `<th>${label}</th>`).join('')

function table(id: string, head: string, rows: readonly string[], className?: string): string {
  const attrs = `id="${id}"${className === undefined ? '' : ` class="${className}"`}`
  return `<table ${attrs}><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`
}

const sortLabel = (key: SortKey, text: string): string => `<label class="sortby" for="sort-${key}">${text}</label>`

/** The compressions measured in this build, one column each. */
const compressions = (s: SizeSummary): string[] => [
  ...(s.totals.all.gzip !== null ? ['gzip'] : []),
  ...(s.totals.all.brotli !== null ? ['brotli'] : []),
]

/** The header of the per-kind and per-entry tables: files, sizes, and the deltas of `compression`. */
const totalsHead = (first: string, s: SizeSummary, compression: Compression): string =>
  ths([first, 'files', 'raw', ...compressions(s), `Δ ${compression} vs previous`, `Δ ${compression} vs baseline`])

/** Horizontal bars: one stacked bar of the kinds, then the largest files, by compressed size. */
function bars(s: SizeSummary, compression: Compression): string {
  const width = 760
  const label = 300
  const row = 16
  const weight = (value: { raw: number; gzip: number | null; brotli: number | null }) => value[compression] ?? value.raw
  const files = [...s.files].sort((a, b) => weight(b) - weight(a)).slice(0, BAR_FILES)
  const total = Math.max(1, weight(s.totals.all))
  const max = Math.max(1, ...files.map(weight))
  let x = 0
  const stack = SIZE_KINDS.filter((kind) => s.totals[kind].files > 0).map((kind) => {
    const w = (weight(s.totals[kind]) / total) * width
    const tip = esc(`${kind}: ${formatBytes(weight(s.totals[kind]))} ${compression}`)
    const rect = `<rect x="${x.toFixed(1)}" y="0" width="${Math.max(0.5, w).toFixed(1)}" height="18" fill="${COLORS[kind]}"><title>${tip}</title></rect>`
    x += w
    return rect
  })
  const rows = files.map((file, i) => {
    const y = 30 + i * row
    const w = Math.max(1, (weight(file) / max) * (width - label - 70))
    const name = file.path.length > 48 ? `…${file.path.slice(-47)}` : file.path
    const size = formatBytes(weight(file))
    return [
      `<g class="size-bar"><title>${esc(`${file.path}: ${size} ${compression}`)}</title>`,
      `<text x="${label - 6}" y="${y + 11}" text-anchor="end">${esc(name)}</text>`,
      `<rect x="${label}" y="${y}" width="${w.toFixed(1)}" height="${row - 4}" rx="2" fill="${COLORS[file.kind]}"/>`,
      `<text x="${(label + w + 4).toFixed(1)}" y="${y + 11}">${esc(size)}</text></g>`,
    ].join('')
  })
  const height = 34 + files.length * row
  const swatch = (kind: SizeKind) => `<span><i class="swatch" style="background:${COLORS[kind]}"></i>${kind}</span>`
  const legend = `<p class="legend">${SIZE_KINDS.map(swatch).join('')}</p>`
  const svg = [
    'id="size-bars" class="bars" role="img"',
    `aria-label="output by ${compression} size"`,
    `viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"`,
    'xmlns="http://www.w3.org/2000/svg"',
  ].join(' ')
  return `${legend}<svg ${svg}>${stack.join('')}${rows.join('')}</svg>`
}

/** The cards of the totals and the headline of the deltas against the previous build and the baseline. */
function headline(s: SizeSummary, compression: Compression): string {
  const all = s.totals.all
  const vs = (c: SizeComparison | null, name: string) => {
    if (!c) return `– vs ${esc(name)}`
    const delta = c.totals.all[compression]
    return `<span class="${direction(delta ?? 0)}">${esc(formatDelta(delta))}</span> vs ${esc(name)}`
  }
  const cards = [
    ['total raw', formatBytes(all.raw)],
    ...(all.gzip !== null ? [[`gzip (level ${s.levels.gzip})`, formatBytes(all.gzip)]] : []),
    ...(all.brotli !== null ? [[`brotli (quality ${s.levels.brotli})`, formatBytes(all.brotli)]] : []),
    ['files', String(all.files)],
  ]
  const card = ([label, value]: string[]) => `<div class="card">${esc(label!)}<b>${esc(value!)}</b></div>`
  const baseline = s.baseline ? `baseline ${s.baseline.label}` : `baseline ${s.baselineWanted} (none kept)`
  return (
    `<div class="cards">${cards.map(card).join('')}</div>` +
    `<p id="size-deltas">${compression}: ${vs(s.previous, 'the previous build')} · ${vs(s.baseline, baseline)}</p>`
  )
}

function kindsTable(s: SizeSummary, compression: Compression): string {
  const rows = TOTAL_KEYS.filter((key) => key === 'all' || s.totals[key].files > 0).map((key) => {
    const t = s.totals[key]
    return tr('size-kind', [
      `<td>${key === 'all' ? '<b>total</b>' : key}</td>`,
      `<td class="num">${t.files}</td>`,
      sizeCell(t.raw),
      compressedCells(t),
      deltaCell(s.previous?.totals[key][compression] ?? null),
      deltaCell(s.baseline?.totals[key][compression] ?? null),
    ])
  })
  return table('size-kinds', totalsHead('kind', s, compression), rows)
}

const ENTRIES_NOTE =
  'The entry chunk, its static imports and the CSS and assets the bundler ties to them; dynamic imports are not counted. ' +
  'Hover the file count for the files.'

function entriesTable(s: SizeSummary, compression: Compression): string {
  // A latest.json written before entry totals has none.
  const rows = (s.entries ?? []).map((e) =>
    tr('size-entry', [
      `<td><code>${esc(e.name)}</code></td>`,
      `<td class="num" title="${esc(e.files.join('\n'))}">${e.files.length}</td>`,
      sizeCell(e.raw),
      compressedCells(e),
      deltaCell(e.previous?.[compression] ?? null),
      deltaCell(e.baseline?.[compression] ?? null),
    ]),
  )
  if (rows.length === 0) return ''
  const note = `<h3>Entry points (initial load)</h3><p class="meta">${ENTRIES_NOTE}</p>`
  return note + table('size-entries', totalsHead('entry', s, compression), rows)
}

/** Every file, in one table per order; radio buttons (labels in the headers) pick the one shown, without a script. */
function filesSection(s: SizeSummary, compression: Compression): string {
  type File = SizeSummary['files'][number]
  const fileDelta = new Map((s.baseline ?? s.previous)?.changes.map((c) => [c.path, c.delta[compression] ?? c.delta.raw]) ?? [])
  // A file without a change is unchanged when there is a build to compare with, else unknown.
  const unchanged = fileDelta.size || s.previous || s.baseline ? 0 : null
  const weight = (f: File) => f[compression] ?? f.raw
  const orders: Record<SortKey, (a: File, b: File) => number> = {
    path: (a, b) => (a.path < b.path ? -1 : 1),
    raw: (a, b) => b.raw - a.raw,
    compressed: (a, b) => weight(b) - weight(a),
    delta: (a, b) => Math.abs(fileDelta.get(b.path) ?? 0) - Math.abs(fileDelta.get(a.path) ?? 0),
  }
  const head = ths([
    sortLabel('path', 'file'),
    'kind',
    sortLabel('raw', 'raw'),
    ...compressions(s).map((name) => sortLabel('compressed', name)),
    sortLabel('delta', `Δ ${compression} vs ${s.baseline ? 'baseline' : 'previous'}`),
  ])
  const tables = SORT_KEYS.map((key) => {
    const rows = [...s.files]
      .sort(orders[key])
      .slice(0, FILE_ROWS)
      .map((f) =>
        tr('size-file', [
          `<td><code>${esc(f.path)}</code></td>`,
          `<td>${f.kind}</td>`,
          sizeCell(f.raw),
          compressedCells(f),
          deltaCell(fileDelta.get(f.path) ?? unchanged),
        ]),
      )
    return table(`size-files-by-${key}`, head, rows, 'sorted')
  })
  const radio = (key: SortKey) => `<input class="sort" type="radio" name="size-sort" id="sort-${key}"${key === 'compressed' ? ' checked' : ''}>`
  const sortBy = [sortLabel('path', 'name'), sortLabel('raw', 'raw'), sortLabel('compressed', compression), sortLabel('delta', 'change')].join(' · ')
  const more = s.files.length > FILE_ROWS ? `<p class="meta">… and ${s.files.length - FILE_ROWS} more in latest.json</p>` : ''
  return (
    `<h3>Files (${s.files.length})</h3>` +
    `<div class="files">${SORT_KEYS.map(radio).join('')}<p class="meta">sort by: ${sortBy}</p>${tables.join('')}</div>${more}`
  )
}

function changesTable(id: string, title: string, c: SizeComparison, compression: Compression): string {
  const counts =
    Object.entries(c.counts)
      .filter(([, n]) => n > 0)
      .map(([status, n]) => `${n} ${status}`)
      .join(' · ') || 'no file changed'
  const rows = c.changes.slice(0, FILE_ROWS).map((change) => {
    const was = change.from === undefined ? '' : ` <span class="meta">was <code>${esc(change.from)}</code></span>`
    const delta = change.delta as Delta
    return tr(`size-change ${change.status}`, [
      `<td><code>${esc(change.path)}</code>${was}</td>`,
      `<td>${change.status}</td>`,
      sizeCell(change.size[compression]),
      deltaCell(delta.raw),
      deltaCell(delta[compression]),
    ])
  })
  const head = ths(['file', 'change', compression, 'Δ raw', `Δ ${compression}`])
  return `<h3>${esc(title)}</h3><p class="meta">${esc(counts)}</p>${c.changes.length ? table(id, head, rows) : ''}`
}

function budgetsTable(budgets: readonly BudgetResult[]): string {
  if (budgets.length === 0) return ''
  // A `maxIncrease` budget is a percentage; the others are bytes.
  const amount = (b: BudgetResult, value: number) => esc(b.budget.includes('%') ? `${value} %` : formatBytes(value))
  const rows = budgets.map((b) =>
    tr(b.ok ? 'ok' : 'over', [
      `<td>${esc(b.budget)}</td>`,
      `<td class="num">${b.value === null ? '–' : amount(b, b.value)}</td>`,
      `<td class="num">${amount(b, b.limit)}</td>`,
      `<td class="${b.ok ? 'down' : 'up'}">${b.ok ? '✓ ok' : '✗ over'}</td>`,
    ]),
  )
  return `<h3>Budgets</h3>${table('size-budgets', ths(['budget', 'value', 'limit', '']), rows)}`
}

/** The sizes section, first in the report: totals and deltas, per kind, bars, every file, changes, budgets. */
export function renderSizesHtml(s: SizeSummary | null): string {
  if (!s)
    return (
      '<section class="sizes" id="sizes"><h2>Output size</h2>' +
      '<p class="meta">No sizes for this build (nothing committed, or <code>sizes: false</code>).</p></section>'
    )
  const compression: Compression = s.levels.gzip !== false ? 'gzip' : s.levels.brotli !== false ? 'brotli' : 'raw'
  const { compressed, cached, ms } = s.work
  const work = `<p class="meta">${compressed} file${compressed === 1 ? '' : 's'} compressed this build, ${cached} from the cache, ${ms.toFixed(1)} ms.</p>`
  return [
    '<section class="sizes" id="sizes"><h2>Output size</h2>',
    headline(s, compression),
    kindsTable(s, compression),
    entriesTable(s, compression),
    `<h3>By ${compression} size</h3>`,
    bars(s, compression),
    s.previous ? changesTable('size-changes-previous', 'Changes since the previous build', s.previous, compression) : '',
    s.baseline ? changesTable('size-changes-baseline', `Changes against the baseline ${s.baseline.label}`, s.baseline, compression) : '',
    budgetsTable(s.budgets),
    filesSection(s, compression),
    work,
    '</section>',
  ].join('')
}
