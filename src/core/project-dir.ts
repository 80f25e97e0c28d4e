import path from 'node:path'
import type { EngineFs } from './fs.js'

/**
 * The directory of the project that owns a build, for its default state dir: the nearest
 * directory, walking up from the bundler's root, with a `package.json` that is a project's (it
 * has a `node_modules` next to it, or declares a name, scripts or dependencies; a bare
 * `{"type": "module"}` marker does not count). The same convention as Vite's `cacheDir` and
 * find-cache-dir: VitePress's Vite root is `docs/` and Nuxt's is `app/`, source folders in which
 * a `node_modules/.cache` does not belong. Without such a directory, `root` itself.
 */
export async function projectDirOf(efs: Pick<EngineFs, 'readFile' | 'stat'>, root: string): Promise<string> {
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    if (await isProject(efs, dir)) return dir
    if (dir === path.dirname(dir)) return path.resolve(root)
  }
}

const isDir = (efs: Pick<EngineFs, 'stat'>, file: string, dir: boolean): Promise<boolean> =>
  efs.stat(file).then(
    (stats) => (dir ? stats.isDirectory() : stats.isFile()),
    () => false,
  )

// Stats first: most directories on the way hold no package.json, and a project's usually has its node_modules.
async function isProject(efs: Pick<EngineFs, 'readFile' | 'stat'>, dir: string): Promise<boolean> {
  if (!(await isDir(efs, path.join(dir, 'package.json'), false))) return false
  if (await isDir(efs, path.join(dir, 'node_modules'), true)) return true
  try {
    const manifest = JSON.parse((await efs.readFile(path.join(dir, 'package.json'))).toString('utf8')) as Record<string, unknown> | null
    return ['name', 'scripts', 'dependencies', 'devDependencies'].some((key) => manifest?.[key] !== undefined)
  } catch {
    // unreadable or not JSON: not a project manifest
    return false
  }
}
