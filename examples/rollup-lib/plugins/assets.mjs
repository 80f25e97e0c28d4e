import fs from 'node:fs/promises'
import path from 'node:path'

/**
 * What a CSS/URL plugin does, in a few lines: `import './x.css'` is collected into one hashed
 * `assets/style-[hash].css`, `import icon from './x.svg'` becomes the URL of an emitted asset.
 */
export function assets() {
  const styles = new Map()
  return {
    name: 'example-assets',
    async load(id) {
      if (id.endsWith('.css')) {
        styles.set(id, await fs.readFile(id, 'utf8'))
        return 'export {}'
      }
      if (id.endsWith('.svg')) {
        const ref = this.emitFile({ type: 'asset', name: path.basename(id), source: await fs.readFile(id) })
        return `export default import.meta.ROLLUP_FILE_URL_${ref}`
      }
      return null
    },
    generateBundle() {
      this.emitFile({ type: 'asset', name: 'style.css', source: [...styles.values()].join('\n') })
      this.emitFile({ type: 'asset', fileName: 'package-info.json', source: `${JSON.stringify({ entries: ['index', 'format'] }, null, 2)}\n` })
    },
  }
}
