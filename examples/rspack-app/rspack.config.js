import path from 'node:path'
import EmitOptimizer from 'unplugin-emit-optimizer/rspack'

/**
 * CSS uses Rspack's built-in CSS support (`type: 'css/auto'`) and the logo `type: 'asset/resource'`,
 * so no loader packages are needed. Rspack has no public dir (that is Rsbuild's job).
 * @type {import('@rspack/core').Configuration}
 */
export default {
  mode: 'production',
  entry: './src/index.js',
  output: {
    path: path.resolve(import.meta.dirname, 'dist'),
    filename: '[name].[contenthash:8].js',
    cssFilename: '[name].[contenthash:8].css',
    // Rspack empties output.path on the first emit; with the plugin that happens at commit.
    clean: true,
  },
  module: {
    rules: [
      { test: /\.svg$/, type: 'asset/resource' },
      { test: /\.css$/, type: 'css/auto' },
    ],
  },
  plugins: [EmitOptimizer()],
}
