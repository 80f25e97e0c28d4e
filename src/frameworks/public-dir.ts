import fs from 'node:fs/promises'
import path from 'node:path'
import picomatch from 'picomatch'
import type { Captured } from '../adapters/output-group.js'

/**
 * The files of a public dir as a framework copies them into its output (Rsbuild's
 * `server.publicDir`, copied at the start of a build with `fs.cp`): every file under `dir`
 * (following symlinks, dot-files included) but those matching an `ignore` glob, or under a
 * directory that matches one. Read into memory so the copy is part of the build's transaction.
 */
export async function readPublicDir(dir: string, ignore: readonly string[]): Promise<Map<string, Captured>> {
  const ignored = ignore.length > 0 ? picomatch([...ignore], { dot: true }) : () => false
  const skip = (rel: string): boolean => {
    for (let part = rel; part !== '.' && part !== ''; part = path.posix.dirname(part)) if (ignored(part)) return true
    return false
  }
  const files = new Map<string, Captured>()
  const walk = async (sub: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, sub), { withFileTypes: true })
    await Promise.all(
      entries.map(async (entry) => {
        const rel = sub === '' ? entry.name : `${sub}/${entry.name}`
        if (skip(rel)) return
        const abs = path.join(dir, rel)
        const stats = await fs.stat(abs)
        if (stats.isDirectory()) return walk(rel)
        if (stats.isFile()) files.set(rel, { contents: await fs.readFile(abs), mode: stats.mode & 0o7777 })
      }),
    )
  }
  await walk('')
  return files
}
