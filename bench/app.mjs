// The generated app the end-to-end benchmarks build (bench/bundlers.mjs, bench/sizes.mts):
// src/main.js dynamically imports every src/m/mNNN.js, so each module becomes its own output chunk.
import fs from 'node:fs'
import path from 'node:path'

export const modName = (i) => `m${String(i).padStart(3, '0')}`

export function moduleSource(i, variant = 0) {
  // ~600 bytes of plain code; `variant` changes one string literal (the one-module change).
  const name = modName(i)
  const lines = [`// generated module ${name}`, `export const id = ${i}`, `export const label = '${name} v${variant}'`]
  for (let k = 0; k < 6; k++) {
    lines.push(`export function f${k}(x) {`, `  const y = x * ${i + 1} + ${k}`, `  return { id, k: ${k}, y, text: label + ':' + String(y) }`, '}')
  }
  lines.push(`export default function run(x) { return [f0(x), f1(x), f2(x), f3(x), f4(x), f5(x)] }`, '')
  return lines.join('\n')
}

export function writeApp(appDir, modules) {
  fs.mkdirSync(path.join(appDir, 'src', 'm'), { recursive: true })
  const loaders = Array.from({ length: modules }, (_, i) => `  () => import('./m/${modName(i)}.js'),`).join('\n')
  fs.writeFileSync(
    path.join(appDir, 'src', 'main.js'),
    `const loaders = [\n${loaders}\n]\nexport async function load(i, x) {\n  const mod = await loaders[i % loaders.length]()\n  return mod.default(x)\n}\nload(0, 1).then((r) => console.log(r))\n`,
  )
  for (let i = 0; i < modules; i++) fs.writeFileSync(path.join(appDir, 'src', 'm', `${modName(i)}.js`), moduleSource(i))
  fs.writeFileSync(path.join(appDir, 'index.html'), '<!doctype html>\n<html><head><title>bench</title></head><body><script type="module" src="/src/main.js"></script></body></html>\n')
}
