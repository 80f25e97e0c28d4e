import './style.css'
import logo from './assets/logo.svg'
import { h } from './dom.js'

// Each page is its own chunk, loaded on navigation.
const pages = {
  home: async () => h('section', `<img src="${logo}" width="96" alt=""><h1>Home</h1>`),
  about: async () => (await import('./pages/about.js')).render(),
  stats: async () => (await import('./pages/stats.js')).render(),
}

async function show() {
  const name = location.hash.slice(1) || 'home'
  const app = document.querySelector('#app')
  app.replaceChildren(await (pages[name] ?? pages.home)())
}

addEventListener('hashchange', show)
show()
