import path from 'node:path'
import EmitOptimizer from 'unplugin-emit-optimizer/webpack'

/**
 * CSS uses webpack's built-in `experiments.css` and the logo `type: 'asset/resource'`, so no
 * loader packages are needed. webpack has no public dir (that is html/copy plugins' job).
 * @type {import('webpack').Configuration}
 */
export default {
  mode: 'production',
  entry: './src/index.js',
  output: {
    path: path.resolve(import.meta.dirname, 'dist'),
    filename: '[name].[contenthash:8].js',
    // Emptied at commit, together with the new output, instead of before the build.
    clean: true,
  },
  experiments: { css: true },
  module: { rules: [{ test: /\.svg$/, type: 'asset/resource' }] },
  plugins: [EmitOptimizer()],
}
