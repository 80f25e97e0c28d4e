import { nodeFs } from '../../core/fs.js'
import { resolveTransactionOptions } from '../../core/transaction-options.js'
import { resolveStateDir } from '../../core/state-dir.js'
import type { CommitResult } from '../../core/transaction.js'
import type { BudgetAlert } from './budgets.js'
import { measureSizes, prepareSizes, type Prepared, type SizeSummary } from './measure.js'
import type { ResolvedSizeOptions } from './options.js'

/** The size side of one captured build: keeps the captured bytes, measures after the commit. */
export interface SizeCapture {
  write(rel: string, contents: string | Uint8Array): void
  delete(rel: string): void
  /** The commit starts: hash and compress the captured files meanwhile. */
  begin(target: { outDir: string; stateDir: string | undefined }): void
  /** Never throws: a failure is a warning and the build has no sizes. */
  measure(result: CommitResult): Promise<{ sizes?: SizeSummary; alerts: BudgetAlert[] }>
}

export function startSizeCapture(options: ResolvedSizeOptions | false, ctx: { root: string; warn(message: string): void }): SizeCapture {
  // References to the bytes the transaction holds anyway: a changed file is compressed from
  // memory, never read back from disk.
  const contents = new Map<string, string | Uint8Array>()
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
      prepared = prepareSizes({ options, stateDir, contents }).catch(() => undefined)
    },
    write(rel, bytes) {
      if (options) contents.set(rel, bytes)
    },
    delete(rel) {
      contents.delete(rel)
    },
    async measure(result) {
      if (!options) return { alerts: [] }
      try {
        const ready = await prepared
        const measured = await measureSizes({
          options,
          root: ctx.root,
          outDir: result.outDir,
          stateDir: result.stateDir,
          contents,
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
      }
    },
  }
}
