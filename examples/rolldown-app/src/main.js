import styles from './widget.css'
import logo from './assets/logo.svg'
import { el } from './dom.js'

/** Mounts the widget; the chart and the settings panel are loaded on demand (own chunks). */
export function mount(root) {
  const link = el('link')
  link.rel = 'stylesheet'
  link.href = new URL(styles, import.meta.url).href
  document.head.append(link)
  const card = el('div', 'widget')
  card.innerHTML = `<img src="${new URL(logo, import.meta.url).href}" width="48" alt=""><button>chart</button><button>settings</button>`
  const [chartButton, settingsButton] = card.querySelectorAll('button')
  chartButton.onclick = async () => card.append((await import('./chart.js')).chart([2, 5, 3]))
  settingsButton.onclick = async () => card.append((await import('./settings.js')).panel())
  root.append(card)
}
