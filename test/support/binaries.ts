/**
 * Tests that run real programs from Debian packages (prometheus, prometheus-pushgateway, promtool,
 * chromium): skip visibly where one is missing, fail in CI (where `.ci/run` installs them), and
 * start servers on free loopback ports with a bounded readiness poll.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'

/**
 * Whether the tests needing `path` can run. Missing: a visible warning and `false` (use with
 * `describe.skipIf(!ok)`, and put `skipReason` in the test name); with `CI` set it throws, so the
 * suite fails instead of silently skipping.
 */
export function requireBinary(name: string, path: string): boolean {
  try {
    fs.accessSync(path, fs.constants.X_OK)
    return true
  } catch {
    const reason = `${name} is not installed at ${path} (Debian/Ubuntu: apt-get install ${packageOf(name)})`
    if (process.env.CI) throw new Error(`${reason}; CI must run these tests, not skip them`)
    console.warn(`SKIPPED: ${reason}`)
    return false
  }
}

/** `" (SKIPPED: <name> missing)"` when missing, else `""`: for test names. */
export function skipReason(name: string, ok: boolean): string {
  return ok ? '' : ` (SKIPPED: ${name} missing)`
}

function packageOf(name: string): string {
  return name === 'promtool' ? 'prometheus' : name
}

/** A port free on 127.0.0.1 right now (the kernel picks it). */
export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface RunningServer {
  process: ChildProcess
  /** Everything the program printed, for failure messages. */
  output(): string
  stop(): Promise<void>
}

/**
 * Spawns `path args` and polls `readyUrl` (every 100 ms, at most `timeoutMs`) until it answers 200.
 * Throws with the program's output if it exits or never gets ready.
 */
export async function startServer(path: string, args: string[], readyUrl: string, timeoutMs = 20_000): Promise<RunningServer> {
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const server: RunningServer = {
    process: child,
    output: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      // Bounded: SIGKILL if it does not stop within 5 s.
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${path} exited with ${child.exitCode}:\n${log}`)
    try {
      const response = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) })
      if (response.ok) return server
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await server.stop()
  throw new Error(`${path} not ready at ${readyUrl} within ${timeoutMs} ms:\n${log}`)
}
