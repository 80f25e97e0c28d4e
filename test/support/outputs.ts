/**
 * Seeded output sets that look like a bundler's: html entry points, js/css chunks in nested
 * directories, binary assets, an executable file. `outputSets(seed)` returns A (the previous
 * build) and B (the next one): B changes ~30 % of A's files, deletes ~10 % (emptying one
 * directory), adds ~10 % (some in directories A does not have) and changes one file's mode.
 * It also changes the output's shape under `reshape/` (RESHAPE): directories of A become files
 * of B (`chunks/…` → `chunks`, nested `deep/x/y/…` → `deep/x/y`) and files of A directories of B
 * (`entry` → `entry/index.js`, `deep/p` → `deep/p/q/r.js`), next to a file both keep.
 */
import type { CommitResult } from '../../src/core/transaction.js'
import { createTransaction } from '../../src/history/engine.js'
import type { TransactionOptions } from '../../src/core/transaction-options.js'
import { seeded, type Rng } from './seeded.js'

export interface OutputFile {
  /** POSIX, relative to outDir. */
  path: string
  contents: Uint8Array
  /** Explicit permission bits; absent = the engine's default (0o666 & ~umask, or the replaced file's). */
  mode?: number
}

/** Sorted by path. */
export type OutputSet = readonly OutputFile[]

export interface OutputSets {
  a: OutputSet
  b: OutputSet
  /** What B does to A, for assertions and messages (RESHAPE's files are in `deleted` and `added`). */
  changes: { changed: string[]; deleted: string[]; added: string[]; modeChanged: string }
}

/**
 * Directory ↔ file changes from A to B, fixed (no random draws: the rest of the sets stays what
 * the seed made it). `dirToFile`/`fileToDir` name the paths whose type changes.
 */
export const RESHAPE = {
  a: {
    'reshape/chunks/a-1f2e.js': 'export const a = 1\n',
    'reshape/chunks/nested/b-77c1.js': 'export const b = 2\n',
    'reshape/entry': 'entry, a file in A\n',
    'reshape/deep/x/y/z.js': 'export const z = 3\n',
    'reshape/deep/p': 'p, a file in A\n',
    'reshape/keep.js': 'export const kept = true\n',
  },
  b: {
    'reshape/chunks': 'chunks, a file in B\n',
    'reshape/entry/index.js': 'export const entry = 2\n',
    'reshape/deep/x/y': 'y, a file in B\n',
    'reshape/deep/p/q/r.js': 'export const r = 4\n',
    'reshape/keep.js': 'export const kept = true\n',
  },
  dirToFile: ['reshape/chunks', 'reshape/deep/x/y'],
  fileToDir: ['reshape/entry', 'reshape/deep/p'],
} as const

const WORDS = ['alpha', 'bravo', 'chunk', 'delta', 'entry', 'fetch', 'guard', 'hydrate', 'import', 'jsx', 'kernel', 'lazy', 'module', 'node', 'once', 'proxy', 'query', 'render', 'state', 'token', 'util', 'vendor', 'worker', 'yield']

function hex(rng: Rng, length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += '0123456789abcdef'[rng.int(0, 15)]
  return out
}

function words(rng: Rng, count: number): string {
  return Array.from({ length: count }, () => rng.pick(WORDS)).join(' ')
}

function jsChunk(rng: Rng, name: string): string {
  const lines = [`// ${name} ${hex(rng, 8)}`]
  for (let i = rng.int(3, 40); i > 0; i--) lines.push(`export const ${rng.pick(WORDS)}_${hex(rng, 4)} = ${JSON.stringify(words(rng, rng.int(1, 8)))};`)
  return `${lines.join('\n')}\n`
}

function cssChunk(rng: Rng, name: string): string {
  const rules = [`/* ${name} ${hex(rng, 8)} */`]
  for (let i = rng.int(2, 25); i > 0; i--) rules.push(`.${rng.pick(WORDS)}-${hex(rng, 3)}{color:#${hex(rng, 6)};margin:${rng.int(0, 32)}px}`)
  return `${rules.join('\n')}\n`
}

function html(rng: Rng, title: string, scripts: string[]): string {
  const tags = scripts.map((src) => `<script type="module" src="/${src}"></script>`).join('\n    ')
  return `<!doctype html>\n<html>\n  <head>\n    <title>${title} ${hex(rng, 6)}</title>\n    ${tags}\n  </head>\n  <body><p>${words(rng, rng.int(5, 30))}</p></body>\n</html>\n`
}

const text = (s: string): Uint8Array => Buffer.from(s)

/** A fresh content for `file` (guaranteed different from its current one). */
function regenerate(rng: Rng, file: OutputFile): Uint8Array {
  for (;;) {
    let next: Uint8Array
    if (file.path.endsWith('.js')) next = text(jsChunk(rng, file.path))
    else if (file.path.endsWith('.css')) next = text(cssChunk(rng, file.path))
    else if (file.path.endsWith('.html')) next = text(html(rng, file.path, [`assets/index-${hex(rng, 8)}.js`]))
    else if (file.path.endsWith('.json')) next = text(JSON.stringify({ name: file.path, version: hex(rng, 6), icons: [hex(rng, 4)] }))
    else next = rng.bytes(rng.int(1, 8192))
    if (!Buffer.from(next).equals(Buffer.from(file.contents))) return next
  }
}

function generateA(rng: Rng): OutputFile[] {
  const files: OutputFile[] = []
  const add = (path: string, contents: Uint8Array | string, mode?: number): void => {
    files.push({ path, contents: typeof contents === 'string' ? text(contents) : contents, ...(mode === undefined ? {} : { mode }) })
  }
  const chunks: string[] = []
  for (let i = 0; i < 14; i++) {
    const dir = rng.pick(['assets', 'assets', 'assets/js', 'assets/js/vendor', 'assets/chunks/route'])
    const name = `${dir}/${rng.pick(WORDS)}-${hex(rng, 8)}.js`
    if (chunks.includes(name)) continue
    chunks.push(name)
    add(name, jsChunk(rng, name))
  }
  for (let i = 0; i < 6; i++) add(`assets/css/${rng.pick(WORDS)}-${hex(rng, 8)}.css`, cssChunk(rng, 'css'))
  for (let i = 0; i < 12; i++) add(`assets/img/${rng.pick(['icons/', '', 'photos/'])}${rng.pick(WORDS)}-${hex(rng, 6)}.${rng.pick(['png', 'webp', 'svg'])}`, rng.bytes(rng.int(16, 8192)))
  for (let i = 0; i < 4; i++) add(`fonts/${rng.pick(WORDS)}-${hex(rng, 6)}.woff2`, rng.bytes(rng.int(512, 6000)))
  for (const page of ['index.html', 'about/index.html', 'docs/index.html', 'docs/guide/index.html', 'docs/guide/advanced/index.html', 'blog/2026/11/post/index.html']) {
    add(page, html(rng, page, [rng.pick(chunks), rng.pick(chunks)]))
  }
  for (let i = 0; i < 10; i++) add(`docs/data/${rng.pick(WORDS)}-${hex(rng, 4)}.json`, JSON.stringify({ page: i, words: words(rng, rng.int(1, 40)) }))
  add('manifest.json', JSON.stringify({ entries: chunks }))
  add('sw.js', jsChunk(rng, 'sw'))
  add('robots.txt', `User-agent: *\nDisallow: /${hex(rng, 4)}\n`)
  add('bin/serve.js', `#!/usr/bin/env node\n${jsChunk(rng, 'serve')}`, 0o755)
  add('scripts/deploy.sh', `#!/bin/sh\necho ${hex(rng, 12)}\n`)
  // A directory B deletes completely (its emptied directory must go too).
  add('legacy/old-entry.js', jsChunk(rng, 'legacy'))
  add('legacy/nested/old.css', cssChunk(rng, 'legacy'))
  return dedupe(files)
}

function dedupe(files: OutputFile[]): OutputFile[] {
  const byPath = new Map<string, OutputFile>()
  for (const file of files) byPath.set(file.path, file)
  return [...byPath.values()].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))
}

export function outputSets(seed: number): OutputSets {
  const rng = seeded(seed)
  const a = generateA(rng)
  const fixed = new Set(['legacy/old-entry.js', 'legacy/nested/old.css', 'scripts/deploy.sh', 'bin/serve.js'])
  const candidates = rng.shuffle(a.map((f) => f.path).filter((p) => !fixed.has(p)))
  const nChange = Math.round(a.length * 0.3)
  const nDelete = Math.max(0, Math.round(a.length * 0.1) - 2)
  const changed = candidates.slice(0, nChange)
  const deleted = ['legacy/nested/old.css', 'legacy/old-entry.js', ...candidates.slice(nChange, nChange + nDelete)]
  const modeChanged = 'scripts/deploy.sh'

  const b = new Map<string, OutputFile>()
  for (const file of a) {
    if (deleted.includes(file.path)) continue
    if (changed.includes(file.path)) b.set(file.path, { ...file, contents: regenerate(rng, file) })
    else b.set(file.path, file)
  }
  // Same bytes, new mode: only the mode makes it a write.
  const deploy = b.get(modeChanged)!
  b.set(modeChanged, { ...deploy, mode: 0o755 })

  const added: string[] = []
  const nAdd = Math.round(a.length * 0.1)
  for (let i = 0; added.length < nAdd; i++) {
    const path = rng.pick([
      `assets/${rng.pick(WORDS)}-${hex(rng, 8)}.js`,
      `assets/new/${rng.pick(WORDS)}-${hex(rng, 8)}.css`,
      `brand-new/deep/er/${rng.pick(WORDS)}-${hex(rng, 4)}.png`,
      `docs/guide/extra-${hex(rng, 3)}/index.html`,
      `${rng.pick(WORDS)}-${hex(rng, 4)}.txt`,
    ])
    if (b.has(path) || a.some((f) => f.path === path)) continue
    const contents = path.endsWith('.png') ? rng.bytes(rng.int(16, 4096)) : text(path.endsWith('.css') ? cssChunk(rng, path) : path.endsWith('.js') ? jsChunk(rng, path) : html(rng, path, []))
    b.set(path, { path, contents })
    added.push(path)
  }
  const shaped = (files: Record<string, string>): OutputFile[] => Object.entries(files).map(([path, contents]) => ({ path, contents: text(contents) }))
  const reshapeA = Object.keys(RESHAPE.a).filter((p) => !(p in RESHAPE.b))
  const reshapeB = Object.keys(RESHAPE.b).filter((p) => !(p in RESHAPE.a))
  return {
    a: dedupe([...a, ...shaped(RESHAPE.a)]),
    b: dedupe([...b.values(), ...shaped(RESHAPE.b)]),
    changes: { changed: changed.sort(), deleted: [...deleted, ...reshapeA].sort(), added: [...added, ...reshapeB].sort(), modeChanged },
  }
}

/** Commits `set` as the complete new output (files of the last commit missing from it are deleted). */
export async function commitSet(set: OutputSet, options: TransactionOptions): Promise<CommitResult> {
  const tx = createTransaction(options)
  for (const file of set) tx.write(file.path, file.contents, file.mode === undefined ? {} : { mode: file.mode })
  return tx.commit()
}

/**
 * `set` without RESHAPE's files. For writers that keep what they did not write (no `clean`) and
 * distrust another root's manifest: there A's and B's shapes of `reshape/` cannot both stand, and
 * the commit is refused with EO_OUTDIR_INVALID, as documented.
 */
export function withoutReshape(set: OutputSet): OutputSet {
  return set.filter((file) => !file.path.startsWith('reshape/'))
}
