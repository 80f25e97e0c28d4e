/**
 * What the framework suites compare in an output dir: files with their bytes, mode, inode and
 * mtime (symlinks followed, as a web server would), and staging dirs left behind.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

export interface FileState {
  sha256: string
  mode: number
  ino: number
  mtimeMs: number
}

/** Every file under `dir`, relative POSIX paths, sorted; a missing `dir` has none. */
export function snapshot(dir: string): Map<string, FileState> {
  const files = new Map<string, FileState>()
  const walk = (abs: string, rel: string): void => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const childAbs = path.join(abs, entry.name)
      const childRel = rel ? `${rel}/${entry.name}` : entry.name
      const stat = fs.statSync(childAbs)
      if (stat.isDirectory()) walk(childAbs, childRel)
      else
        files.set(childRel, {
          sha256: createHash('sha256').update(fs.readFileSync(childAbs)).digest('hex'),
          mode: stat.mode & 0o7777,
          ino: stat.ino,
          mtimeMs: stat.mtimeMs,
        })
    }
  }
  if (fs.existsSync(dir)) walk(dir, '')
  return files
}

/** path → sha256 and mode: what "same files, same bytes" compares. */
export function contents(files: Map<string, FileState>): Record<string, string> {
  return Object.fromEntries([...files].map(([file, state]) => [file, `${state.sha256} ${state.mode.toString(8)}`]))
}

/** Files whose inode or mtime changed, or that appeared or disappeared. */
export function touched(before: Map<string, FileState>, after: Map<string, FileState>): string[] {
  const names = new Set([...before.keys(), ...after.keys()])
  return [...names]
    .filter((file) => {
      const a = before.get(file)
      const b = after.get(file)
      return !a || !b || a.ino !== b.ino || a.mtimeMs !== b.mtimeMs
    })
    .sort()
}

/** Files whose bytes differ, or that appeared or disappeared. */
export function changed(before: Map<string, FileState>, after: Map<string, FileState>): string[] {
  const names = new Set([...before.keys(), ...after.keys()])
  return [...names].filter((file) => before.get(file)?.sha256 !== after.get(file)?.sha256).sort()
}

/** Entries of `outDir`'s parent that are staging dirs of `outDir` (left behind would be litter). */
export function stagingLeftovers(outDir: string): string[] {
  return fs.readdirSync(path.dirname(outDir)).filter((name) => name.startsWith(`.${path.basename(outDir)}.eo-staging-`))
}

/** Staging dirs (`.<name>.eo-staging-<pid>`) anywhere under `dir`, node_modules excepted. */
export function stagingDirsUnder(dir: string): string[] {
  const found: string[] = []
  const visit = (abs: string): void => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules') continue
      if (entry.name.includes('.eo-staging-')) found.push(path.relative(dir, path.join(abs, entry.name)))
      else visit(path.join(abs, entry.name))
    }
  }
  visit(dir)
  return found
}
