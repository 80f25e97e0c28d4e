import path from 'node:path'

/** Lines printed per kind of drift before `… and N more`. */
export const LIST_CAP = 50

/** `abs` relative to `cwd` when it lies inside it, otherwise absolute. */
export function displayPath(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs)
  if (rel === '') return '.'
  return rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel
}

/** `2026-01-01T10:00:00.000Z (3 min ago)`; the ISO text alone when it does not parse. */
export function formatTime(iso: string, now = Date.now()): string {
  const then = Date.parse(iso)
  if (Number.isNaN(then)) return iso
  const seconds = Math.round((now - then) / 1000)
  if (seconds < 0) return iso
  const age =
    seconds < 60
      ? `${seconds} s`
      : seconds < 3600
        ? `${Math.floor(seconds / 60)} min`
        : seconds < 86_400
          ? `${Math.floor(seconds / 3600)} h`
          : `${Math.floor(seconds / 86_400)} d`
  return `${iso} (${age} ago)`
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}

/** Quotes an argument for a POSIX shell when it needs it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`
}

/** `M path` lines, at most LIST_CAP, then `… and N more <kind>`. */
export function listLines(prefix: string, kind: string, files: readonly string[]): string[] {
  const lines = files.slice(0, LIST_CAP).map((file) => `${prefix} ${file}`)
  if (files.length > LIST_CAP) lines.push(`… and ${files.length - LIST_CAP} more ${kind}`)
  return lines
}
