// A small route/type generator, as a user would write it with unplugin-emit-optimizer's writer:
// pages/**/*.md → src/generated/pages/<Name>.ts (one module per page) and src/generated/routes.ts
// (the route table), all in one transaction that owns src/generated/ (stale modules of deleted
// pages are removed in the same commit). Then the Vite plugin of vite-plugin-env-dts.mjs runs
// through the hooks `vite build` calls, and writes src/env.d.ts.
//
//   npm run generate                                   # writes what changed, prints it
//   npm run generate                                   # again: nothing changes, nothing is touched
//   npx emit-optimizer check --run "npm run generate"  # CI: exit 1 if generated files are stale
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createWriter, dedent, render } from 'unplugin-emit-optimizer'
import envDts from './vite-plugin-env-dts.mjs'

const root = path.dirname(fileURLToPath(import.meta.url))
const writer = createWriter({ root, finalNewline: 'ensure' })

/** pages/blog/hello-world.md → { route: '/blog/hello-world', name: 'BlogHelloWorld', … } */
function scanPages() {
  const dir = path.join(root, 'pages')
  return fs
    .readdirSync(dir, { recursive: true })
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => {
      const slug = file.slice(0, -3).split(path.sep).join('/')
      const route = slug === 'index' ? '/' : `/${slug.replace(/\/index$/, '')}`
      const name = slug.split(/[/-]/).map((part) => part[0].toUpperCase() + part.slice(1)).join('')
      const title = /^#\s+(.+)$/m.exec(fs.readFileSync(path.join(dir, file), 'utf8'))?.[1] ?? name
      return { route, name, title, source: `../../../pages/${slug}.md` }
    })
}

const pageModule = `// Generated from {{ source }}; do not edit.
export const route = {{ route | json }}
export const title = {{ title | json }}
export const load = () => import({{ source | json }})
`

const pages = scanPages()
const result = await writer.transaction(
  (tx) => {
    for (const page of pages) tx.write(`src/generated/pages/${page.name}.ts`, render(pageModule, page))
    tx.write(
      'src/generated/routes.ts',
      dedent`
        // Generated from pages/; do not edit.
        ${pages.map((page) => `import * as ${page.name} from './pages/${page.name}.js'`)}

        export const routes = [
          ${pages.map((page) => `${page.name},`)}
        ] as const

        export type RoutePath = ${pages.map((page) => JSON.stringify(page.route)).join(' | ')}
      `,
    )
  },
  { clean: 'src/generated' },
)

const plugin = envDts()
plugin.configResolved({ root, envDir: root, logger: { warn: (message) => console.warn(message) } })
await plugin.buildStart()
await plugin.api.flush()

const verb = writer.check ? 'would change' : 'changed'
console.log(`routes: ${pages.length} pages, ${result.changed} files ${verb}`)
for (const file of result.files.filter((f) => f.status !== 'unchanged')) console.log(`  ${file.status.padEnd(7)} ${file.path}`)
const env = plugin.api.changes()
console.log(`env types: ${env.length > 0 ? `${env[0].status} src/env.d.ts` : 'src/env.d.ts unchanged'}`)
