import './about.css'
import { h } from '../dom.js'

export const render = () => h('section', '<h1>About</h1><p>Built with Vite and unplugin-emit-optimizer.</p>', 'about')
