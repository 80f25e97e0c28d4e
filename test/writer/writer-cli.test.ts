import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const repo = path.resolve(import.meta.dirname, '..', '..')
const tsx = pathToFileURL(path.join(repo, 'node_modules/tsx/dist/loader.mjs')).href
const selfResolve = path.join(repo, 'test/fixtures/writer-self-resolve.mjs')
let tmp: string

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-writer-cli-'))
})
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true })
})

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const result = spawnSync(command, args, { cwd: options.cwd ?? repo, encoding: 'utf8', env: { ...process.env, ...options.env } })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** The CLI from source. */
const cli = (...args: string[]): Run => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args])

/** The shell command line of the fixture generator, run from the repository (for `--import tsx`). */
const generator = (version: string, ...names: string[]): string => [process.execPath, '--import', 'tsx', 'test/fixtures/writer-generate.mts', tmp, version, ...names].map((arg) => `'${arg}'`).join(' ')

/** Files under `dir` with their content, except the writer's transaction state. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const rel = path.relative(dir, path.join(entry.parentPath, entry.name))
    if (entry.isFile() && !rel.startsWith('node_modules')) out[rel] = `${fs.statSync(path.join(dir, rel)).mtimeMs} ${fs.readFileSync(path.join(dir, rel), 'utf8')}`
  }
  return out
}

describe('emit-optimizer check --run <command>', () => {
  it('exits 1 and lists what the generator would change, writing nothing; exits 0 once the files are current', () => {
    fs.mkdirSync(path.join(tmp, 'gen'))
    fs.writeFileSync(path.join(tmp, 'gen/old.ts'), 'export const old = 1\n')
    const before = tree(tmp)
    const stale = cli('check', '--run', generator('v1', 'a', 'b'), '--json')
    expect(stale.code, stale.stderr).toBe(1)
    const report = JSON.parse(stale.stdout) as { exitCode: number; changes: Array<{ root: string; path: string; status: string }> }
    expect(report.exitCode).toBe(0)
    expect(report.changes).toEqual([
      { root: tmp, path: 'gen/a.ts', status: 'created' },
      { root: tmp, path: 'gen/b.ts', status: 'created' },
      { root: tmp, path: 'gen/old.ts', status: 'deleted' },
    ])
    // The generator's own output went to stderr, so stdout is only JSON.
    expect(stale.stderr).toContain('generated 3 files, 3 changed (check mode)')
    expect(tree(tmp)).toEqual(before)

    expect(run(process.execPath, ['--import', 'tsx', 'test/fixtures/writer-generate.mts', tmp, 'v1', 'a', 'b']).code).toBe(0)
    const current = cli('check', '--run', generator('v1', 'a', 'b'))
    expect(current.code, current.stderr).toBe(0)
    expect(current.stdout).toContain('check: nothing would change')

    const changed = cli('check', '--run', generator('v2', 'a'))
    expect(changed.code).toBe(1)
    expect(changed.stdout).toContain('check: 2 files would change')
    expect(changed.stdout).toContain(`M ${path.join(tmp, 'gen/a.ts')}`)
    expect(changed.stdout).toContain(`D ${path.join(tmp, 'gen/b.ts')}`)
  })

  it('exits 2 when the command fails or --run is missing', () => {
    const failed = cli('check', '--run', generator('fail'))
    expect(failed.code).toBe(2)
    expect(failed.stderr).toContain('error: the command failed (exit code 3)')
    const usage = cli('check')
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('check needs the generator command')
  })

  it('takes the command after -- as well, passing its arguments unchanged', () => {
    const stale = cli('check', '--', process.execPath, '--import', 'tsx', 'test/fixtures/writer-generate.mts', tmp, 'v1', 'a')
    expect(stale.code, stale.stderr).toBe(1)
    expect(stale.stdout).toContain(`A ${path.join(tmp, 'gen/a.ts')}`)
    expect(fs.existsSync(path.join(tmp, 'gen/a.ts'))).toBe(false)
    expect(cli('status', '--out', 'dist', '--', 'x').stderr).toContain('takes no arguments after --')
  })
})

describe('examples/codegen', () => {
  /** A copy of the example without generated files, run by node as a user would, the package name resolved to src/. */
  function example(): { dir: string; node: (args: string[], env?: NodeJS.ProcessEnv) => Run } {
    const dir = path.join(tmp, 'codegen')
    fs.cpSync(path.join(repo, 'examples/codegen'), dir, { recursive: true, filter: (src) => !/[/\\](node_modules|src)$/.test(src) })
    return { dir, node: (args, env) => run(process.execPath, ['--import', tsx, '--import', selfResolve, ...args], { cwd: dir, ...(env ? { env } : {}) }) }
  }

  it('npm run generate writes the routes and env types, then changes nothing on a second run', () => {
    const { dir, node } = example()
    const first = node(['generate.mjs'])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('routes: 3 pages, 4 files changed')
    expect(first.stdout).toContain('env types: created src/env.d.ts')
    expect(fs.readFileSync(path.join(dir, 'src/generated/routes.ts'), 'utf8')).toContain('export type RoutePath = "/about" | "/blog/hello-world" | "/"')
    expect(fs.readFileSync(path.join(dir, 'src/env.d.ts'), 'utf8')).toContain('readonly VITE_API_URL: string\n  readonly VITE_APP_TITLE: string\n}')
    expect(fs.readFileSync(path.join(dir, 'src/env.d.ts'), 'utf8')).not.toContain('SECRET_TOKEN')
    const before = tree(path.join(dir, 'src'))
    const second = node(['generate.mjs'])
    expect(second.stdout).toContain('routes: 3 pages, 0 files changed')
    expect(second.stdout).toContain('env types: src/env.d.ts unchanged')
    expect(tree(path.join(dir, 'src'))).toEqual(before)

    // A deleted page: its module is removed in the same transaction; check mode reports it first.
    fs.rmSync(path.join(dir, 'pages/about.md'))
    const check = node(['generate.mjs'], { EMIT_OPTIMIZER_CHECK: '1' })
    expect(check.stdout).toContain('routes: 2 pages, 2 files would change')
    expect(tree(path.join(dir, 'src'))).toEqual(before)
    expect(node(['generate.mjs']).stdout).toContain('deleted src/generated/pages/About.ts')
    expect(fs.readdirSync(path.join(dir, 'src/generated/pages')).sort()).toEqual(['BlogHelloWorld.ts', 'Index.ts'])
  })

  it('a real `vite build` (Vite 8) runs the plugin: env.d.ts is generated, then left alone by the next build', () => {
    const { dir, node } = example()
    fs.writeFileSync(path.join(dir, 'main.js'), 'console.log(import.meta.env.VITE_APP_TITLE)\n')
    const vite = pathToFileURL(path.join(repo, 'node_modules/vite/dist/node/index.js')).href
    const script = `
      import fs from 'node:fs'
      const { build } = await import(${JSON.stringify(vite)})
      const { default: envDts } = await import(${JSON.stringify(pathToFileURL(path.join(dir, 'vite-plugin-env-dts.mjs')).href)})
      const root = ${JSON.stringify(dir)}
      const mtimes = []
      let code
      for (let i = 0; i < 2; i++) {
        const out = await build({ root, configFile: false, logLevel: 'silent', plugins: [envDts()], build: { write: false, lib: { entry: root + '/main.js', formats: ['es'], fileName: 'main' } } })
        code = (Array.isArray(out) ? out[0] : out).output[0].code
        mtimes.push(fs.statSync(root + '/src/env.d.ts').mtimeMs)
      }
      console.log(JSON.stringify({ code, mtimes, dts: fs.readFileSync(root + '/src/env.d.ts', 'utf8') }))`
    const result = node(['--input-type=module', '-e', script])
    expect(result.code, result.stderr).toBe(0)
    const out = JSON.parse(result.stdout) as { code: string; mtimes: number[]; dts: string }
    expect(out.code).toContain('console.log("Codegen example")')
    expect(out.dts).toContain('readonly VITE_APP_TITLE: string')
    expect(out.mtimes[1]).toBe(out.mtimes[0])
  })

  it('the Vite plugin regenerates env.d.ts at buildStart and in dev when a .env file changes, and only then (hooks called directly)', () => {
    const { dir, node } = example()
    // A stand-in for Vite's dev server: its chokidar watcher is an EventEmitter with add().
    const script = `
      import { EventEmitter } from 'node:events'
      import fs from 'node:fs'
      import path from 'node:path'
      const { default: envDts } = await import(${JSON.stringify(pathToFileURL(path.join(dir, 'vite-plugin-env-dts.mjs')).href)})
      const root = ${JSON.stringify(dir)}
      const plugin = envDts()
      const errors = []
      plugin.configResolved({ root, envDir: root, logger: { warn: (m) => errors.push(m), error: (m) => errors.push(m) } })
      await plugin.buildStart()
      const watcher = Object.assign(new EventEmitter(), { watched: [], add(glob) { this.watched.push(glob) } })
      plugin.configureServer({ watcher, config: { logger: { error: (m) => errors.push(m) } } })
      const dts = path.join(root, 'src/env.d.ts')
      const events = []
      const emit = async (file) => { watcher.emit('all', 'change', file); await plugin.api.flush(); events.push(plugin.api.changes().length) }
      await emit(dts) // the plugin's own write: ignored
      fs.appendFileSync(path.join(root, '.env.local'), 'VITE_FEATURE_FLAG=on\\n')
      await emit(path.join(root, '.env.local'))
      await emit(dts)
      await emit(path.join(root, 'src/unrelated.ts'))
      console.log(JSON.stringify({ events, watched: watcher.watched, errors, dts: fs.readFileSync(dts, 'utf8') }))`
    const result = node(['--input-type=module', '-e', script])
    expect(result.code, result.stderr).toBe(0)
    const out = JSON.parse(result.stdout) as { events: number[]; watched: string[]; errors: string[]; dts: string }
    expect(out.events).toEqual([1, 2, 2, 2]) // created at buildStart, updated once for .env.local, nothing else
    expect(out.watched).toEqual([path.join(dir, '.env*')])
    expect(out.errors).toEqual([])
    expect(out.dts).toContain('readonly VITE_FEATURE_FLAG: string')
  })
})
