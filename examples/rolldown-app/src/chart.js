import { el } from './dom.js'

export function chart(values) {
  const pre = el('pre', 'widget-chart')
  pre.textContent = values.map((v) => '█'.repeat(v)).join('\n')
  return pre
}
