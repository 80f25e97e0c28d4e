import { el } from './dom.js'

export function renderChart(values) {
  const max = Math.max(...values)
  return el('pre', { className: 'chart' }, values.map((value) => '█'.repeat(Math.round((value / max) * 20))).join('\n'))
}
