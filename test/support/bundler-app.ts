/**
 * Helpers for the real-bundler adapter tests: temp copies of a fixture app, a report queue fed by
 * the plugin's `onReport`, and per-file stat snapshots (mtime + inode) to prove files untouched.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { BuildReport } from '../../src/observe/types.js'

/** A fresh copy of `test/fixtures/<name>` in a temp dir (so tests can run in parallel). */
export function tempApp(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `eo-${name}-`))
  fs.cpSync(path.join(import.meta.dirname, '..', 'fixtures', name), dir, { recursive: true })
  return dir
}

export interface ReportQueue {
  onReport(report: BuildReport): void
  /** The next report not yet taken; fails after `timeoutMs`. */
  next(timeoutMs?: number): Promise<BuildReport>
  readonly all: BuildReport[]
}

export function reportQueue(): ReportQueue {
  const all: BuildReport[] = []
  let taken = 0
  const waiters: Array<() => void> = []
  return {
    all,
    onReport(report) {
      all.push(report)
      waiters.splice(0).forEach((wake) => wake())
    },
    async next(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      while (taken >= all.length) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`no build report within ${timeoutMs} ms`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
      return all[taken++]!
    },
  }
}

/** path → "mtimeMs:ino" for every file under dir. */
export function fileStamps(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const stats = fs.lstatSync(path.join(dir, rel))
    if (stats.isFile()) out.set(rel.split(path.sep).join('/'), `${stats.mtimeMs}:${stats.ino}`)
  }
  return out
}

/** The files a committed report wrote. */
export function writtenFiles(report: BuildReport): string[] {
  return (report.result?.files ?? []).filter((file) => file.status === 'written').map((file) => file.path).sort()
}

export function deletedFiles(report: BuildReport): string[] {
  return (report.result?.files ?? []).filter((file) => file.status === 'deleted').map((file) => file.path).sort()
}
