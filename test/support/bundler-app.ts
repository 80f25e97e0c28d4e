/**
 * Helpers for the real-bundler tests: temp copies of a fixture app, a report queue fed by the
 * plugin's `onReport`, per-file stamps (mtime + inode) to prove files untouched, and the lists a
 * report gives of written and deleted files.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { BuildReport } from '../../src/observe/types.js'

const fixtures = path.join(import.meta.dirname, '..', 'fixtures')

/** A fresh copy of `test/fixtures/<name>` in a temp dir (modes kept, so tests can run in parallel); listed in `made` for `cleanup`. */
export function tempApp(name: string, made: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `eo-${name}-`))
  fs.cpSync(path.join(fixtures, name), dir, { recursive: true })
  made.push(dir)
  return dir
}

export function cleanup(made: string[]): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
}

export interface ReportQueue {
  onReport(report: BuildReport): void
  /** The next report not yet taken, in order; fails after `timeoutMs`. */
  next(timeoutMs?: number): Promise<BuildReport>
  /** Every report so far, taken or not. */
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

/** path (POSIX) → `mtimeNs:ino` for every non-directory entry under dir (links not followed). */
export function fileStamps(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const rel of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const stats = fs.lstatSync(path.join(dir, rel), { bigint: true })
    if (!stats.isDirectory()) out.set(rel.split(path.sep).join('/'), `${stats.mtimeNs}:${stats.ino}`)
  }
  return out
}

/** Sibling entries of outDir that look like our staging dirs (must not survive a build). */
export function stagingLeftovers(outDir: string): string[] {
  return fs.readdirSync(path.dirname(outDir)).filter((name) => name.includes('.eo-staging-'))
}

/** The files a committed report wrote. */
export function writtenFiles(report: BuildReport): string[] {
  return (report.result?.files ?? []).filter((file) => file.status === 'written').map((file) => file.path).sort()
}

export function deletedFiles(report: BuildReport): string[] {
  return (report.result?.files ?? []).filter((file) => file.status === 'deleted').map((file) => file.path).sort()
}

/**
 * Makes the commit of `file` fail: a directory at its path holding a file that is not ours. The
 * engine replaces a directory by a file, but never deletes what it did not write (without a clean),
 * so the commit is refused (EO_OUTDIR_INVALID) and the build rolled back.
 */
export function occupy(file: string): void {
  fs.mkdirSync(file, { recursive: true })
  fs.writeFileSync(path.join(file, 'not-ours.txt'), '')
}
