import path from 'node:path'
import type { EngineContext } from '../context.js'
import { lstatOrUndefined } from '../fs.js'
import type { SwapJournal } from '../journal.js'
import { populateDir, type PublishStrategy } from './shared.js'

export function swapDirs(outDir: string): { next: string; prev: string } {
  const base = path.join(path.dirname(outDir), `.${path.basename(outDir)}`)
  return { next: `${base}.eo-next`, prev: `${base}.eo-prev` }
}

/**
 * The whole new output is built in a hidden sibling (`.dist.eo-next`, same filesystem),
 * unchanged files hard-linked from the current output, then swapped in with two renames:
 * outDir → `.dist.eo-prev`, next → outDir. A crash between them leaves outDir missing for an
 * instant; recovery renames prev back.
 */
export const swap: PublishStrategy = {
  async stage(ctx, plan, header, manifestFor) {
    const { next, prev } = swapDirs(ctx.outDir)
    await ctx.fs.rm(next, { recursive: true, force: true })
    await ctx.fs.rm(prev, { recursive: true, force: true })
    const current = await lstatOrUndefined(ctx.fs, ctx.outDir)
    await ctx.fs.mkdir(next, { recursive: false, mode: 0o700 })
    const written = await populateDir(ctx, next, current ? ctx.outDir : undefined, plan)
    await ctx.fs.chmod(next, current ? current.mode & 0o7777 : 0o755)
    const journal: SwapJournal = { ...header, strategy: 'swap', manifest: manifestFor(written), next, prev, hadOutDir: current !== undefined }
    return { journal, written }
  },

  async publish(ctx, journal) {
    const j = journal as SwapJournal
    if (j.hadOutDir) await ctx.fs.rename(ctx.outDir, j.prev)
    await ctx.fs.rename(j.next, ctx.outDir)
    if (ctx.fsync) await ctx.fs.fsyncPath(path.dirname(ctx.outDir))
  },

  async rollback(ctx, journal) {
    const j = journal as SwapJournal
    const [out, prev, next] = await Promise.all([ctx.outDir, j.prev, j.next].map((p) => lstatOrUndefined(ctx.fs, p)))
    if (prev) {
      // The old output was moved aside: put the new one back to `next` (if it got in) and the old one in place.
      if (out) await ctx.fs.rename(ctx.outDir, j.next)
      await ctx.fs.rename(j.prev, ctx.outDir)
    } else if (!j.hadOutDir && out && !next) {
      await ctx.fs.rename(ctx.outDir, j.next)
    }
    await ctx.fs.rm(j.next, { recursive: true, force: true })
    if (ctx.fsync) await ctx.fs.fsyncPath(path.dirname(ctx.outDir))
  },

  async finish(ctx, journal) {
    await ctx.fs.rm((journal as SwapJournal).prev, { recursive: true, force: true })
  },
}

/** Leftovers of a swap interrupted before its journal was written. */
export async function discardSwapLeftovers(ctx: EngineContext): Promise<void> {
  const { next, prev } = swapDirs(ctx.outDir)
  await ctx.fs.rm(next, { recursive: true, force: true })
  await ctx.fs.rm(prev, { recursive: true, force: true })
}
