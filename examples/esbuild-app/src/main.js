import './style.css'
import logo from './logo.svg'
import { el } from './dom.js'

document.body.append(el('img', { src: logo, alt: '' }), el('h1', { className: 'title' }, 'emit-optimizer + esbuild'))

const button = el('button', {}, 'Show chart')
button.addEventListener('click', async () => {
  // Its own chunk, loaded on demand.
  const { renderChart } = await import('./chart.js')
  document.body.append(renderChart([3, 1, 4, 1, 5]))
})
document.body.append(button)
