import fs from 'node:fs/promises'
import { writeStateFile } from '../core/state-file.js'
import type { BuildSummary } from './report-json.js'

/**
 * `history.ndjson`: one line per build, oldest first. Appending is one `appendFile` of one line;
 * when lines are older than the retention (or unreadable) the whole file is rewritten through
 * a temp file + rename (core/state-file.ts), so a crash leaves either the old or the new history.
 * A torn last line (a crash mid-append) is skipped with a warning and dropped at the next rewrite.
 */
export interface HistoryEntry {
  schemaVersion: 1
  id: string | null
  /** When the build started (ISO). */
  time: string
  status: BuildSummary['status']
  bundler: BuildSummary['bundler']
  project: string
  durationMs: number
  written: number
  unchanged: number
  deleted: number
  total: number
  bytes: number
  fsOps: number
  errorRatio: number
  p99Ms: number | null
  writesPerSecond: number | null
  /** Rules of the alerts that fired. */
  alerts: string[]
}

export function historyEntry(summary: BuildSummary): HistoryEntry {
  return {
    schemaVersion: 1,
    id: summary.build.id,
    time: summary.build.startedAt,
    status: summary.status,
    bundler: summary.bundler,
    project: summary.project,
    durationMs: summary.build.durationMs,
    written: summary.files.written,
    unchanged: summary.files.unchanged,
    deleted: summary.files.deleted,
    total: summary.files.total,
    bytes: summary.bytes.written,
    fsOps: summary.fsOps.performed,
    errorRatio: summary.errors.ratio,
    p99Ms: summary.writeLatencyMs.p99,
    writesPerSecond: summary.throughput.writesPerSecond,
    alerts: summary.alerts.map((alert) => alert.rule),
  }
}

interface Parsed {
  entries: HistoryEntry[]
  /** Lines that did not parse, 1-based. */
  corrupt: number[]
  endsWithNewline: boolean
}

function isEntry(value: unknown): value is HistoryEntry {
  if (typeof value !== 'object' || value === null) return false
  const entry = value as Partial<HistoryEntry>
  return typeof entry.time === 'string' && !Number.isNaN(Date.parse(entry.time)) && typeof entry.status === 'string' && typeof entry.durationMs === 'number'
}

function parse(text: string): Parsed {
  const entries: HistoryEntry[] = []
  const corrupt: number[] = []
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return
    try {
      const value: unknown = JSON.parse(line)
      if (isEntry(value)) entries.push(value)
      else corrupt.push(index + 1)
    } catch {
      corrupt.push(index + 1)
    }
  })
  return { entries, corrupt, endsWithNewline: text === '' || text.endsWith('\n') }
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw error
  }
}

function warnCorrupt(file: string, lines: number[], warn: (message: string) => void): void {
  if (lines.length > 0)
    warn(
      `[emit-optimizer] skipped ${lines.length} unreadable line${lines.length === 1 ? '' : 's'} ` +
        `(${lines.slice(0, 5).join(', ')}${lines.length > 5 ? ', …' : ''}) in "${file}"; they are dropped at the next pruning.`,
    )
}

/** The entries of a history file, oldest first; unreadable lines are skipped with a warning. */
export async function readHistory(file: string, warn: (message: string) => void): Promise<HistoryEntry[]> {
  const parsed = parse(await readText(file))
  warnCorrupt(file, parsed.corrupt, warn)
  return parsed.entries
}

/**
 * Adds `entry` and drops entries older than `retentionDays` before `now`. Returns the kept
 * entries (the new one last) so the caller can draw the trend without reading the file again.
 */
export async function appendHistory(
  file: string,
  entry: HistoryEntry,
  options: { retentionDays: number; now?: number; warn: (message: string) => void },
): Promise<HistoryEntry[]> {
  // A symlink planted at the history's path is replaced, never read or appended through.
  const planted = (await fs.lstat(file).catch(() => undefined))?.isSymbolicLink() === true
  const parsed = parse(planted ? '' : await readText(file))
  warnCorrupt(file, parsed.corrupt, options.warn)
  const cutoff = (options.now ?? Date.now()) - options.retentionDays * 86_400_000
  const kept = parsed.entries.filter((old) => Date.parse(old.time) >= cutoff)
  const line = `${JSON.stringify(entry)}\n`
  if (!planted && kept.length === parsed.entries.length && parsed.corrupt.length === 0) {
    // Nothing to prune: append. A file without a final newline was torn; start on a new line.
    await fs.appendFile(file, parsed.endsWithNewline ? line : `\n${line}`)
  } else {
    await writeStateFile(file, kept.map((old) => `${JSON.stringify(old)}\n`).join('') + line, { fsync: false, mode: 0o666 })
  }
  return [...kept, entry]
}
