/**
 * Small generated Vite and webpack apps for the real-build crash tests: a version A of the
 * sources and a seeded edit of it, version B, whose build adds, changes (same path, other bytes
 * or mode) and deletes outputs. Each app has a real config file that imports the packaged plugin
 * by name, resolved through the app's own node_modules (symlinks to this checkout).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Rng } from './seeded.js'

export type Bundler = 'vite' | 'webpack'

/** Source path (POSIX, relative to the app) → contents and mode. */
export type Sources = Map<string, { text: string; mode?: number }>

const REPO = path.resolve(import.meta.dirname, '..', '..')

const VITE_CONFIG = `import { defineConfig } from 'vite'
import emitOptimizer from 'unplugin-emit-optimizer/vite'

export default defineConfig({
  logLevel: 'silent',
  build: { sourcemap: true, assetsInlineLimit: 0 },
  plugins: [emitOptimizer()],
})
`

/** webpack has no public dir: a small plugin emits \`static/\` as assets (what copy plugins do). */
const WEBPACK_CONFIG = `import fs from 'node:fs'
import path from 'node:path'
import webpack from 'webpack'
import EmitOptimizer from 'unplugin-emit-optimizer/webpack'

const dir = import.meta.dirname

class CopyStatic {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap('copy-static', (compilation) => {
      compilation.hooks.processAssets.tap({ name: 'copy-static', stage: webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, () => {
        const from = path.join(dir, 'static')
        for (const rel of fs.readdirSync(from, { recursive: true })) {
          const abs = path.join(from, rel)
          if (fs.statSync(abs).isFile()) compilation.emitAsset(rel.split(path.sep).join('/'), new webpack.sources.RawSource(fs.readFileSync(abs)))
        }
      })
    })
  }
}

/** @type {import('webpack').Configuration} */
export default {
  mode: 'production',
  context: dir,
  entry: './src/index.js',
  devtool: 'source-map',
  output: { path: path.join(dir, 'dist'), filename: '[name].[contenthash:8].js', clean: true },
  // Minifying doubles the build time and changes nothing about how the output is written.
  optimization: { minimize: false },
  experiments: { css: true },
  module: { rules: [{ test: /\\.svg$/, type: 'asset/resource' }] },
  infrastructureLogging: { level: 'none' },
  stats: 'none',
  plugins: [new CopyStatic(), EmitOptimizer()],
}
`

interface Shape {
  pages: string[]
  libs: string[]
  icons: string[]
  /** Pages' imports: page → libs and icon. */
  uses: Map<string, { libs: string[]; icon: string }>
  /** Text files of the public (vite) / static (webpack) dir. */
  statics: Map<string, { text: string; mode?: number }>
  /** Changes with each version: different bytes at the same output paths. */
  title: string
  tweak: Map<string, string>
}

const words = ['alpha', 'bravo', 'delta', 'ember', 'fjord', 'gamma', 'helix', 'ionic', 'jolly', 'kilo', 'lumen', 'mango', 'nova', 'orbit', 'pixel', 'quartz', 'radar', 'sigma', 'tango', 'umbra']

function svg(name: string, rng: Rng): string {
  const shapes = Array.from({ length: rng.int(3, 12) }, () => `<circle cx="${rng.int(0, 64)}" cy="${rng.int(0, 64)}" r="${rng.int(2, 20)}" fill="#${rng.int(0, 0xffffff).toString(16).padStart(6, '0')}"/>`)
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><title>${name}</title>${shapes.join('')}</svg>\n`
}

/** A string table, so some chunks are tens of kilobytes (a torn write shows). */
function table(name: string, rng: Rng, rows: number): string {
  return Array.from({ length: rows }, (_, i) => `  ${JSON.stringify(`${name}-${i}-${rng.int(0, 1e9).toString(36)}`)},`).join('\n')
}

function initialShape(rng: Rng): Shape {
  const pages = words.slice(0, 10)
  const libs = ['math', 'text', 'dates', 'colors']
  const icons = ['sun', 'moon', 'star', 'cloud']
  const uses = new Map(pages.map((page) => [page, { libs: rng.shuffle(libs).slice(0, rng.int(1, 2)), icon: rng.pick(icons) }]))
  const statics = new Map<string, { text: string; mode?: number }>([
    ['robots.txt', { text: 'User-agent: *\nAllow: /\n' }],
    ['scripts/deploy.sh', { text: '#!/bin/sh\necho deploy\n', mode: 0o755 }],
    ['scripts/check.sh', { text: '#!/bin/sh\necho check\n' }],
    ['docs/readme.txt', { text: `docs ${rng.int(0, 1e6)}\n` }],
    ['docs/old/notes.txt', { text: `notes ${rng.int(0, 1e6)}\n` }],
    ['data/config.json', { text: `${JSON.stringify({ build: 'a', seed: rng.int(0, 1e6) })}\n` }],
  ])
  return { pages, libs, icons, uses, statics, title: 'version A', tweak: new Map() }
}

/**
 * Version B: some pages changed, removed, added; a lib and an icon changed (new hashed names,
 * old ones deleted); public files changed in place, one made executable, one dir removed, one
 * added; the html title changed.
 */
function editShape(a: Shape, rng: Rng): Shape {
  const b: Shape = { ...a, pages: [...a.pages], uses: new Map(a.uses), statics: new Map(a.statics), title: 'version B', tweak: new Map(a.tweak) }
  const removed = rng.shuffle(b.pages).slice(0, 2)
  b.pages = b.pages.filter((page) => !removed.includes(page))
  for (const page of removed) b.uses.delete(page)
  for (const page of words.slice(10, 10 + rng.int(2, 3))) {
    b.pages.push(page)
    b.uses.set(page, { libs: rng.shuffle(a.libs).slice(0, rng.int(1, 2)), icon: rng.pick(a.icons) })
  }
  for (const page of rng.shuffle(b.pages).slice(0, 3)) b.tweak.set(page, `changed ${rng.int(0, 1e6)}`)
  b.tweak.set(`lib:${rng.pick(a.libs)}`, `changed ${rng.int(0, 1e6)}`)
  b.tweak.set(`icon:${rng.pick(a.icons)}`, `changed ${rng.int(0, 1e6)}`)
  b.statics.set('robots.txt', { text: `User-agent: *\nDisallow: /private-${rng.int(0, 1e6)}\n` })
  b.statics.set('data/config.json', { text: `${JSON.stringify({ build: 'b', seed: rng.int(0, 1e6) })}\n` })
  b.statics.set('scripts/check.sh', { text: '#!/bin/sh\necho check\n', mode: 0o755 })
  b.statics.delete('docs/old/notes.txt')
  b.statics.set('media/new/credits.txt', { text: `credits ${rng.int(0, 1e6)}\n` })
  return b
}

function sources(shape: Shape, bundler: Bundler, seed: number, rngFor: (key: string) => Rng): Sources {
  const out: Sources = new Map()
  const put = (file: string, text: string, mode?: number): void => void out.set(file, mode === undefined ? { text } : { text, mode })
  for (const lib of shape.libs) {
    const rng = rngFor(`lib:${lib}`)
    put(`src/lib/${lib}.js`, `// ${shape.tweak.get(`lib:${lib}`) ?? 'original'}\nconst rows = [\n${table(lib, rng, lib === 'text' ? 400 : 60)}\n]\nexport function ${lib}(n) {\n  return rows[n % rows.length] + ' ${lib}'\n}\n`)
  }
  for (const icon of shape.icons) put(`src/assets/${icon}.svg`, svg(`${icon} ${shape.tweak.get(`icon:${icon}`) ?? ''}`, rngFor(`icon:${icon}`)))
  for (const page of shape.pages) {
    const { libs, icon } = shape.uses.get(page)!
    const rng = rngFor(`page:${page}`)
    // The icon through CSS: Rolldown's sourcemap of a JS module importing an asset names the
    // asset by a random reference id (measured: two plain Vite 8 builds differ in those maps).
    put(`src/pages/${page}.css`, `.${page} { color: #${rng.int(0, 0xffffff).toString(16).padStart(6, '0')}; margin: ${rng.int(0, 9)}px; background: url(../assets/${icon}.svg); }\n`)
    put(
      `src/pages/${page}.js`,
      `import './${page}.css'\n${libs.map((lib) => `import { ${lib} } from '../lib/${lib}.js'`).join('\n')}\n\nconst words = [\n${table(page, rng, rng.int(10, 120))}\n]\n\nexport function render(n) {\n  // ${shape.tweak.get(page) ?? 'original'}\n  return \`<section class="${page}">\${words[n % words.length]} \${${libs.map((lib) => `${lib}(n)`).join(' + ')}}</section>\`\n}\n`,
    )
  }
  const routes = shape.pages.map((page) => `  ${page}: () => import('./pages/${page}.js'),`).join('\n')
  const main = `import './style.css'\n\nexport const routes = {\n${routes}\n}\n\ndocument.addEventListener('click', async (event) => {\n  const load = routes[event.target.dataset.page]\n  if (load) document.body.innerHTML = (await load()).render(${seed % 97})\n})\n`
  put('src/style.css', `body { font-family: system-ui, sans-serif; }\n`)
  const publicDir = bundler === 'vite' ? 'public' : 'static'
  for (const [file, entry] of shape.statics) put(`${publicDir}/${file}`, entry.text, entry.mode)
  if (bundler === 'vite') {
    put('src/main.js', main)
    put('index.html', `<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8" />\n    <title>${shape.title}</title>\n  </head>\n  <body>\n    <script type="module" src="/src/main.js"></script>\n  </body>\n</html>\n`)
    put('vite.config.js', VITE_CONFIG)
  } else {
    put('src/index.js', main)
    put('webpack.config.js', WEBPACK_CONFIG)
  }
  put('package.json', `${JSON.stringify({ name: `crash-${bundler}-app`, private: true, type: 'module' }, null, 2)}\n`)
  return out
}

/** The sources of versions A and B of a generated app (the same for a given seed). */
export function appVersions(bundler: Bundler, seed: number, seeded: (seed: number) => Rng): { a: Sources; b: Sources } {
  const rng = seeded(seed)
  const a = initialShape(rng)
  const b = editShape(a, rng)
  // Every file's content comes from its own stream, so B differs from A only where edited.
  const rngFor = (key: string): Rng => seeded([...key].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, seed))
  return { a: sources(a, bundler, seed, rngFor), b: sources(b, bundler, seed, rngFor) }
}

/** Makes `dir`'s sources exactly `version`: writes every file (with its mode), removes the others. */
export function writeSources(dir: string, version: Sources, previous?: Sources): void {
  for (const file of previous?.keys() ?? []) if (!version.has(file)) fs.rmSync(path.join(dir, file), { force: true })
  for (const [file, { text, mode }] of version) {
    const abs = path.join(dir, file)
    fs.mkdirSync(path.dirname(abs), { recursive: true })
    fs.writeFileSync(abs, text)
    fs.chmodSync(abs, mode ?? 0o644)
  }
}

/**
 * This package as installed, frozen for a test run: `<dir>/node_modules/unplugin-emit-optimizer`
 * holds a copy of package.json and dist/ (so a `npm run build` elsewhere during the run changes
 * nothing), its dependencies linked from this checkout. Returns the package dir.
 */
export function installPackage(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-crashbuild-pkg-')))
  const pkg = path.join(dir, 'node_modules', 'unplugin-emit-optimizer')
  fs.mkdirSync(pkg, { recursive: true })
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(pkg, 'package.json'))
  fs.cpSync(path.join(REPO, 'dist'), path.join(pkg, 'dist'), { recursive: true })
  for (const dep of Object.keys(manifest.dependencies)) fs.symlinkSync(path.join(REPO, 'node_modules', dep), path.join(dir, 'node_modules', dep))
  return pkg
}

/**
 * A new app dir in the temp dir with `node_modules` holding links to the bundler and to the
 * installed package `pkg` (see installPackage), as an install would.
 */
export function makeApp(bundler: Bundler, version: Sources, pkg: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `eo-crashbuild-${bundler}-`)))
  const modules = path.join(dir, 'node_modules')
  fs.mkdirSync(modules)
  fs.symlinkSync(pkg, path.join(modules, 'unplugin-emit-optimizer'))
  fs.symlinkSync(path.join(REPO, 'node_modules', bundler), path.join(modules, bundler))
  writeSources(dir, version)
  return dir
}
