import { defineConfig } from 'vite'
import emitOptimizer from 'unplugin-emit-optimizer/vite'

export default defineConfig({
  build: { sourcemap: true },
  plugins: [
    // dist/ is now written as one transaction: unchanged files keep their mtime, and a failed
    // build leaves the previous dist as it was.
    emitOptimizer(),
  ],
})
