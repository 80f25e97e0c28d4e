/**
 * 1536 → `1.5 kB`, −2_400_000 → `−2.40 MB`: the one byte format of the summary line, the reports,
 * the Markdown summary and the CLI. Decimal units, as Vite's size table, size-limit and CDNs use.
 */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes)
  const sign = bytes < 0 ? '−' : ''
  if (abs < 1000) return `${sign}${abs} B`
  if (abs < 1_000_000) return `${sign}${(abs / 1000).toFixed(1)} kB`
  if (abs < 1_000_000_000) return `${sign}${(abs / 1_000_000).toFixed(2)} MB`
  return `${sign}${(abs / 1_000_000_000).toFixed(2)} GB`
}

/**
 * 12345.678 → `12,345.68` (at most `digits` decimals, no trailing zeros), as
 * `toLocaleString('en-US')` formats it, without loading ICU: its first call costs tens of ms,
 * which was most of the time of a small build's report.
 */
export function formatNumber(value: number, digits: number): string {
  const [whole = '', fraction] = String(Number(value.toFixed(digits))).split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return fraction === undefined ? grouped : `${grouped}.${fraction}`
}
