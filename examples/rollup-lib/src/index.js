import './theme.css'
import icon from './icon.svg'
import { formatName } from './shared.js'

export { icon }

export function greet(name) {
  return `Hello, ${formatName(name)}!`
}

/** The table renderer is big and rarely used: its own chunk, loaded on demand. */
export async function renderTable(rows) {
  const { table } = await import('./table.js')
  return table(rows)
}
