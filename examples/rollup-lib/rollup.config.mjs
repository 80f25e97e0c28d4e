import emitOptimizer from 'unplugin-emit-optimizer/rollup'
import { assets } from './plugins/assets.mjs'

/** Two entry points, ESM and CJS side by side in dist/ (they commit together, as one transaction). */
export default {
  input: { index: 'src/index.js', format: 'src/format.js' },
  output: [
    { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs', sourcemap: true },
    { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', exports: 'named' },
  ],
  plugins: [
    assets(),
    // Last, so it sees every file: dist/ is written in one transaction, unchanged files untouched.
    emitOptimizer(),
  ],
}
