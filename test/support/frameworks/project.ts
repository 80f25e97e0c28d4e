/**
 * Projects built by the framework suites and benches: temporary copies of a starter whose
 * node_modules links to the installed packages (install.ts) and to `unplugin-emit-optimizer`,
 * so that configs import the package by name, exactly as a user's.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { exec } from './run.js'
import { log, REPO, type Installed } from './install.js'

/** Starters no npm package ships (Astro's, Nuxt's), as their repositories have them. */
export const FIXTURES = fileURLToPath(new URL('../../frameworks/fixtures', import.meta.url))

export interface ProjectOptions {
  /** A starter dir whose files are copied (its node_modules excepted). */
  from?: string
  /** Files written over them (relative path → contents). */
  files?: Record<string, string>
  /** The `unplugin-emit-optimizer` linked: installPackage()'s frozen copy (crash-apps.ts), or this checkout. @default REPO */
  pkg?: string
}

/**
 * A new project dir in the temp dir. Its node_modules is a real dir of links to each installed
 * package: the frameworks keep caches in it (Vite's deps, Nuxt's `.cache/nuxt/.nuxt`, the plugin's
 * state dirs), which must be the project's own and inside its package scope.
 */
export function createProject(installed: Pick<Installed, 'modules'>, label: string, options: ProjectOptions = {}): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `eo-${label}-`)))
  const { from } = options
  if (from) fs.cpSync(from, dir, { recursive: true, filter: (src) => src !== path.join(from, 'node_modules') })
  const modules = path.join(dir, 'node_modules')
  fs.mkdirSync(modules)
  for (const name of fs.readdirSync(installed.modules)) {
    if (name.startsWith('.') && name !== '.bin') continue
    fs.symlinkSync(path.join(installed.modules, name), path.join(modules, name), 'dir')
  }
  fs.symlinkSync(options.pkg ?? REPO, path.join(modules, 'unplugin-emit-optimizer'), 'dir')
  writeFiles(dir, options.files ?? {})
  return dir
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [file, contents] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    fs.writeFileSync(path.join(dir, file), contents)
  }
}

/** Builds this checkout (`dist/`) when a source file is newer than the entry `dist/<entry>.js`. */
export async function ensureBuilt(entry: string): Promise<void> {
  const built = path.join(REPO, 'dist', `${entry}.js`)
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...(fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
        .filter((file) => file.isFile())
        .map((file) => fs.statSync(path.join(file.parentPath, file.name)).mtimeMs),
    )
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= Math.max(newest(path.join(REPO, 'src')), newest(path.join(REPO, 'plugins')))) return
  log(`building ${path.relative(REPO, built)} (npm run build)`)
  const { code, output } = await exec('npm', ['run', 'build', '--silent'], { cwd: REPO })
  if (code !== 0) throw new Error(`npm run build failed (exit ${code}):\n${output}`)
}
