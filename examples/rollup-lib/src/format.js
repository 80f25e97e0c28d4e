import { formatName } from './shared.js'

export function formatList(names) {
  return names.map(formatName).join(', ')
}
