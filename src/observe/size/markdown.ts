import { formatBytes } from '../format-bytes.js'
import { formatDelta, type Compression } from './budgets.js'
import { TOTAL_KEYS, type Delta, type FileChange, type SizeComparison } from './delta.js'
import type { SizeSummary } from './measure.js'

/** Rows of the biggest-changes table. */
export const MARKDOWN_CHANGES = 10

export interface MarkdownInput {
  project: string
  bundler: string
  status: string
  alerts: ReadonlyArray<{ message: string }>
  sizes: SizeSummary | null
}

/** Markdown specials (and the table's `|`) escaped, so a file name stays text. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#+!|~]/g, (char) => `\\${char}`)
}

function deltaWithPercent(delta: number | null, now: number | null): string {
  if (delta === null || now === null) return '–'
  const before = now - delta
  const percent = before > 0 && delta !== 0 ? ` (${delta > 0 ? '+' : '−'}${Math.abs((delta / before) * 100).toFixed(1)} %)` : ''
  return `${formatDelta(delta)}${percent}`
}

function changeRow(change: FileChange, compression: Compression): string {
  const name = change.from === undefined ? escapeMarkdown(change.path) : `${escapeMarkdown(change.path)} (was ${escapeMarkdown(change.from)})`
  const size = change.size[compression]
  return `| ${name} | ${change.status} | ${size === null ? '–' : formatBytes(size)} | ${formatDelta((change.delta as Delta)[compression])} |`
}

/**
 * A compact summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`: totals per kind with
 * their deltas, the biggest changes, the budgets and the status.
 */
export function renderMarkdown(input: MarkdownInput): string {
  const lines: string[] = []
  const status =
    input.alerts.length > 0
      ? `⚠️ ${input.status}, ${input.alerts.length} alert${input.alerts.length === 1 ? '' : 's'}`
      : input.status === 'committed'
        ? '✅ committed'
        : `❌ ${input.status}`
  lines.push(`### emit-optimizer: ${escapeMarkdown(input.project)} (${input.bundler}) · ${status}`, '')
  const s = input.sizes
  if (!s) {
    lines.push('No sizes for this build (nothing committed, or `sizes: false`).', '')
    return lines.join('\n')
  }
  const compression: Compression = s.levels.gzip !== false ? 'gzip' : s.levels.brotli !== false ? 'brotli' : 'raw'
  const all = s.totals.all
  const against = (c: SizeComparison | null, name: string) => (c ? `${formatDelta(c.totals.all[compression])} vs ${name}` : null)
  const deltas = [against(s.previous, 'previous build'), against(s.baseline, s.baseline?.label ?? '')].filter((x) => x !== null)
  const compressed = [
    s.levels.gzip !== false ? `gzip ${formatBytes(all.gzip!)}` : null,
    s.levels.brotli !== false ? `brotli ${formatBytes(all.brotli!)}` : null,
  ].filter((x) => x !== null)
  const compressedText = compressed.length ? ` (${compressed.join(', ')})` : ''
  const deltasText = deltas.length ? ` · ${deltas.join(' · ')}` : ''
  lines.push(`**${formatBytes(all.raw)}** in ${all.files} files${compressedText}${deltasText}`, '')

  const header = [
    'kind',
    'files',
    'raw',
    ...(s.levels.gzip !== false ? ['gzip'] : []),
    ...(s.levels.brotli !== false ? ['brotli'] : []),
    `Δ ${compression} vs previous`,
    `Δ ${compression} vs ${s.baseline ? escapeMarkdown(s.baseline.label) : `${escapeMarkdown(s.baselineWanted)} (none)`}`,
  ]
  lines.push(
    `| ${header.join(' | ')} |`,
    `| :-- | ${header
      .slice(1)
      .map(() => '--:')
      .join(' | ')} |`,
  )
  for (const key of TOTAL_KEYS) {
    const t = s.totals[key]
    if (t.files === 0 && key !== 'all' && !s.previous?.changes.some((c) => c.kind === key) && !s.baseline?.changes.some((c) => c.kind === key)) continue
    const cells = [
      key === 'all' ? '**total**' : key,
      String(t.files),
      formatBytes(t.raw),
      ...(t.gzip !== null ? [formatBytes(t.gzip)] : []),
      ...(t.brotli !== null ? [formatBytes(t.brotli)] : []),
      deltaWithPercent(s.previous?.totals[key][compression] ?? null, t[compression]),
      deltaWithPercent(s.baseline?.totals[key][compression] ?? null, t[compression]),
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  lines.push('')

  // A latest.json written before entry totals has none.
  if (s.entries?.length) {
    lines.push('**Entry points** (initial load: entry chunk, static imports, their CSS and assets)', '')
    const columns = header.map((cell, i) => (i === 0 ? 'entry' : cell))
    lines.push(`| ${columns.join(' | ')} |`, `| :-- | ${columns.slice(1).map(() => '--:').join(' | ')} |`)
    for (const entry of s.entries) {
      const cells = [
        escapeMarkdown(entry.name),
        String(entry.files.length),
        formatBytes(entry.raw),
        ...(entry.gzip !== null ? [formatBytes(entry.gzip)] : []),
        ...(entry.brotli !== null ? [formatBytes(entry.brotli)] : []),
        deltaWithPercent(entry.previous?.[compression] ?? null, entry[compression]),
        deltaWithPercent(entry.baseline?.[compression] ?? null, entry[compression]),
      ]
      lines.push(`| ${cells.join(' | ')} |`)
    }
    lines.push('')
  }

  const reference = s.baseline ?? s.previous
  if (reference && reference.changes.length > 0) {
    const name = s.baseline ? s.baseline.label : 'the previous build'
    const counts = Object.entries(reference.counts)
      .filter(([, n]) => n > 0)
      .map(([status, n]) => `${n} ${status}`)
      .join(', ')
    lines.push(
      `**Biggest changes** vs ${escapeMarkdown(name)} (${counts})`,
      '',
      `| file | status | ${compression} | Δ ${compression} |`,
      '| :-- | :-- | --: | --: |',
    )
    for (const change of reference.changes.slice(0, MARKDOWN_CHANGES)) lines.push(changeRow(change, compression))
    if (reference.changes.length > MARKDOWN_CHANGES) lines.push(`| … ${reference.changes.length - MARKDOWN_CHANGES} more in the report | | | |`)
    lines.push('')
  }

  if (s.budgets.length > 0) {
    lines.push('**Budgets**', '', '| budget | value | limit | |', '| :-- | --: | --: | :-: |')
    for (const b of s.budgets) {
      const percent = b.budget.includes('%')
      const show = (n: number | null) => (n === null ? '–' : percent ? `${n} %` : formatBytes(n))
      lines.push(`| ${escapeMarkdown(b.budget)} | ${show(b.value)} | ${show(b.limit)} | ${b.ok ? '✅' : '❌'} |`)
    }
    lines.push('')
  }
  if (input.alerts.length > 0) lines.push(`**Alerts**: ${input.alerts.map((alert) => escapeMarkdown(alert.message)).join('; ')}`, '')
  return lines.join('\n')
}
