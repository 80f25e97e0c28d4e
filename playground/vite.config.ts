// Quick local work on the Vite adapter from source: `npx vite build playground` (add `--watch`
// to try rebuilds; break src/main.ts to see a rollback). Edit freely.
import { defineConfig } from 'vite'
import { unplugin } from '../src/adapters/unplugin.js'

export default defineConfig({
  build: { sourcemap: true },
  plugins: [
    unplugin.vite({
      onReport: (report) => {
        if (report.result) console.log(report.result.files.filter((f) => f.status !== 'unchanged').map((f) => `${f.status} ${f.path}`))
      },
    }),
  ],
})
