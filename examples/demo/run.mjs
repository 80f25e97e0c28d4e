// The main job until the bundler adapters land: commit a generated 600-file site twice into
// examples/demo/dist, the second time with a handful of changes, and show what was touched.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTransaction, verify } from 'unplugin-emit-optimizer'

const here = path.dirname(fileURLToPath(import.meta.url))
const outDir = path.join(here, 'dist')

/** A deterministic fake build: pages, chunks, styles and binary assets. */
function site(version) {
  const files = {}
  for (let i = 0; i < 400; i++) files[`assets/chunk-${i}.js`] = `export const c${i} = ${i};${version > 1 && i % 97 === 0 ? ` // v${version}` : ''}\n`.repeat(20)
  for (let i = 0; i < 100; i++) files[`assets/style-${i}.css`] = `.c${i}{color:#${(i * 4099).toString(16).padStart(6, '0').slice(0, 6)}}\n`.repeat(10)
  for (let i = 0; i < 90; i++) files[`assets/img/icon-${i}.bin`] = Buffer.alloc(2048, i)
  for (let i = 0; i < 10; i++) files[i === 0 ? 'index.html' : `page-${i}.html`] = `<!doctype html><script type=module src=/assets/chunk-${i}.js></script>${version > 1 && i === 0 ? '<!-- v2 -->' : ''}\n`
  if (version > 1) {
    delete files['assets/img/icon-89.bin']
    files['assets/new-feature.js'] = 'export const feature = true\n'
  }
  return files
}

function summary(label, result) {
  const { written, unchanged, deleted, bytesWritten, fsOps, durationMs } = result.stats
  return `${label}: ${written} written · ${unchanged} unchanged · ${deleted} deleted · ${(bytesWritten / 1024).toFixed(1)} KB · ${fsOps} fs ops · ${durationMs.toFixed(1)} ms · ${result.status}`
}

fs.rmSync(outDir, { recursive: true, force: true })
for (const version of [1, 2]) {
  const tx = createTransaction({ outDir, root: here })
  for (const [file, contents] of Object.entries(site(version))) tx.write(file, contents)
  const result = await tx.commit()
  process.stdout.write(`${summary(`build ${version}`, result)}\n`)
  if (version === 2) {
    for (const file of result.files.filter((f) => f.status !== 'unchanged')) process.stdout.write(`  ${file.status.padEnd(7)} ${file.path}\n`)
  }
}
const check = await verify(outDir, { root: here })
process.stdout.write(`verify: ${check.ok ? 'outDir matches the last commit' : 'DRIFT'} (${path.relative(process.cwd(), outDir)}, state in ${path.relative(process.cwd(), check.stateDir)})\n`)
