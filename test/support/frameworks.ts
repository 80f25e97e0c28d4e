/**
 * Real framework starters for the compatibility suites (test/frameworks/): the starter's files
 * come from its framework's published template on npm, its dependencies (pinned) from the npm
 * registry, installed once into `node_modules/.cache/eo-frameworks/<name>-<hash of the pins>` and
 * reused while present. Each test gets its own copy of the starter whose node_modules links to
 * the installed packages (its own `node_modules/.cache`, so no build shares a cache or a state dir).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
const CACHE = path.join(REPO, 'node_modules', '.cache', 'eo-frameworks')
const INSTALL_TIMEOUT_MS = 300_000

export interface StarterSpec {
  /** Cache dir prefix, e.g. `rsbuild`. */
  name: string
  /** The npm package that publishes the template, pinned: `create-rsbuild@2.2.9`. */
  templatePackage: string
  /** Directories of that package copied in order (later ones win): `['template-common', 'template-react-ts']`. */
  templateDirs: string[]
  /** Files renamed after copying (create-* tools publish `gitignore` for `.gitignore`). */
  renames?: Record<string, string>
  /** The starter's dependencies, pinned to exact versions (replace the template's ranges). */
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}

function log(message: string): void {
  process.stderr.write(`[frameworks] ${message}\n`)
}

function run(command: string, args: string[], cwd: string): void {
  const started = Date.now()
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS, env: { ...process.env, npm_config_update_notifier: 'false' } })
  if (result.status !== 0) {
    const why = result.error ? `${result.error.message}${result.signal ? ` (${result.signal} after ${Math.round((Date.now() - started) / 1000)} s)` : ''}` : `exit ${result.status}`
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${why}\n${result.stdout}\n${result.stderr}`)
  }
}

/**
 * The installed starter: `<cache>/template` (its files) and `<cache>/node_modules`. Installs
 * when missing (bounded by timeouts), atomically: a half-finished install is never reused.
 */
export function installStarter(spec: StarterSpec): string {
  const pins = JSON.stringify({ template: spec.templatePackage, dirs: spec.templateDirs, renames: spec.renames, dependencies: spec.dependencies, devDependencies: spec.devDependencies })
  const dir = path.join(CACHE, `${spec.name}-${createHash('sha256').update(pins).digest('hex').slice(0, 12)}`)
  if (fs.existsSync(path.join(dir, '.complete'))) return dir
  fs.mkdirSync(CACHE, { recursive: true })
  const work = fs.mkdtempSync(`${dir}.installing-`)
  try {
    const all = { ...spec.dependencies, ...spec.devDependencies }
    log(`installing ${spec.name} starter into ${path.relative(REPO, dir)} from the npm registry: template ${spec.templatePackage} (${spec.templateDirs.join(' + ')}); ${Object.entries(all).map(([name, version]) => `${name}@${version}`).join(', ')}`)
    // The template: the published package's files, extracted (no install scripts, no network beyond the registry).
    run('npm', ['pack', spec.templatePackage, '--silent', '--pack-destination', work], work)
    const tarball = fs.readdirSync(work).find((file) => file.endsWith('.tgz'))!
    execFileSync('tar', ['-xzf', path.join(work, tarball), '-C', work], { timeout: 60_000 })
    const template = path.join(work, 'template')
    for (const sub of spec.templateDirs) fs.cpSync(path.join(work, 'package', sub), template, { recursive: true })
    for (const [from, to] of Object.entries(spec.renames ?? {})) if (fs.existsSync(path.join(template, from))) fs.renameSync(path.join(template, from), path.join(template, to))
    const manifest = JSON.parse(fs.readFileSync(path.join(template, 'package.json'), 'utf8')) as Record<string, unknown>
    const pinned = { ...manifest, name: `${spec.name}-starter`, dependencies: spec.dependencies, devDependencies: spec.devDependencies }
    fs.writeFileSync(path.join(template, 'package.json'), `${JSON.stringify(pinned, null, 2)}\n`)
    fs.rmSync(path.join(work, 'package'), { recursive: true })
    fs.rmSync(path.join(work, tarball))
    // The dependencies, exactly as pinned.
    fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: `${spec.name}-deps`, private: true, dependencies: all }, null, 2))
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '--fetch-timeout=60000', '--fetch-retries=2'], work)
    fs.writeFileSync(path.join(work, '.complete'), `${new Date().toISOString()}\n`)
    fs.rmSync(dir, { recursive: true, force: true })
    fs.renameSync(work, dir)
    log(`installed ${spec.name} starter`)
    return dir
  } catch (error) {
    fs.rmSync(work, { recursive: true, force: true })
    throw error
  }
}

/**
 * A fresh copy of the starter in a temp dir: its files, and a node_modules of links to each
 * installed package plus `unplugin-emit-optimizer` (`pkg`: this checkout's build frozen by
 * installPackage() in crash-apps.ts, so a `npm run build` elsewhere during the run changes nothing).
 */
export function starterCopy(installed: string, prefix: string, pkg: string): string {
  const app = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `eo-${prefix}-`)))
  fs.cpSync(path.join(installed, 'template'), app, { recursive: true })
  const modules = path.join(app, 'node_modules')
  fs.mkdirSync(modules)
  for (const name of fs.readdirSync(path.join(installed, 'node_modules'))) {
    if (name.startsWith('.') && name !== '.bin') continue
    fs.symlinkSync(path.join(installed, 'node_modules', name), path.join(modules, name))
  }
  fs.symlinkSync(pkg, path.join(modules, 'unplugin-emit-optimizer'))
  return app
}

/** Builds this checkout (`dist/`) when a source file is newer than the entry `dist/<entry>.js`. */
export function ensureBuilt(entry: string): void {
  const built = path.join(REPO, 'dist', `${entry}.js`)
  const newest = (dir: string): number =>
    Math.max(0, ...(fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((file) => file.isFile()).map((file) => fs.statSync(path.join(file.parentPath, file.name)).mtimeMs))
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= Math.max(newest(path.join(REPO, 'src')), newest(path.join(REPO, 'plugins')))) return
  log(`building ${path.relative(REPO, built)} (npm run build)`)
  run('npm', ['run', 'build', '--silent'], REPO)
}

export interface CommandResult {
  code: number | null
  output: string
  ms: number
}

/** Runs a command in `cwd` (whole process, bounded), colours off, as from a shell: without the test runner's NODE_ENV=test. */
export function runIn(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): CommandResult {
  const started = performance.now()
  const { NODE_ENV: _testEnv, ...shell } = process.env
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...shell, NO_COLOR: '1', FORCE_COLOR: '0', ...env } })
  return { code: result.status, output: `${result.stdout}${result.stderr}${result.error ? `\n${result.error.message}` : ''}`, ms: performance.now() - started }
}

export interface LongRunning {
  /** Resolves with the whole output once `pattern` has matched `count` times; rejects on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, count: number, timeoutMs?: number): Promise<string>
  stop(): Promise<void>
}

/** Starts a long-running command (a watch build) in `cwd`, as runIn does. */
export function startIn(cwd: string, command: string, args: string[]): LongRunning {
  const { NODE_ENV: _testEnv, ...shell } = process.env
  const child = spawn(command, args, { cwd, env: { ...shell, NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  let exited = false
  const listeners = new Set<() => void>()
  const append = (chunk: Buffer): void => {
    output += chunk.toString('utf8')
    listeners.forEach((listener) => listener())
  }
  child.stdout.on('data', append)
  child.stderr.on('data', append)
  const closed = new Promise<void>((resolve) =>
    child.on('close', () => {
      exited = true
      listeners.forEach((listener) => listener())
      resolve()
    }),
  )
  return {
    waitFor: (pattern, count, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`)
        const check = (): void => {
          if ((output.match(global)?.length ?? 0) >= count) return done(() => resolve(output))
          if (exited) done(() => reject(new Error(`exited before ${count}× ${pattern}:\n${output}`)))
        }
        const timer = setTimeout(() => done(() => reject(new Error(`no ${count}× ${pattern} within ${timeoutMs} ms:\n${output}`))), timeoutMs)
        const done = (settle: () => void): void => {
          clearTimeout(timer)
          listeners.delete(check)
          settle()
        }
        listeners.add(check)
        check()
      }),
    stop: async () => {
      if (!exited) child.kill('SIGTERM')
      await closed
    },
  }
}
