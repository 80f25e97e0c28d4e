import { defineConfig } from 'vitepress'
import emitOptimizer from 'unplugin-emit-optimizer/vitepress'

// https://vitepress.dev/reference/site-config
export default defineConfig({
  // The whole VitePress build (bundles, rendered pages, hashmap.json) is one transaction:
  // committed to .vitepress/dist after buildEnd, unchanged files untouched, a failed build
  // leaves the previous site as it was.
  vite: { plugins: [emitOptimizer()] },
  title: "My Awesome Project",
  description: "A VitePress Site",
  themeConfig: {
    // https://vitepress.dev/reference/default-theme-config
    nav: [
      { text: 'Home', link: '/' },
      { text: 'Examples', link: '/markdown-examples' }
    ],

    sidebar: [
      {
        text: 'Examples',
        items: [
          { text: 'Markdown Examples', link: '/markdown-examples' },
          { text: 'Runtime API Examples', link: '/api-examples' }
        ]
      }
    ],

    socialLinks: [
      { icon: 'github', link: 'https://github.com/vuejs/vitepress' }
    ]
  }
})
