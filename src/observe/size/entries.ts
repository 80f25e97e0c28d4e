import { sameLevels, type CompressionLevels } from './compress.js'
import type { Delta, FileSizes, SizeSnapshot, Sizes } from './delta.js'
import type { EntryPoint } from './entry-point.js'

export type { EntryPoint }

/** `sizes.entries[]` in latest.json: an entry point's initial load and how it changed. */
export interface EntrySizes extends Sizes {
  name: string
  /** The files counted, as committed (a file the bundler named but did not write is left out). */
  files: string[]
  /** Against the same-named entry of the previous build / the baseline; null when that had none. */
  previous: Delta | null
  baseline: Delta | null
}

function sum(files: readonly string[], sizes: Record<string, FileSizes>, levels: CompressionLevels): Sizes {
  const total: Sizes = { raw: 0, gzip: levels.gzip === false ? null : 0, brotli: levels.brotli === false ? null : 0 }
  for (const file of files) {
    const size = sizes[file]!
    total.raw += size.raw
    if (total.gzip !== null) total.gzip += size.gzip ?? 0
    if (total.brotli !== null) total.brotli += size.brotli ?? 0
  }
  return total
}

/** The snapshot's initial-load totals of entry `name`, or undefined when it has no such entry. */
function totalOf(snapshot: SizeSnapshot, name: string): Sizes | undefined {
  const files = snapshot.entries?.[name]
  return (
    files &&
    sum(
      files.filter((file) => file in snapshot.files),
      snapshot.files,
      snapshot.levels,
    )
  )
}

function minus(now: Sizes, before: Sizes | undefined, compressed: boolean): Delta | null {
  if (!before) return null
  const sub = (a: number | null, b: number | null) => (compressed && a !== null && b !== null ? a - b : null)
  return { raw: now.raw - before.raw, gzip: sub(now.gzip, before.gzip), brotli: sub(now.brotli, before.brotli) }
}

/** The entries' totals over the committed files, with deltas against the snapshots given. */
export function entrySizes(current: SizeSnapshot, previous: SizeSnapshot | undefined, baseline: SizeSnapshot | undefined): EntrySizes[] {
  return Object.entries(current.entries ?? {}).map(([name, files]) => {
    const total = sum(files, current.files, current.levels)
    const against = (reference: SizeSnapshot | undefined) =>
      reference ? minus(total, totalOf(reference, name), sameLevels(current.levels, reference.levels)) : null
    return { name, files, ...total, previous: against(previous), baseline: against(baseline) }
  })
}

/** The snapshot's `entries`: each entry's files that outDir holds now. */
export function committedEntries(entries: readonly EntryPoint[], files: Record<string, unknown>): Record<string, string[]> {
  return Object.fromEntries(entries.map((entry) => [entry.name, entry.files.filter((file) => file in files)]))
}
