import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// `npm ci` (npm 11) refuses a lockfile that lacks any platform's optional binding of a package it
// installs (@rollup/rollup-darwin-arm64, @rspack/binding-win32-x64-msvc …). A lockfile regenerated
// with a node_modules present keeps only this machine's; this test fails before `npm ci` would.
interface LockEntry { optionalDependencies?: Record<string, string>, optional?: boolean }

const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as {
  lockfileVersion: number
  packages: Record<string, LockEntry>
}

/** Where npm would look up `name` for the package installed at `at` (node_modules resolution). */
function resolves(at: string, name: string): boolean {
  let dir = at
  for (;;) {
    if (lock.packages[`${dir ? `${dir}/` : ''}node_modules/${name}`]) return true
    if (!dir) return false
    const up = dir.lastIndexOf('/node_modules/')
    dir = up === -1 ? '' : dir.slice(0, up)
  }
}

describe('package-lock.json', () => {
  it('is a v3 lockfile', () => {
    expect(lock.lockfileVersion).toBe(3)
  })

  it('lists every optional dependency of every package, for all platforms (npm ci needs them)', () => {
    const missing: string[] = []
    let checked = 0
    for (const [at, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        checked++
        if (!resolves(at, name)) missing.push(`${at || '(root)'} → ${name}`)
      }
    }
    expect(checked).toBeGreaterThan(0)
    expect(missing, 'regenerate the lockfile with no node_modules present: rm -rf node_modules package-lock.json && npm install').toEqual([])
  })
})
