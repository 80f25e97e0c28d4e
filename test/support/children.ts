/**
 * Child processes driven line by line over stdin/stdout, for tests that must start several
 * processes' work at the same moment (a `GO` line to each once all said `READY`) or hold one at a
 * chosen point. Everything waits on events (output, exit), bounded by a timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach } from 'vitest'
import { watchOutput } from './child-output.js'
import { fileURLToPath } from 'node:url'

const REPO = fileURLToPath(new URL('../..', import.meta.url))

export interface ChildExit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface LineChild {
  readonly pid: number
  readonly process: ChildProcess
  /** Resolves once stdout has a line equal to `line`; rejects if the child exits first or after `timeoutMs`. */
  waitForLine(line: string, timeoutMs?: number): Promise<void>
  send(line: string): void
  /** Resolves when the child has exited and its output is complete. */
  readonly exited: Promise<ChildExit>
  /** The JSON after `RESULT ` on stdout (after exit). */
  result<T>(): Promise<T>
}

/** `node [nodeArgs] --import tsx <fixture> ...args`, cwd the repository. */
export function startChild(fixture: string, args: string[], options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): LineChild {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', fixture, ...args], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  })
  const describe = (): string => `${fixture} ${args.join(' ')} (pid ${child.pid})\nstdout:\n${output.stdout}\nstderr:\n${output.stderr}`
  const output = watchOutput(child, describe)
  // A child that exits early closes its stdin: writing to it then must not crash the test.
  child.stdin.on('error', () => {})
  const exited = output.closed.then(({ code, signal }) => ({ code, signal, stdout: output.stdout, stderr: output.stderr }))

  return {
    pid: child.pid!,
    process: child,
    exited,
    send(line) {
      child.stdin.write(`${line}\n`)
    },
    waitForLine(line, timeoutMs = 60_000) {
      return output.until(() => output.stdout.split('\n').includes(line), `"${line}" on stdout`, timeoutMs)
    },
    async result<T>() {
      const { stdout: out } = await exited
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (!line) throw new Error(`no RESULT line: ${describe()}`)
      return JSON.parse(line.slice('RESULT '.length)) as T
    },
  }
}

/** Kills plain child processes still running (after a failed test), and waits for their exit. */
export async function killProcesses(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await once(child, 'exit')
      }
    }),
  )
}

/** Kills children still running (after a failed test), and waits for their exit. */
export async function killAll(children: LineChild[]): Promise<void> {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL')
      await child.exited.catch(() => undefined)
    }),
  )
}

/**
 * Children and temp dirs of one test file, killed and removed after each test: call once at the
 * top of the file.
 */
export function childScope(): { children: LineChild[]; temps: string[]; tempRoot(prefix: string): string; cleanup(): Promise<void> } {
  const children: LineChild[] = []
  const temps: string[] = []
  const cleanup = async (): Promise<void> => {
    await killAll(children)
    for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
  }
  afterEach(cleanup)
  return {
    children,
    temps,
    cleanup,
    tempRoot(prefix) {
      const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)))
      temps.push(dir)
      return dir
    },
  }
}

/** How a crash-test child ended, with everything it printed. */
export interface CrashChildResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Runs a commit fixture (`node --import tsx <fixture> ...args`) to its end: with `crashAfter` it
 * SIGKILLs itself after that many traced fs calls (EO_CRASH_AFTER), with `trace` it prints them.
 */
export function runCrashChild(fixture: string, args: string[], env: { crashAfter?: number; trace?: boolean } = {}): Promise<CrashChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, EO_CRASH_AFTER: String(env.crashAfter ?? 0), EO_TRACE: env.trace ? '1' : '0' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}
