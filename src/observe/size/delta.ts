import type { GitInfo } from '../../history/git.js'
import { sameLevels, type CompressionLevels } from './compress.js'
import { kindOf, SIZE_KINDS, type SizeKind } from './kinds.js'
import { stableName } from './stable-name.js'

/** One file's (or a total's) weight: raw bytes and compressed; `null` where an encoding is off. */
export interface Sizes {
  raw: number
  gzip: number | null
  brotli: number | null
}

/** A file's sizes and its content hash (the manifest's xxh64; absent in snapshots written before it was kept). */
export type FileSizes = Sizes & { hash?: string }

export const SIZES_FORMAT = 'emit-optimizer/sizes@1'

/** The sizes of one committed output (a build-history version): `<stateDir>/sizes/<id>.json`. */
export interface SizeSnapshot {
  format: typeof SIZES_FORMAT
  /** The history version outDir held (or the commit's id with history off). */
  id: string
  committedAt: string
  git: GitInfo | null
  levels: CompressionLevels
  files: Record<string, FileSizes>
  /** Entry points' initial-load files by entry name, where the bundler said (absent in older snapshots). */
  entries?: Record<string, string[]>
}

export type TotalKey = SizeKind | 'all'
export const TOTAL_KEYS: readonly TotalKey[] = [...SIZE_KINDS, 'all']
export type Totals = Record<TotalKey, Sizes & { files: number }>

export function totals(files: Record<string, Sizes>, levels: CompressionLevels): Totals {
  const zero = () => ({ files: 0, raw: 0, gzip: levels.gzip === false ? null : 0, brotli: levels.brotli === false ? null : 0 })
  const out = Object.fromEntries(TOTAL_KEYS.map((key) => [key, zero()])) as Totals
  for (const [file, sizes] of Object.entries(files)) {
    for (const total of [out[kindOf(file)], out.all]) {
      total.files += 1
      total.raw += sizes.raw
      if (total.gzip !== null) total.gzip += sizes.gzip ?? 0
      if (total.brotli !== null) total.brotli += sizes.brotli ?? 0
    }
  }
  return out
}

/** Change in bytes; a compressed delta is `null` when either side lacks it or was compressed at other levels. */
export interface Delta {
  raw: number
  gzip: number | null
  brotli: number | null
}

/** `changed`: same path and raw size, other bytes (content hash, or compressed sizes where a snapshot lacks hashes). */
export type ChangeStatus = 'added' | 'removed' | 'grown' | 'shrunk' | 'renamed' | 'changed'

export interface FileChange {
  path: string
  /** The previous name of a hashed file matched by its stable name. */
  from?: string
  status: ChangeStatus
  kind: SizeKind
  /** The new sizes (the old ones for a removed file). */
  size: Sizes
  delta: Delta
}

export interface SizeComparison {
  /** What the current output is compared with. */
  against: { id: string; committedAt: string; git: GitInfo | null }
  totals: Record<TotalKey, Delta>
  /** Changed files, the biggest change (gzip, else raw) first. */
  changes: FileChange[]
  counts: Record<ChangeStatus, number>
}

const EMPTY: Sizes = { raw: 0, gzip: 0, brotli: 0 }

function minus(a: Sizes, b: Sizes, compressed: boolean): Delta {
  const sub = (x: number | null, y: number | null) => (compressed && x !== null && y !== null ? x - y : null)
  return { raw: a.raw - b.raw, gzip: sub(a.gzip, b.gzip), brotli: sub(a.brotli, b.brotli) }
}

/** The size of a change, for ordering: gzip where known, else raw. */
export function magnitude(delta: Delta): number {
  return Math.abs(delta.gzip ?? delta.raw)
}

/**
 * `current` against `reference`: per kind, and per file. Files at the same path compare directly;
 * of the rest, a removed and an added file with the same stable name (`index-[hash].js`), the only
 * two with that name, are one file renamed by its new hash, not a removal and an addition.
 */
export function compare(current: SizeSnapshot, reference: SizeSnapshot): SizeComparison {
  const counts: Record<ChangeStatus, number> = { added: 0, removed: 0, grown: 0, shrunk: 0, renamed: 0, changed: 0 }
  const against = { id: reference.id, committedAt: reference.committedAt, git: reference.git }
  if (current === reference) {
    // A no-change rebuild compares its output with itself (the same snapshot): a third of the size
    // step's time there went into finding that nothing changed.
    const now = totals(current.files, current.levels)
    const zero = Object.fromEntries(TOTAL_KEYS.map((key) => [key, minus(now[key], now[key], true)])) as Record<TotalKey, Delta>
    return { against, totals: zero, changes: [], counts }
  }
  const compressed = sameLevels(current.levels, reference.levels)
  const changes: FileChange[] = []
  const change = (path: string, status: ChangeStatus | undefined, now: FileSizes, before: FileSizes, from?: string) => {
    const delta = minus(now, before, compressed)
    // Equal lengths and equal compressed sizes do not mean equal bytes: the hash decides where both have one.
    const differs = now.hash !== undefined && before.hash !== undefined ? now.hash !== before.hash : Boolean(delta.gzip || delta.brotli)
    const resolved = status ?? (delta.raw > 0 ? 'grown' : delta.raw < 0 ? 'shrunk' : from !== undefined ? 'renamed' : differs ? 'changed' : undefined)
    if (resolved)
      changes.push({ path, ...(from === undefined ? {} : { from }), status: resolved, kind: kindOf(path), size: status === 'removed' ? before : now, delta })
  }
  const added: string[] = []
  for (const [file, sizes] of Object.entries(current.files)) {
    const before = reference.files[file]
    if (before) change(file, undefined, sizes, before)
    else added.push(file)
  }
  const removed = Object.keys(reference.files).filter((file) => !(file in current.files))
  const byStable = new Map<string, { added: string[]; removed: string[] }>()
  const group = (file: string) => {
    const key = stableName(file)
    let entry = byStable.get(key)
    if (!entry) byStable.set(key, (entry = { added: [], removed: [] }))
    return entry
  }
  for (const file of added) group(file).added.push(file)
  for (const file of removed) group(file).removed.push(file)
  for (const entry of byStable.values()) {
    if (entry.added.length === 1 && entry.removed.length === 1) {
      const [now, before] = [entry.added[0]!, entry.removed[0]!]
      change(now, undefined, current.files[now]!, reference.files[before]!, before)
      continue
    }
    for (const file of entry.added) change(file, 'added', current.files[file]!, EMPTY)
    for (const file of entry.removed) change(file, 'removed', EMPTY, reference.files[file]!)
  }
  changes.sort((a, b) => magnitude(b.delta) - magnitude(a.delta) || (a.path < b.path ? -1 : 1))
  const now = totals(current.files, current.levels)
  const before = totals(reference.files, reference.levels)
  for (const item of changes) counts[item.status] += 1
  return {
    against,
    totals: Object.fromEntries(TOTAL_KEYS.map((key) => [key, minus(now[key], before[key], compressed)])) as Record<TotalKey, Delta>,
    changes,
    counts,
  }
}
