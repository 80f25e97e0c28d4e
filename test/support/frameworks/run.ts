/**
 * Running the framework CLIs as whole processes, as a user runs them from a shell: one command
 * runner (`exec`), `run`/`runSync` for a node CLI (under this Node or the Node 22 of node22.ts),
 * `start` for a long-running one (a watch build), and `typecheck` for a user's config.
 */
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { watchOutput } from '../child-output.js'

const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const TIMEOUT_MS = 5 * 60_000

export interface RunResult {
  code: number | null
  /** stdout and stderr together. */
  output: string
  /** Wall time of the whole process, ms. */
  ms: number
}

/** `command args` in `cwd`; never rejects on a failing exit, only when it does not finish within `timeoutMs` (then killed). */
export function exec(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} (in ${options.cwd}) did not finish within ${timeoutMs / 1000} s; output so far:\n${output}`))
    }, timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output, ms: performance.now() - started })
    })
  })
}

export interface RunOptions {
  /** The node binary. @default process.execPath */
  node?: string
  /** Added to the environment. */
  env?: NodeJS.ProcessEnv
  /** @default 5 minutes */
  timeoutMs?: number
  /**
   * Keep the test runner's environment (NODE_ENV=test, VITEST, TEST) instead of a user's shell's.
   * The VitePress and SvelteKit suites and bench have always built with it; kept so that their
   * outputs and figures stay comparable. @default false
   */
  testEnv?: boolean
}

/**
 * The environment of a user's shell, telemetry and colours off: without vitest's markers (with
 * TEST or NODE_ENV=test, Nuxt builds into `node_modules/.cache/nuxt/.nuxt`, which the linked
 * node_modules would share; Rsbuild would build for NODE_ENV=test).
 */
function environment(options: RunOptions): NodeJS.ProcessEnv {
  const env = options.testEnv
    ? { ...process.env }
    : Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'TEST' && !name.startsWith('VITEST')))
  if (!options.testEnv && env.NODE_ENV === 'test') delete env.NODE_ENV
  return { ...env, ASTRO_TELEMETRY_DISABLED: '1', NUXT_TELEMETRY_DISABLED: '1', NO_COLOR: '1', FORCE_COLOR: '0', ...options.env }
}

/** `node <args>` in `cwd` (a framework's CLI file and its arguments). */
export function run(cwd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return exec(options.node ?? process.execPath, args, { cwd, env: environment(options), timeoutMs: options.timeoutMs })
}

/** `run`, blocking: for tests written synchronously. A timeout is a result (code null), not an exception. */
export function runSync(cwd: string, args: string[], options: RunOptions = {}): RunResult {
  const started = performance.now()
  const result = spawnSync(options.node ?? process.execPath, args, {
    cwd,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
    env: environment(options),
  })
  return { code: result.status, output: `${result.stdout}${result.stderr}${result.error ? `\n${result.error.message}` : ''}`, ms: performance.now() - started }
}

export interface LongRunning {
  /** Resolves with the whole output once `pattern` has matched `count` times; rejects on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, count: number, timeoutMs?: number): Promise<string>
  stop(): Promise<void>
}

/** Starts `node <args>` in `cwd` as `run` does, left running (a watch build) until `stop()`. */
export function start(cwd: string, args: string[], options: RunOptions = {}): LongRunning {
  const child = spawn(options.node ?? process.execPath, args, { cwd, env: environment(options), stdio: ['ignore', 'pipe', 'pipe'] })
  const output = watchOutput(child, () => `${args.join(' ')} in ${cwd}:\n${output.all}`)
  return {
    async waitFor(pattern, count, timeoutMs = 60_000) {
      const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`)
      await output.until(() => (output.all.match(global)?.length ?? 0) >= count, `${count}× ${pattern}`, timeoutMs)
      return output.all
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await output.closed
    },
  }
}

/** Runs an ES module snippet with node in `cwd` (the scaffolders are ESM APIs); throws when it fails. */
export async function runModule(cwd: string, code: string): Promise<void> {
  const result = await run(cwd, ['--input-type=module', '-e', code], { testEnv: true, timeoutMs: 120_000 })
  if (result.code !== 0) throw new Error(`node -e in ${cwd} failed (exit ${result.code}):\n${code}\n${result.output}`)
}

/**
 * Type-checks `source` (a check.ts) in `dir` with this repository's TypeScript, against the
 * framework's own types: what a user's editor says about their config.
 */
export function typecheck(dir: string, source: string): Promise<RunResult> {
  fs.writeFileSync(path.join(dir, 'eo-check.ts'), source)
  const tsconfig = {
    compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', skipLibCheck: true, noEmit: true, types: [] },
    files: ['eo-check.ts'],
  }
  fs.writeFileSync(path.join(dir, 'tsconfig.eo-check.json'), JSON.stringify(tsconfig))
  return exec(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.eo-check.json'], { cwd: dir })
}
