/**
 * A child process's output as it arrives and bounded waits on it, shared by the line-driven
 * children (children.ts) and the long-running framework builds (frameworks/run.ts). No vitest
 * import: the benches use it too.
 */
import type { ChildProcess } from 'node:child_process'

/** A child's output as it arrives, and bounded waits on it (no polling: checked at every chunk and at exit). */
export interface ChildOutput {
  readonly stdout: string
  readonly stderr: string
  /** stdout and stderr interleaved in arrival order. */
  readonly all: string
  /** Resolves when the child has closed (after its last output). */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves once `ready()` holds; rejects if the child closes first or after `timeoutMs`, naming `what` and the output so far. */
  until(ready: () => boolean, what: string, timeoutMs: number): Promise<void>
}

/** Collects `child`'s output (stdout and stderr must be pipes); `describe` names it in errors. */
export function watchOutput(child: ChildProcess, describe: () => string): ChildOutput {
  let stdout = ''
  let stderr = ''
  let all = ''
  let exited = false
  const listeners = new Set<() => void>()
  const notify = (): void => listeners.forEach((listener) => listener())
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    all += chunk
    notify()
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    all += chunk
    notify()
  })
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      exited = true
      resolve({ code, signal })
      notify()
    })
  })
  return {
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
    get all() {
      return all
    },
    closed,
    until(ready, what, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (ready()) done(resolve)
          else if (exited) done(() => reject(new Error(`child exited (code ${child.exitCode}, signal ${child.signalCode}) before ${what}: ${describe()}`)))
        }
        const timer = setTimeout(() => done(() => reject(new Error(`no ${what} within ${timeoutMs} ms: ${describe()}`))), timeoutMs)
        const done = (settle: () => void): void => {
          clearTimeout(timer)
          listeners.delete(check)
          settle()
        }
        listeners.add(check)
        check()
      })
    },
  }
}
