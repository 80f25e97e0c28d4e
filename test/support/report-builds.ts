/** Real builds through the plugin's capture (no bundler): a temp project and its BuildReports. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startCapture } from '../../src/plugin/capture.js'
import { createPluginInstance, type PluginInstance } from '../../src/plugin/instance.js'
import type { Options, ResolvedOptions } from '../../src/plugin/plugin-options.js'
import type { BuildReport } from '../../src/observe/types.js'

export interface Project {
  root: string
  outDir: string
  options: ResolvedOptions
  instance: PluginInstance
  warnings: string[]
  infos: string[]
  /** Commits `files` (path → content) as one build. */
  build(files: Record<string, string>, remove?: string[]): Promise<BuildReport>
  /** A build the bundler failed: rolled back. */
  fail(files: Record<string, string>): Promise<BuildReport>
  cleanup(): void
}

export function project(options: Options = {}): Project {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-report-'))
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'report-app' }))
  const outDir = path.join(root, 'dist')
  const instance = createPluginInstance({ summary: true, ...options })
  const warnings: string[] = []
  const infos: string[] = []
  const logger = { info: (m: string) => infos.push(m), warn: (m: string) => warnings.push(m) }
  const capture = (files: Record<string, string>, remove: string[] = []) => {
    const c = startCapture(instance, { bundler: 'esbuild', outDir, root, bundlerCleans: false, logger })
    for (const [file, content] of Object.entries(files)) c.write(file, content)
    for (const file of remove) c.delete(file)
    return c
  }
  return {
    root,
    outDir,
    options: instance.options,
    instance,
    warnings,
    infos,
    build: (files, remove) => capture(files, remove).commit(),
    fail: (files) => capture(files).abort(new Error('bundler failed')),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  }
}

/** `n` files `f<i>.js` with content depending on `version`. */
export function files(n: number, version = 1): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`assets/f${i}.js`, `export const v${i} = ${version}\n`]))
}
