/**
 * The default state dir lives with the project that owns the build, not in the bundler's root when
 * that root is a source folder (VitePress's Vite root is `docs/`, Nuxt's is `app/`).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { build } from 'vite'
import { afterAll, describe, expect, it } from 'vitest'
import vitePlugin from '../../plugins/vite.js'
import { defaultStateDir } from '../../src/core/state-dir.js'
import { createTransaction } from '../../src/history/engine.js'
import type { BuildReport } from '../../src/observe/types.js'

const temps: string[] = []
afterAll(() => temps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })))

/** project/ with a package.json and node_modules/, and project/docs/ as the bundler's root. */
function project(): { project: string; docs: string } {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-state-dir-')))
  temps.push(dir)
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'site', private: true, scripts: { build: 'vitepress build docs' } }))
  fs.mkdirSync(path.join(dir, 'node_modules'))
  const docs = path.join(dir, 'docs')
  fs.mkdirSync(docs)
  return { project: dir, docs }
}

async function commit(root: string, outDir: string, options: { stateDir?: string } = {}): Promise<string> {
  const tx = createTransaction({ root, outDir, history: false, ...options })
  tx.write('index.html', '<p>hi</p>')
  return (await tx.commit()).stateDir
}

describe('default state dir', () => {
  it('a real Vite build rooted in docs/ keeps its state under the project, not in docs/', async () => {
    const { project: dir, docs } = project()
    fs.writeFileSync(path.join(docs, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>')
    fs.writeFileSync(path.join(docs, 'main.js'), 'document.body.append("docs")\n')
    const reports: BuildReport[] = []
    await build({ root: docs, logLevel: 'silent', configFile: false, build: { outDir: '.vitepress/dist' }, plugins: [vitePlugin({ summary: false, onReport: (report) => void reports.push(report) })] })
    expect(reports.map((report) => report.status)).toEqual(['committed'])
    const outDir = path.join(docs, '.vitepress', 'dist')
    expect(reports[0]!.result!.stateDir).toBe(defaultStateDir(dir, outDir))
    expect(fs.existsSync(path.join(docs, 'node_modules'))).toBe(false)
    expect(fs.existsSync(path.join(dir, 'node_modules', '.cache', 'emit-optimizer'))).toBe(true)
  })

  it('a package.json that is only a module-type marker is not the project', async () => {
    const { project: dir, docs } = project()
    fs.writeFileSync(path.join(docs, 'package.json'), JSON.stringify({ type: 'module' }))
    const outDir = path.join(docs, 'dist')
    expect(await commit(docs, outDir)).toBe(defaultStateDir(dir, outDir))
  })

  it('a nested package with its own manifest owns its builds', async () => {
    const { docs } = project()
    fs.writeFileSync(path.join(docs, 'package.json'), JSON.stringify({ name: 'docs', private: true, scripts: { build: 'vitepress build' } }))
    const outDir = path.join(docs, 'dist')
    expect(await commit(docs, outDir)).toBe(defaultStateDir(docs, outDir))
  })

  it('without any project manifest above it, the root itself', async () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-state-dir-bare-')))
    temps.push(root)
    const outDir = path.join(root, 'dist')
    expect(await commit(root, outDir)).toBe(defaultStateDir(root, outDir))
  })

  it('a state dir already under the root (from before this rule) stays in use, with its manifest', async () => {
    const { project: dir, docs } = project()
    const outDir = path.join(docs, 'dist')
    const legacy = defaultStateDir(docs, outDir)
    fs.mkdirSync(legacy, { recursive: true })
    expect(await commit(docs, outDir)).toBe(legacy)
    expect(fs.existsSync(path.join(legacy, 'manifest.json'))).toBe(true)
    expect(fs.existsSync(defaultStateDir(dir, outDir))).toBe(false)
  })

  it('an explicit stateDir is used as given', async () => {
    const { project: dir, docs } = project()
    const explicit = path.join(dir, 'state')
    expect(await commit(docs, path.join(docs, 'dist'), { stateDir: explicit })).toBe(explicit)
  })
})
