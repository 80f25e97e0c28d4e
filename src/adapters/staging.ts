import fs from 'node:fs'
import path from 'node:path'
import type { OutputCapture } from '../plugin/capture.js'
import { staleStagingNames } from '../core/bundler-staging.js'

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true })
}

/** Removal in the background (libuv's pool), overlapping the commit; await it before the next build. */
export function removeDirLater(dir: string): Promise<void> {
  return fs.promises.rm(dir, { recursive: true, force: true })
}

/** Removes staging dirs of `outDir` left by processes that died mid-build (kill -9). */
export function sweepStaleStaging(outDir: string): void {
  let names: string[]
  try {
    names = fs.readdirSync(path.dirname(outDir))
  } catch {
    return
  }
  for (const name of staleStagingNames(outDir, names)) removeDir(path.join(path.dirname(outDir), name))
}

/**
 * Captures every file under `dir` with its bytes and permission bits. Reading back costs about
 * as much as hashing (the pages are still cached), and it sees exactly what the bundler and
 * every other plugin left there, including files written outside the bundle object.
 *
 * `adopt`: `dir` is on outDir's filesystem and is removed after the commit, so each plain file
 * (a regular file with one link, not a symlink) is handed over to be renamed into place rather
 * than written again (WriteOptions.from). The bytes are still read once, for the manifest hash.
 * The caller must not remove `dir` before the commit has finished.
 */
export function captureDir(capture: Pick<OutputCapture, 'write'>, dir: string, adopt = false): void {
  const walk = (abs: string, rel: string): void => {
    let entries: fs.Dirent[]
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    for (const entry of entries) {
      const childAbs = path.join(abs, entry.name)
      const childRel = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.isDirectory()) walk(childAbs, childRel)
      else if (entry.isFile() || entry.isSymbolicLink()) {
        const stat = fs.statSync(childAbs)
        if (stat.isDirectory()) walk(childAbs, childRel)
        else {
          // A hard link shares its inode with a file elsewhere (a source file): moving it would
          // publish that inode, so it is copied like a symlink's target.
          const from = adopt && entry.isFile() && stat.nlink === 1 ? childAbs : undefined
          capture.write(childRel, fs.readFileSync(childAbs), stat.mode & 0o7777, from)
        }
      }
    }
  }
  walk(dir, '')
}
