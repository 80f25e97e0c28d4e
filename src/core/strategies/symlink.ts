import path from 'node:path'
import type { EngineContext } from '../context.js'
import { errnoCode, EmitOptimizerError } from '../../errors.js'
import { ignoring, lstatOrUndefined } from '../fs.js'
import type { SymlinkJournal } from '../journal.js'
import type { Manifest } from '../manifest.js'
import { assertOwnDir } from '../guard.js'
import { populateDir, type PublishStrategy } from './shared.js'

export function symlinkTempPath(outDir: string): string {
  return path.join(path.dirname(outDir), `.${path.basename(outDir)}.eo-link`)
}

/**
 * Where the current output lives for the symlink strategy: the build outDir links to, or outDir
 * itself when it is still a plain directory (it is moved into builds/ on the first publish).
 */
export async function currentSymlinkTarget(ctx: EngineContext): Promise<{ dir: string | undefined; linkText: string | null }> {
  const out = await lstatOrUndefined(ctx.fs, ctx.outDir)
  if (!out) return { dir: undefined, linkText: null }
  if (!out.isSymbolicLink()) return { dir: ctx.outDir, linkText: null }
  const linkText = await ctx.fs.readlink(ctx.outDir)
  const dir = path.resolve(path.dirname(ctx.outDir), linkText)
  if (path.dirname(dir) !== ctx.paths.builds && path.dirname(dir) !== ctx.ownerBuilds) {
    throw new EmitOptimizerError(
      'EO_OUTDIR_INVALID',
      `outDir is a symlink to "${dir}", which is not a build of this project (outDir: ${ctx.outDir}). Remove the link, or use the strategy it was made for.`,
      { path: ctx.outDir },
    )
  }
  return { dir, linkText }
}

/**
 * outDir is a symlink to `<stateDir>/builds/<id>`. A new build is filled (unchanged files
 * hard-linked from the current build), then a new link is renamed over outDir: one atomic step
 * for readers. The previous build is kept, so rolling back is re-pointing the link.
 */
export const symlink: PublishStrategy = {
  async stage(ctx, plan, header, manifestFor) {
    const { dir: current, linkText } = await currentSymlinkTarget(ctx)
    const build = path.join(ctx.paths.builds, header.txId)
    await assertOwnBuildsDir(ctx)
    await ctx.fs.mkdir(ctx.paths.builds, { recursive: true })
    await ctx.fs.mkdir(build, { recursive: false, mode: 0o700 })
    const written = await populateDir(ctx, build, current, plan)
    await ctx.fs.chmod(build, 0o755)
    const migrated = current !== undefined && linkText === null ? path.join(ctx.paths.builds, `${header.txId}-initial`) : null
    const previousBuildDir = migrated ?? current
    const manifest: Manifest = { ...manifestFor(written), buildDir: build, ...(previousBuildDir ? { previousBuildDir } : {}) }
    const journal: SymlinkJournal = { ...header, strategy: 'symlink', manifest, build, link: symlinkTempPath(ctx.outDir), previousTarget: linkText, migrated }
    return { journal, written }
  },

  async publish(ctx, journal) {
    const j = journal as SymlinkJournal
    if (j.migrated) await ctx.fs.rename(ctx.outDir, j.migrated)
    await pointOutDirAt(ctx, j.link, path.relative(path.dirname(ctx.outDir), j.build))
  },

  async rollback(ctx, journal) {
    const j = journal as SymlinkJournal
    const out = await lstatOrUndefined(ctx.fs, ctx.outDir)
    if (out?.isSymbolicLink() && path.resolve(path.dirname(ctx.outDir), await ctx.fs.readlink(ctx.outDir)) === j.build) {
      if (j.previousTarget !== null) await pointOutDirAt(ctx, j.link, j.previousTarget)
      else await ctx.fs.unlink(ctx.outDir)
    }
    if (j.migrated && (await lstatOrUndefined(ctx.fs, ctx.outDir)) === undefined && (await lstatOrUndefined(ctx.fs, j.migrated))) {
      await ctx.fs.rename(j.migrated, ctx.outDir)
    }
    await ignoring(ctx.fs.unlink(j.link))
    await ctx.fs.rm(j.build, { recursive: true, force: true })
    if (ctx.fsync) await ctx.fs.fsyncPath(path.dirname(ctx.outDir))
  },

  async finish(ctx, journal) {
    const j = journal as SymlinkJournal
    await ignoring(ctx.fs.unlink(j.link))
    await removeUnreferencedBuilds(ctx, [j.manifest.buildDir, j.manifest.previousBuildDir])
  },
}

async function pointOutDirAt(ctx: EngineContext, link: string, target: string): Promise<void> {
  await ignoring(ctx.fs.unlink(link))
  await ctx.fs.symlink(target, link)
  await ctx.fs.rename(link, ctx.outDir)
  if (ctx.fsync) await ctx.fs.fsyncPath(path.dirname(ctx.outDir))
}

const assertOwnBuildsDir = (ctx: EngineContext): Promise<void> => assertOwnDir(ctx.fs, ctx.paths.builds, 'builds directory', ctx.outDir)

/** Keeps the current and the previous build; everything else in builds/ is garbage. */
export async function removeUnreferencedBuilds(ctx: EngineContext, keep: Array<string | undefined>): Promise<void> {
  await assertOwnBuildsDir(ctx)
  let names: string[]
  try {
    names = (await ctx.fs.readdir(ctx.paths.builds, { withFileTypes: true })).map((entry) => entry.name)
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return
    throw error
  }
  const kept = new Set(keep.filter((dir): dir is string => dir !== undefined))
  await ctx.queue.each(
    names.map((name) => path.join(ctx.paths.builds, name)).filter((dir) => !kept.has(dir)),
    (dir) => ctx.fs.rm(dir, { recursive: true, force: true }),
  )
}
