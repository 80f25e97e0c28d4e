import { spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** `1` turns every writer created without an explicit `check` option into check mode. */
export const CHECK_ENV = 'EMIT_OPTIMIZER_CHECK'
/** A file writers in check mode append their changes to (NDJSON), set by `emit-optimizer check`. */
const CHECK_REPORT_ENV = 'EMIT_OPTIMIZER_CHECK_REPORT'

/** A file that was (or in check mode would be) created, updated or deleted. */
export interface Change {
  path: string
  status: 'created' | 'updated' | 'deleted'
}

/** A change some writer (of any process) would make. */
export interface ReportedChange extends Change {
  /** The writer's root; `path` is relative to it. */
  root: string
}

/** One line of the report: `unchanged` cancels an earlier line for the same file (written again, back to what is on disk). */
type ReportLine = Omit<ReportedChange, 'status'> & { status: Change['status'] | 'unchanged' }

/** The reporter of this process, when a check command runs it. */
export function checkReporter(): ((root: string, change: Omit<ReportLine, 'root'>) => void) | undefined {
  const file = process.env[CHECK_REPORT_ENV]
  if (!file) return undefined
  // O_APPEND writes of one short line do not interleave, so several processes can share the file.
  return (root, change) => fs.appendFileSync(file, `${JSON.stringify({ root, ...change } satisfies ReportLine)}\n`)
}

export interface CheckRun {
  /** Exit code of the command, or null when a signal ended it. */
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** What its writers would change: per file the last report. */
  changes: ReportedChange[]
}

/**
 * Runs a shell command line with check mode on (`EMIT_OPTIMIZER_CHECK=1`) and collects what
 * the writers in it, and in any process it starts, would change. Its stdout goes to `stdout`.
 */
export async function runInCheckMode(command: string, options: { cwd: string; stdout: 'inherit' | NodeJS.WritableStream }): Promise<CheckRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emit-optimizer-check-'))
  const report = path.join(dir, 'changes.ndjson')
  try {
    const child = spawn(command, {
      shell: true,
      cwd: options.cwd,
      env: { ...process.env, [CHECK_ENV]: '1', [CHECK_REPORT_ENV]: report },
      stdio: ['inherit', options.stdout === 'inherit' ? 'inherit' : 'pipe', 'inherit'],
    })
    if (options.stdout !== 'inherit') child.stdout!.pipe(options.stdout, { end: false })
    const [exitCode, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null]
    let text = ''
    try {
      text = fs.readFileSync(report, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    const changes = new Map<string, ReportedChange>()
    for (const line of text.split('\n')) {
      if (line === '') continue
      const change = JSON.parse(line) as ReportLine
      const key = JSON.stringify([change.root, change.path])
      if (change.status === 'unchanged') changes.delete(key)
      else changes.set(key, change as ReportedChange)
    }
    return { exitCode, signal, changes: [...changes.values()] }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
