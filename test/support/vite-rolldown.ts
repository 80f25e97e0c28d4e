/**
 * Helpers for the Vite and Rolldown adapter tests: temp copies of fixtures, file stamps
 * (mtime + inode) to prove files were not touched, and a queue of build reports to await.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BuildReport } from '../../src/observe/types.js'

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures')

/** A fresh copy of `test/fixtures/<name>` in a temp dir (modes kept); removed by `cleanup`. */
export function tempCopy(name: string, made: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `eo-${name}-`))
  fs.cpSync(path.join(fixtures, name), dir, { recursive: true })
  made.push(dir)
  return dir
}

export function cleanup(made: string[]): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
}

/** path → `mtimeMs:ino` for every file under dir. */
export function stamps(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  const visit = (abs: string, rel: string): void => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      const childAbs = path.join(abs, entry.name)
      const childRel = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.isDirectory()) visit(childAbs, childRel)
      else {
        const stat = fs.statSync(childAbs, { bigint: true })
        out.set(childRel, `${stat.mtimeNs}:${stat.ino}`)
      }
    }
  }
  visit(dir, '')
  return out
}

/** Sibling entries of outDir that look like our staging dirs (must not survive a build). */
export function stagingLeftovers(outDir: string): string[] {
  return fs.readdirSync(path.dirname(outDir)).filter((name) => name.includes('.eo-staging-'))
}

/** Collects `onReport` calls; `next()` resolves with the next report or fails after a timeout. */
export function reportQueue(): { onReport: (report: BuildReport) => void; next: (timeoutMs?: number) => Promise<BuildReport>; all: BuildReport[] } {
  const all: BuildReport[] = []
  const pending: BuildReport[] = []
  const waiters: Array<(report: BuildReport) => void> = []
  return {
    all,
    onReport(report) {
      all.push(report)
      const waiter = waiters.shift()
      if (waiter) waiter(report)
      else pending.push(report)
    },
    next(timeoutMs = 20_000) {
      const ready = pending.shift()
      if (ready) return Promise.resolve(ready)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no build report within ${timeoutMs} ms`)), timeoutMs)
        waiters.push((report) => {
          clearTimeout(timer)
          resolve(report)
        })
      })
    },
  }
}
