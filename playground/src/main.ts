import './style.css'

const app = document.querySelector<HTMLDivElement>('#app')!
app.textContent = 'playground'
app.onclick = async () => app.append((await import('./lazy.js')).lazy())
