import type { CommitResult } from '../../core/transaction.js'
import type { BudgetAlert } from './budgets.js'
import { measureSizes, type SizeSummary } from './measure.js'
import type { ResolvedSizeOptions } from './options.js'

/** The size side of one captured build: keeps the captured bytes, measures after the commit. */
export interface SizeCapture {
  write(rel: string, contents: string | Uint8Array): void
  delete(rel: string): void
  /** Never throws: a failure is a warning and the build has no sizes. */
  measure(result: CommitResult): Promise<{ sizes?: SizeSummary; alerts: BudgetAlert[] }>
}

export function startSizeCapture(options: ResolvedSizeOptions | false, ctx: { root: string; warn(message: string): void }): SizeCapture {
  // References to the bytes the transaction holds anyway: a changed file is compressed from
  // memory, never read back from disk.
  const contents = new Map<string, string | Uint8Array>()
  return {
    write(rel, bytes) {
      if (options) contents.set(rel, bytes)
    },
    delete(rel) {
      contents.delete(rel)
    },
    async measure(result) {
      if (!options) return { alerts: [] }
      try {
        const measured = await measureSizes({ options, root: ctx.root, outDir: result.outDir, stateDir: result.stateDir, contents })
        return measured ? { sizes: measured.summary, alerts: measured.alerts } : { alerts: [] }
      } catch (error) {
        ctx.warn(`[emit-optimizer] could not measure the output sizes: ${error instanceof Error ? error.message : String(error)}. The build itself is not affected.`)
        return { alerts: [] }
      } finally {
        contents.clear()
      }
    },
  }
}
