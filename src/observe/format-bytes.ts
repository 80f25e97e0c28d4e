/** 1536 → `1.5 KiB`: the one byte format of the summary line, the HTML report and the CLI. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
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
