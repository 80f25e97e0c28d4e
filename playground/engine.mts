// Quick local work on the engine from source: `npm run play`. Edit freely.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTransaction, status } from '../src/index.js'

const root = path.dirname(fileURLToPath(import.meta.url))
const tx = createTransaction({ outDir: 'dist', root, strategy: (process.argv[2] as 'incremental' | 'swap' | 'symlink') ?? 'incremental' })
tx.write('index.html', `<!doctype html><p>built ${new Date().toISOString().slice(0, 13)}</p>`)
tx.write('assets/app.js', 'console.log("hello")\n')
const result = await tx.commit()
console.log(result.files)
console.log(await status('dist', { root }))
