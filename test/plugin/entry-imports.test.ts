/**
 * What importing a public entry loads, in a fresh Node process (no timing: the modules resolved).
 * A bundler entry must not load prom-client (only pushing or serving metrics needs it), unplugin
 * (Vite, Rollup, Rolldown and esbuild plugins are plain objects, webpack and Rspack ones
 * `{ apply(compiler) }`), another bundler's adapter, or
 * what only some builds use (magic-string edits, the report HTML, the Pushgateway client, node:crypto
 * and node:zlib).
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { formatNumber } from '../../src/observe/format-bytes.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** Every module URL resolved while importing `entry` (through tsx, from the sources). */
function resolvedBy(entry: string): string[] {
  const hooks = `export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('RESOLVED ' + r.url + '\\n'); return r }`
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)})`
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', `await import(${JSON.stringify(path.join(repo, entry))})`],
    { cwd: repo, encoding: 'utf8' },
  )
  expect(child.status, child.stderr).toBe(0)
  return child.stderr
    .split('\n')
    .filter((line) => line.startsWith('RESOLVED '))
    .map((line) => line.slice('RESOLVED '.length))
}

// node:crypto and node:zlib are not in Node's startup snapshot: loaded on first use (src/core/node-crypto.ts, size/compress.ts).
const NEVER_AT_IMPORT = [
  /\/prom-client\//,
  /\/magic-string\//,
  /\/observe\/report-html\./,
  /\/observe\/pushgateway\./,
  /\/observe\/metrics-server\./,
  /^node:(crypto|zlib)$/,
]
const ADAPTERS = ['vite', 'rollup', 'rolldown', 'webpack', 'rspack', 'esbuild'] as const

describe('importing a bundler entry', () => {
  for (const bundler of ADAPTERS) {
    it(`${bundler}: loads its own adapter only, no prom-client, no unplugin`, () => {
      const urls = resolvedBy(`plugins/${bundler}.ts`)
      expect(urls.some((url) => url.endsWith(`/src/adapters/${bundler}.ts`))).toBe(true)
      for (const other of ADAPTERS.filter((b) => b !== bundler)) expect(urls.filter((url) => url.endsWith(`/src/adapters/${other}.ts`))).toEqual([])
      for (const pattern of NEVER_AT_IMPORT) expect(urls.filter((url) => pattern.test(url))).toEqual([])
      expect(urls.filter((url) => /\/unplugin\//.test(url))).toEqual([])
    })
  }
})

describe('formatNumber', () => {
  it("formats as toLocaleString('en-US') does after rounding to the digits", () => {
    const values = [0, 0.004, 0.005, 1, 12.5, 999.999, 1000, 1234.5, 12345.678, 1e6, 123456789.129, -1234.5, 99999.995]
    for (let i = 0; i < 2000; i++) values.push(((i * 7919) % 10007) * 10 ** ((i % 9) - 3))
    for (const value of values)
      for (const digits of [0, 1, 2]) expect(formatNumber(value, digits)).toBe(Number(value.toFixed(digits)).toLocaleString('en-US'))
  })
})
