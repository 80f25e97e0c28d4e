import { formatBytes } from '../format-bytes.js'
import { formatDelta, type Compression } from './budgets.js'
import { TOTAL_KEYS, type Delta, type SizeComparison } from './delta.js'
import { SIZE_KINDS, type SizeKind } from './kinds.js'
import type { SizeSummary } from './measure.js'

/** Files drawn in the bar view; the tables list every file (up to FILE_ROWS). */
export const BAR_FILES = 25
export const FILE_ROWS = 1000

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const esc = (text: string): string => text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char)

const COLORS: Record<SizeKind, string> = { js: '#3b82f6', css: '#a855f7', html: '#f97316', images: '#22c55e', fonts: '#eab308', other: '#94a3b8' }

/** The report's CSS for the sizes section (no scripts: sorting is radio buttons and CSS). */
export const SIZES_STYLE = `
.sizes .up{color:#cf222e}.sizes .down{color:#1f883d}.sizes .legend span{display:inline-block;margin-right:12px}
.sizes .swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:baseline}
.sizes .bars{background:#fff;border:1px solid #d8dee4;border-radius:6px}.sizes .bars text{font-size:11px;fill:#1d2330}
.sizes input.sort{position:absolute;opacity:0;pointer-events:none}.sizes .sorted{display:none}
.sizes label.sortby{cursor:pointer;text-decoration:underline dotted}
#sort-path:checked~#size-files-by-path,#sort-raw:checked~#size-files-by-raw,#sort-compressed:checked~#size-files-by-compressed,#sort-delta:checked~#size-files-by-delta{display:table}
#sort-path:checked~* label[for=sort-path],#sort-raw:checked~* label[for=sort-raw],#sort-compressed:checked~* label[for=sort-compressed],#sort-delta:checked~* label[for=sort-delta]{font-weight:700;text-decoration:none}`

function deltaCell(delta: number | null): string {
  if (delta === null) return '<td class="num delta">–</td>'
  return `<td class="num delta ${delta > 0 ? 'up' : delta < 0 ? 'down' : ''}">${esc(formatDelta(delta))}</td>`
}

const sizeCell = (value: number | null) => `<td class="num">${value === null ? '–' : esc(formatBytes(value))}</td>`

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
    const rect = `<rect x="${x.toFixed(1)}" y="0" width="${Math.max(0.5, w).toFixed(1)}" height="18" fill="${COLORS[kind]}"><title>${esc(`${kind}: ${formatBytes(weight(s.totals[kind]))} ${compression}`)}</title></rect>`
    x += w
    return rect
  })
  const rows = files.map((file, i) => {
    const y = 30 + i * row
    const w = Math.max(1, (weight(file) / max) * (width - label - 70))
    const name = file.path.length > 48 ? `…${file.path.slice(-47)}` : file.path
    return `<g class="size-bar"><title>${esc(`${file.path}: ${formatBytes(weight(file))} ${compression}`)}</title><text x="${label - 6}" y="${y + 11}" text-anchor="end">${esc(name)}</text><rect x="${label}" y="${y}" width="${w.toFixed(1)}" height="${row - 4}" rx="2" fill="${COLORS[file.kind]}"/><text x="${(label + w + 4).toFixed(1)}" y="${y + 11}">${esc(formatBytes(weight(file)))}</text></g>`
  })
  const height = 34 + files.length * row
  const legend = `<p class="legend">${SIZE_KINDS.map((kind) => `<span><i class="swatch" style="background:${COLORS[kind]}"></i>${kind}</span>`).join('')}</p>`
  return `${legend}<svg id="size-bars" class="bars" role="img" aria-label="output by ${compression} size" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${stack.join('')}${rows.join('')}</svg>`
}

function changesTable(id: string, title: string, c: SizeComparison, compression: Compression): string {
  const counts =
    Object.entries(c.counts)
      .filter(([, n]) => n > 0)
      .map(([status, n]) => `${n} ${status}`)
      .join(' · ') || 'no file changed'
  const rows = c.changes
    .slice(0, FILE_ROWS)
    .map(
      (change) =>
        `<tr class="size-change ${change.status}"><td><code>${esc(change.path)}</code>${change.from === undefined ? '' : ` <span class="meta">was <code>${esc(change.from)}</code></span>`}</td><td>${change.status}</td>${sizeCell(change.size[compression])}${deltaCell((change.delta as Delta).raw)}${deltaCell((change.delta as Delta)[compression])}</tr>`,
    )
  return `<h3>${esc(title)}</h3><p class="meta">${esc(counts)}</p>${c.changes.length ? `<table id="${id}"><thead><tr><th>file</th><th>change</th><th>${compression}</th><th>Δ raw</th><th>Δ ${compression}</th></tr></thead><tbody>${rows.join('')}</tbody></table>` : ''}`
}

/** The sizes section, first in the report: totals and deltas, per kind, bars, every file, changes, budgets. */
export function renderSizesHtml(s: SizeSummary | null): string {
  if (!s)
    return (
      '<section class="sizes" id="sizes"><h2>Output size</h2>' +
      '<p class="meta">No sizes for this build (nothing committed, or <code>sizes: false</code>).</p></section>'
    )
  const compression: Compression = s.levels.gzip !== false ? 'gzip' : s.levels.brotli !== false ? 'brotli' : 'raw'
  const all = s.totals.all
  const vs = (c: SizeComparison | null, name: string) =>
    c
      ? `<span class="${(c.totals.all[compression] ?? 0) > 0 ? 'up' : (c.totals.all[compression] ?? 0) < 0 ? 'down' : ''}">${esc(formatDelta(c.totals.all[compression]))}</span> vs ${esc(name)}`
      : `– vs ${esc(name)}`
  const cards = [
    ['total raw', formatBytes(all.raw)],
    ...(all.gzip !== null ? [[`gzip (level ${s.levels.gzip})`, formatBytes(all.gzip)]] : []),
    ...(all.brotli !== null ? [[`brotli (quality ${s.levels.brotli})`, formatBytes(all.brotli)]] : []),
    ['files', String(all.files)],
  ]
  const cardHtml = `<div class="cards">${cards.map(([label, value]) => `<div class="card">${esc(label!)}<b>${esc(value!)}</b></div>`).join('')}</div>`
  const headline = `<p id="size-deltas">${compression}: ${vs(s.previous, 'the previous build')} · ${vs(s.baseline, s.baseline ? `baseline ${s.baseline.label}` : `baseline ${s.baselineWanted} (none kept)`)}</p>`
  const kindRows = TOTAL_KEYS.filter((key) => key === 'all' || s.totals[key].files > 0).map((key) => {
    const t = s.totals[key]
    return `<tr class="size-kind"><td>${key === 'all' ? '<b>total</b>' : key}</td><td class="num">${t.files}</td>${sizeCell(t.raw)}${t.gzip !== null ? sizeCell(t.gzip) : ''}${t.brotli !== null ? sizeCell(t.brotli) : ''}${deltaCell(s.previous?.totals[key][compression] ?? null)}${deltaCell(s.baseline?.totals[key][compression] ?? null)}</tr>`
  })
  const enc = [...(all.gzip !== null ? ['gzip'] : []), ...(all.brotli !== null ? ['brotli'] : [])]
  const kinds = `<table id="size-kinds"><thead><tr><th>kind</th><th>files</th><th>raw</th>${enc.map((e) => `<th>${e}</th>`).join('')}<th>Δ ${compression} vs previous</th><th>Δ ${compression} vs baseline</th></tr></thead><tbody>${kindRows.join('')}</tbody></table>`
  // A latest.json written before entry totals has none.
  const entryRows = (s.entries ?? []).map(
    (e) =>
      `<tr class="size-entry"><td><code>${esc(e.name)}</code></td><td class="num" title="${esc(e.files.join('\n'))}">${e.files.length}</td>${sizeCell(e.raw)}${e.gzip !== null ? sizeCell(e.gzip) : ''}${e.brotli !== null ? sizeCell(e.brotli) : ''}${deltaCell(e.previous?.[compression] ?? null)}${deltaCell(e.baseline?.[compression] ?? null)}</tr>`,
  )
  const entries =
    entryRows.length === 0
      ? ''
      : `<h3>Entry points (initial load)</h3><p class="meta">The entry chunk, its static imports and the CSS and assets the bundler ties to them; dynamic imports are not counted. Hover the file count for the files.</p><table id="size-entries"><thead><tr><th>entry</th><th>files</th><th>raw</th>${enc.map((e) => `<th>${e}</th>`).join('')}<th>Δ ${compression} vs previous</th><th>Δ ${compression} vs baseline</th></tr></thead><tbody>${entryRows.join('')}</tbody></table>`

  // One table per order; radio buttons (labels in the headers) pick the one shown, without a script.
  const fileDelta = new Map((s.baseline ?? s.previous)?.changes.map((c) => [c.path, c.delta[compression] ?? c.delta.raw]) ?? [])
  const weight = (f: SizeSummary['files'][number]) => f[compression] ?? f.raw
  const orders: Array<[string, (a: SizeSummary['files'][number], b: SizeSummary['files'][number]) => number]> = [
    ['path', (a, b) => (a.path < b.path ? -1 : 1)],
    ['raw', (a, b) => b.raw - a.raw],
    ['compressed', (a, b) => weight(b) - weight(a)],
    ['delta', (a, b) => Math.abs(fileDelta.get(b.path) ?? 0) - Math.abs(fileDelta.get(a.path) ?? 0)],
  ]
  const header = `<thead><tr><th><label class="sortby" for="sort-path">file</label></th><th>kind</th><th><label class="sortby" for="sort-raw">raw</label></th>${enc.map((e) => `<th><label class="sortby" for="sort-compressed">${e}</label></th>`).join('')}<th><label class="sortby" for="sort-delta">Δ ${compression} vs ${s.baseline ? 'baseline' : 'previous'}</label></th></tr></thead>`
  const tables = orders.map(([key, order]) => {
    const rows = [...s.files]
      .sort(order)
      .slice(0, FILE_ROWS)
      .map(
        (f) =>
          `<tr class="size-file"><td><code>${esc(f.path)}</code></td><td>${f.kind}</td>${sizeCell(f.raw)}${f.gzip !== null ? sizeCell(f.gzip) : ''}${f.brotli !== null ? sizeCell(f.brotli) : ''}${deltaCell(fileDelta.get(f.path) ?? (fileDelta.size || s.previous || s.baseline ? 0 : null))}</tr>`,
      )
    return `<table id="size-files-by-${key}" class="sorted">${header}<tbody>${rows.join('')}</tbody></table>`
  })
  const radios = orders.map(([key]) => `<input class="sort" type="radio" name="size-sort" id="sort-${key}"${key === 'compressed' ? ' checked' : ''}>`).join('')
  const more = s.files.length > FILE_ROWS ? `<p class="meta">… and ${s.files.length - FILE_ROWS} more in latest.json</p>` : ''
  const changes = [
    s.previous ? changesTable('size-changes-previous', 'Changes since the previous build', s.previous, compression) : '',
    s.baseline ? changesTable('size-changes-baseline', `Changes against the baseline ${s.baseline.label}`, s.baseline, compression) : '',
  ].join('')
  const budgets =
    s.budgets.length === 0
      ? ''
      : `<h3>Budgets</h3><table id="size-budgets"><thead><tr><th>budget</th><th>value</th><th>limit</th><th></th></tr></thead><tbody>${s.budgets.map((b) => `<tr class="${b.ok ? 'ok' : 'over'}"><td>${esc(b.budget)}</td><td class="num">${b.value === null ? '–' : esc(b.budget.includes('%') ? `${b.value} %` : formatBytes(b.value))}</td><td class="num">${esc(b.budget.includes('%') ? `${b.limit} %` : formatBytes(b.limit))}</td><td class="${b.ok ? 'down' : 'up'}">${b.ok ? '✓ ok' : '✗ over'}</td></tr>`).join('')}</tbody></table>`
  const work = `<p class="meta">${s.work.compressed} file${s.work.compressed === 1 ? '' : 's'} compressed this build, ${s.work.cached} from the cache, ${s.work.ms.toFixed(1)} ms.</p>`
  return `<section class="sizes" id="sizes"><h2>Output size</h2>${cardHtml}${headline}${kinds}${entries}<h3>By ${compression} size</h3>${bars(s, compression)}${changes}${budgets}<h3>Files (${s.files.length})</h3><div class="files">${radios}<p class="meta">sort by: <label class="sortby" for="sort-path">name</label> · <label class="sortby" for="sort-raw">raw</label> · <label class="sortby" for="sort-compressed">${compression}</label> · <label class="sortby" for="sort-delta">change</label></p>${tables.join('')}</div>${more}${work}</section>`
}
