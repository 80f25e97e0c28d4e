import { formatBytes, formatNumber } from './format-bytes.js'
import type { HistoryEntry } from './report-log.js'
import type { BuildSummary } from './report-json.js'
import { renderSizesHtml, SIZES_STYLE } from './size/html-sizes.js'
import { WRITE_BUCKETS_SECONDS } from './types.js'

/**
 * `reports/latest.html`: one self-contained page. Inline CSS and SVG only; the CSP forbids every
 * fetch and script, so opening it offline (or from CI artifacts) shows the same thing.
 */

/** Rows of the changed-files table; the JSON report has them all. */
export const HTML_FILE_ROWS = 1000
/** Builds drawn in the trend charts. */
export const TREND_BUILDS = 30

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char)
}

const fmt = (value: number | null, digits = 1, unit = ''): string => (value === null ? '–' : `${formatNumber(value, digits)}${unit}`)

const W = 560
const H = 180
const PAD = { left: 44, right: 10, top: 12, bottom: 34 }

/** Bar chart: one bar per category, the count on top and a tooltip. */
function barChart(id: string, title: string, bars: Array<{ label: string; value: number }>): string {
  const max = Math.max(1, ...bars.map((bar) => bar.value))
  const slot = (W - PAD.left - PAD.right) / Math.max(1, bars.length)
  const plot = H - PAD.top - PAD.bottom
  const rects = bars.map((bar, i) => {
    const h = (bar.value / max) * plot
    const x = PAD.left + i * slot
    const y = PAD.top + plot - h
    const middle = (x + slot / 2).toFixed(1)
    const rect = `<rect x="${(x + 2).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, slot - 4).toFixed(1)}" height="${h.toFixed(1)}" rx="2"/>`
    const count = bar.value > 0 ? `<text class="count" x="${middle}" y="${(y - 3).toFixed(1)}">${bar.value}</text>` : ''
    const tick = `<text class="tick" x="${middle}" y="${H - PAD.bottom + 14}">${escapeHtml(bar.label)}</text>`
    return `<g class="bar"><title>${escapeHtml(`${bar.label}: ${bar.value}`)}</title>${rect}${count}${tick}</g>`
  })
  return chart(id, title, `${axes(max, '')}${rects.join('')}`)
}

/** One chart: an SVG of W × H with an accessible name. */
function chart(id: string, title: string, body: string): string {
  const size = `viewBox="0 0 ${W} ${H}" width="${W}" height="${H}"`
  return `<svg id="${id}" class="chart" role="img" aria-label="${escapeHtml(title)}" ${size} xmlns="http://www.w3.org/2000/svg">${body}</svg>`
}

/** Line chart over the last builds, oldest left; one point per build with a tooltip. */
function lineChart(id: string, title: string, points: Array<{ label: string; value: number }>, unit: string): string {
  const max = Math.max(Number.EPSILON, ...points.map((point) => point.value))
  const plot = { w: W - PAD.left - PAD.right, h: H - PAD.top - PAD.bottom }
  const step = points.length > 1 ? plot.w / (points.length - 1) : 0
  const xy = points.map((point, i) => ({
    ...point,
    x: PAD.left + (points.length > 1 ? i * step : plot.w / 2),
    y: PAD.top + plot.h - (point.value / max) * plot.h,
  }))
  const line = xy.length > 1 ? `<polyline points="${xy.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')}"/>` : ''
  const dots = xy.map((p) => {
    const tooltip = `<title>${escapeHtml(`${p.label}: ${fmt(p.value, 2)}${unit}`)}</title>`
    return `<circle class="point" cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="3">${tooltip}</circle>`
  })
  const caption = `${points.length} build${points.length === 1 ? '' : 's'}, oldest left`
  const label = `<text class="caption" x="${PAD.left}" y="${H - PAD.bottom + 14}">${caption}</text>`
  return chart(id, title, `${axes(max, unit)}${line}${dots.join('')}${label}`)
}

function axes(max: number, unit: string): string {
  const bottom = H - PAD.bottom
  return [
    `<line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${bottom}"/>`,
    `<line class="axis" x1="${PAD.left}" y1="${bottom}" x2="${W - PAD.right}" y2="${bottom}"/>`,
    `<text class="y" x="${PAD.left - 4}" y="${PAD.top + 8}">${escapeHtml(fmt(max, max < 10 ? 2 : 0, unit))}</text>`,
    `<text class="y" x="${PAD.left - 4}" y="${bottom}">0</text>`,
  ].join('')
}

/** Written files per latency bucket (not cumulative), labelled by upper bound. */
export function latencyBuckets(durationsMs: readonly number[]): Array<{ label: string; value: number }> {
  const bounds = WRITE_BUCKETS_SECONDS.map((seconds) => seconds * 1000)
  const counts = new Array<number>(bounds.length + 1).fill(0)
  for (const ms of durationsMs) {
    const index = bounds.findIndex((bound) => ms <= bound)
    counts[index < 0 ? bounds.length : index]! += 1
  }
  // Sub-millisecond bounds without a float's tail: ≤0.1, ≤0.25, ≤0.5.
  const label = (bound: number) => `≤${bound >= 1 ? bound : bound.toFixed(2).replace(/0$/, '')}`
  return counts.map((value, i) => ({ label: i < bounds.length ? label(bounds[i]!) : '>1000', value }))
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2330;background:#fafbfc}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#5b6475}.status{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600}
.committed{background:#1f883d}.rolled-back{background:#bf8700}.failed{background:#cf222e}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px}
.card{background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:8px 10px}.card b{display:block;font-size:18px}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{background:#fff;border:1px solid #d8dee4;border-radius:6px}
.chart rect{fill:#3b82f6}.chart polyline{fill:none;stroke:#3b82f6;stroke-width:2}.chart circle{fill:#1d4ed8}
.chart .axis{stroke:#8c959f}.chart text{font-size:10px;fill:#57606a;text-anchor:middle}
.chart text.y{text-anchor:end}.chart text.caption{text-anchor:start}figure{margin:0}
.alerts li.critical{color:#cf222e}.alerts li.warning{color:#9a6700}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #d8dee4;padding:3px 8px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}code{overflow-wrap:anywhere}`

export function renderHtml(summary: BuildSummary, history: readonly HistoryEntry[], durationsMs: readonly number[]): string {
  const s = summary
  const trend = history.slice(-TREND_BUILDS)
  const point = (entry: HistoryEntry, value: number) => ({ label: `${entry.time} ${entry.status}`, value })
  const cards: Array<[string, string]> = [
    ['written', String(s.files.written)],
    ['unchanged', String(s.files.unchanged)],
    ['deleted', String(s.files.deleted)],
    ['total in outDir', String(s.files.total)],
    ['bytes written', formatBytes(s.bytes.written)],
    ['build', fmt(s.build.durationMs, 0, ' ms')],
    ['fs ops (bundler alone ≈)', `${s.fsOps.performed} (${s.fsOps.bundlerAlone})`],
    ['write p50 / p95', `${fmt(s.writeLatencyMs.p50, 2)} / ${fmt(s.writeLatencyMs.p95, 2)} ms`],
    ['write p99 / max', `${fmt(s.writeLatencyMs.p99, 2)} / ${fmt(s.writeLatencyMs.max, 2)} ms`],
    ['throughput', fmt(s.throughput.writesPerSecond, 0, ' writes/s')],
    ['error ratio', `${fmt(s.errors.ratio * 100, 2)} %`],
  ]
  const shown = s.changed.slice(0, HTML_FILE_ROWS)
  const rows = shown.map((file) => {
    const numbers = `<td class="num">${file.bytes}</td><td class="num">${fmt(file.durationMs, 2)}</td>`
    return `<tr class="file"><td><code>${escapeHtml(file.path)}</code></td><td>${file.status}</td>${numbers}</tr>`
  })
  const more = s.changed.length > shown.length ? `<p class="meta">… and ${s.changed.length - shown.length} more in latest.json</p>` : ''
  const phases = s.phasesMs
    ? Object.entries(s.phasesMs)
        .map(([phase, ms]) => `${escapeHtml(phase)} ${fmt(ms, 1)} ms`)
        .join(' · ')
    : 'none (not committed)'
  const alerts =
    s.alerts.length === 0
      ? '<p id="alerts" class="meta">No alerts.</p>'
      : `<ul id="alerts" class="alerts">${s.alerts.map((alert) => `<li class="${alert.severity}">${escapeHtml(alert.message)}</li>`).join('')}</ul>`
  const title = `emit-optimizer report: ${s.project} (${s.bundler})`
  const build = `build <code>${escapeHtml(s.build.id ?? '–')}</code> · ${escapeHtml(s.build.startedAt)} · ${escapeHtml(s.strategy)}`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}${SIZES_STYLE}</style></head>
<body>
<h1>${escapeHtml(title)} <span class="status ${s.status}">${s.status}</span></h1>
<p class="meta">${build} · outDir <code>${escapeHtml(s.outDir)}</code></p>
${s.error ? `<p class="meta">error: <code>${escapeHtml(s.error.code ?? '')}</code> ${escapeHtml(s.error.message)}</p>` : ''}
${renderSizesHtml(s.sizes)}
<h2>Engine</h2>
<div class="cards">${cards.map(([label, value]) => `<div class="card">${escapeHtml(label)}<b>${escapeHtml(value)}</b></div>`).join('')}</div>
<h2>Alerts</h2>${alerts}
<h2>Write latency (ms, per written file)</h2>
<div class="charts">${barChart('latency-histogram', 'write latency histogram', latencyBuckets(durationsMs))}</div>
<h2>Last builds</h2>
<div class="charts">
<figure>${lineChart('trend-duration', 'build duration', trend.map((e) => point(e, e.durationMs)), ' ms')}<figcaption>duration (ms)</figcaption></figure>
<figure>${lineChart('trend-written', 'files written', trend.map((e) => point(e, e.written)), '')}<figcaption>files written</figcaption></figure>
<figure>${lineChart('trend-error-ratio', 'error ratio', trend.map((e) => point(e, e.errorRatio * 100)), ' %')}<figcaption>error ratio (%)</figcaption></figure>
</div>
<h2>Phases</h2><p class="meta">${phases}</p>
<h2>Changed files (${s.changed.length})</h2>
<table id="changed-files"><thead><tr><th>path</th><th>status</th><th>bytes</th><th>ms</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}
</body></html>
`
}
