import { el } from './dom.js'

export function panel() {
  const form = el('form', 'widget-settings')
  form.innerHTML = '<label><input type="checkbox" checked> dark mode</label>'
  return form
}
