/**
 * Directory ↔ file changes in real Rollup builds through the plugin: between two builds the
 * output is restructured, so `chunks/` (a directory of chunks) becomes `chunks` (an entry file)
 * and `lazy` (an asset file) becomes `lazy/` (a directory of chunks). Per strategy, the second
 * build must leave exactly what Rollup alone writes into an empty directory, keep the unchanged
 * asset's inode and mtime, and report the old directory's files as deleted.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { rollup, type OutputOptions, type Plugin } from 'rollup'
import { afterEach, describe, expect, it } from 'vitest'
import type { Strategy } from '../../src/core/transaction-options.js'
import type { BuildReport } from '../../src/observe/types.js'
import { unplugin } from '../../src/adapters/unplugin.js'
import { cleanup, deletedFiles, writtenFiles } from '../support/bundler-app.js'
import { diffTrees, listLitter, snapshot } from '../support/tree.js'

const temps: string[] = []
afterEach(() => cleanup(temps))

const SOURCES: Record<string, string> = {
  'main.js': "import { twice } from './util.js'\nexport const run = () => import('./lazy.js').then((m) => twice(m.value))\n",
  'util.js': 'export const twice = (x) => x * 2\n',
  'lazy.js': 'export const value = 21\n',
}

function app(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-dirfile-build-')))
  temps.push(dir)
  fs.mkdirSync(path.join(dir, 'src'))
  for (const [name, code] of Object.entries(SOURCES)) fs.writeFileSync(path.join(dir, 'src', name), code)
  return dir
}

/** Build 1: chunks under `chunks/`, an asset file `lazy`. Build 2: an entry named `chunks`, chunks under `lazy/`. */
function shape(build: 1 | 2): { input: Record<string, string>; output: Omit<OutputOptions, 'dir'>; assets: Record<string, string> } {
  return build === 1
    ? { input: { main: 'main.js' }, output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name].js' }, assets: { lazy: 'a file named lazy\n' } }
    : {
        input: { main: 'main.js', chunks: 'util.js' },
        output: { entryFileNames: (c) => (c.name === 'chunks' ? 'chunks' : '[name].js'), chunkFileNames: 'lazy/[name].js' },
        assets: {},
      }
}

function emitAssets(assets: Record<string, string>): Plugin {
  return {
    name: 'assets',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'static/logo.txt', source: 'unchanged in both builds\n' })
      for (const [fileName, source] of Object.entries(assets)) this.emitFile({ type: 'asset', fileName, source })
    },
  }
}

async function build(dir: string, outDir: string, which: 1 | 2, plugin?: Plugin): Promise<void> {
  const { input, output, assets } = shape(which)
  const bundle = await rollup({
    input: Object.fromEntries(Object.entries(input).map(([name, file]) => [name, path.join(dir, 'src', file)])),
    plugins: [emitAssets(assets), ...(plugin ? [plugin] : [])],
  })
  try {
    await bundle.write({ dir: outDir, format: 'es', ...output })
  } finally {
    await bundle.close()
  }
}

describe.each(['incremental', 'swap', 'symlink'] satisfies Strategy[])('rollup, strategy %s', (strategy) => {
  it('an output restructured between builds (chunks/ → chunks, lazy → lazy/) is committed exactly as Rollup writes it', async () => {
    const dir = app()
    const outDir = path.join(dir, 'dist')
    const reports: BuildReport[] = []
    const plugin = (): Plugin =>
      unplugin.rollup({ summary: false, strategy, stateDir: path.join(dir, '.eo-state'), onReport: (r) => void reports.push(r) }) as Plugin

    await build(dir, outDir, 1, plugin())
    expect(fs.statSync(path.join(outDir, 'chunks')).isDirectory()).toBe(true)
    expect(fs.statSync(path.join(outDir, 'lazy')).isFile()).toBe(true)
    const logo = fs.statSync(path.join(outDir, 'static/logo.txt'))

    await build(dir, outDir, 2, plugin())
    const native = path.join(dir, 'native')
    await build(dir, native, 2)
    expect(fs.statSync(path.join(native, 'chunks')).isFile()).toBe(true)
    expect(fs.statSync(path.join(native, 'lazy')).isDirectory()).toBe(true)
    expect(diffTrees(snapshot(outDir, { dirs: true }), snapshot(native, { dirs: true }))).toEqual([])

    const after = fs.statSync(path.join(outDir, 'static/logo.txt'))
    expect([after.ino, after.mtimeMs]).toEqual([logo.ino, logo.mtimeMs])
    const report = reports.at(-1)!
    expect(writtenFiles(report)).toEqual(expect.arrayContaining(['chunks', 'lazy/lazy.js']))
    expect(deletedFiles(report)).toContain('lazy')
    expect(deletedFiles(report).some((p) => p.startsWith('chunks/'))).toBe(true)
    expect(listLitter(dir)).toEqual([])
  })
})
