import { h } from '../dom.js'

export function render() {
  const values = [3, 7, 4, 9, 5]
  return h('pre', values.map((v, i) => `${String(i).padStart(2)} ${'█'.repeat(v)}`).join('\n'), 'stats')
}
