import fs from 'node:fs'
import path from 'node:path'
import type { OutputCapture } from '../plugin/capture.js'

/**
 * A staging directory that Vite/Rolldown write into instead of outDir; its content is captured
 * and committed to outDir afterwards.
 *
 * It is a sibling of outDir (`<parent>/.<name>.eo-staging-<pid>`): the same depth keeps every
 * relative path the bundler computes from the output location (sourcemap `sources`, relative
 * imports of files outside the output) byte-identical to a direct build; the pid keeps two
 * processes building the same outDir apart.
 */
const MARK = '.eo-staging-'

export function stagingDirFor(outDir: string): string {
  return path.join(path.dirname(outDir), `.${path.basename(outDir)}${MARK}${process.pid}`)
}

export function isStagingDir(dir: string): boolean {
  return path.basename(dir).includes(MARK)
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true })
}

/** Removal in the background (libuv's pool), overlapping the commit; await it before the next build. */
export function removeDirLater(dir: string): Promise<void> {
  return fs.promises.rm(dir, { recursive: true, force: true })
}

/** Removes staging dirs of `outDir` left by processes that died mid-build (kill -9). */
export function sweepStaleStaging(outDir: string): void {
  const prefix = `.${path.basename(outDir)}${MARK}`
  let names: string[]
  try {
    names = fs.readdirSync(path.dirname(outDir))
  } catch {
    return
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const pid = Number(name.slice(prefix.length))
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue
    removeDir(path.join(path.dirname(outDir), name))
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Captures every file under `dir` with its bytes and permission bits. Reading back costs about
 * as much as hashing (the pages are still cached), and it sees exactly what the bundler and
 * every other plugin left there, including files written outside the bundle object.
 */
export function captureDir(capture: OutputCapture, dir: string): void {
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
        else capture.write(childRel, fs.readFileSync(childAbs), stat.mode & 0o7777)
      }
    }
  }
  walk(dir, '')
}
