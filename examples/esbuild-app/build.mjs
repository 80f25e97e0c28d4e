import * as esbuild from 'esbuild'
import emitOptimizer from 'unplugin-emit-optimizer/esbuild'

/** @type {import('esbuild').BuildOptions} */
const options = {
  entryPoints: ['src/main.js'],
  bundle: true,
  splitting: true,
  format: 'esm',
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  loader: { '.svg': 'file', '.woff2': 'file' },
  sourcemap: true,
  minify: true,
  logLevel: 'info',
  // dist/ is written in one transaction per build; a failed build keeps the last good output.
  plugins: [emitOptimizer()],
}

if (process.argv.includes('--watch')) {
  const ctx = await esbuild.context(options)
  await ctx.watch()
} else {
  await esbuild.build(options)
}
