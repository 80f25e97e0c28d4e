import { nodeFs } from '../../core/fs.js'
import { resolveTransactionOptions } from '../../core/transaction-options.js'
import { resolveStateDir } from '../../core/state-dir.js'
import type { CommitResult } from '../../core/transaction.js'
import type { BudgetAlert } from './budgets.js'
import { addEntries, type EntryPoint } from './entry-point.js'
import type { Prepared, SizeSummary } from './measure.js'
import type { ResolvedSizeOptions } from './options.js'

/** The size side of one captured build: keeps the captured bytes, measures after the commit. */
export interface SizeCapture {
  write(rel: string, contents: string | Uint8Array): void
  delete(rel: string): void
  /** Entry points of this output (several calls add up), for the initial-load totals. */
  entries(list: readonly EntryPoint[]): void
  /** The commit starts: hash and compress the captured files meanwhile. */
  begin(target: { outDir: string; stateDir: string | undefined }): void
  /** Never throws: a failure is a warning and the build has no sizes. */
  measure(result: CommitResult): Promise<{ sizes?: SizeSummary; alerts: BudgetAlert[] }>
}

export function startSizeCapture(options: ResolvedSizeOptions | false, ctx: { root: string; warn(message: string): void }): SizeCapture {
  // References to the bytes the transaction holds anyway: a changed file is compressed from
  // memory, never read back from disk.
  const contents = new Map<string, string | Uint8Array>()
  const entryPoints: EntryPoint[] = []
  let prepared: Promise<Prepared | undefined> | undefined
  return {
    begin(target) {
      if (!options) return
      // The state dir the transaction resolves too (its fallback warning is the transaction's to give).
      const stateDir = resolveStateDir(
        resolveTransactionOptions({
          outDir: target.outDir,
          root: ctx.root,
          ...(target.stateDir ? { stateDir: target.stateDir } : {}),
          fs: nodeFs,
          logger: { warn: () => {} },
        }),
      )
      // A failure here only means measuring everything after the commit.
      // measure.js (zlib, the size store, git) is loaded by the first build that measures sizes.
      prepared = import('./measure.js').then(({ prepareSizes }) => prepareSizes({ options, stateDir, contents })).catch(() => undefined)
    },
    write(rel, bytes) {
      if (options) contents.set(rel, bytes)
    },
    delete(rel) {
      contents.delete(rel)
    },
    entries(list) {
      if (options) addEntries(entryPoints, list)
    },
    async measure(result) {
      if (!options) return { alerts: [] }
      try {
        const ready = await prepared
        const { measureSizes } = await import('./measure.js')
        const measured = await measureSizes({
          options,
          root: ctx.root,
          outDir: result.outDir,
          stateDir: result.stateDir,
          contents,
          entries: entryPoints,
          ...(ready ? { prepared: ready } : {}),
        })
        return measured ? { sizes: measured.summary, alerts: measured.alerts } : { alerts: [] }
      } catch (error) {
        ctx.warn(
          `[emit-optimizer] could not measure the output sizes: ${error instanceof Error ? error.message : String(error)}. The build itself is not affected.`,
        )
        return { alerts: [] }
      } finally {
        contents.clear()
        entryPoints.length = 0
      }
    },
  }
}
