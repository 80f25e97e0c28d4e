import './style.css'
import logoUrl from './logo.svg'
import { greet } from './greet.js'

const img = document.createElement('img')
img.src = logoUrl
document.body.append(img, greet('the example'))

document.addEventListener('click', async () => {
  const { chart } = await import('./chart.js')
  document.body.append(chart([3, 1, 2]))
})
import('./settings.js').then(({ settings }) => console.info(settings))
