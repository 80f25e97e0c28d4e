import { defineConfig } from 'rolldown'
import emitOptimizer from 'unplugin-emit-optimizer/rolldown'

export default defineConfig({
  input: { widget: 'src/main.js' },
  // CSS and the logo are emitted as files; importing them gives their URL.
  moduleTypes: { '.css': 'asset', '.svg': 'asset' },
  output: { dir: 'dist', format: 'es', sourcemap: true, cleanDir: true },
  plugins: [
    // dist/ is written as one transaction; `cleanDir` takes effect at commit, so a failed build
    // keeps the previous dist whole.
    emitOptimizer(),
  ],
})
