import fs from 'node:fs'
import path from 'node:path'
import { stagingDirFor } from '../core/bundler-staging.js'
import { captureDir, removeDir, removeDirLater, sweepStaleStaging } from '../adapters/staging.js'
import { startCapture, type PluginLogger } from '../plugin/capture.js'
import type { PluginInstance } from '../plugin/instance.js'
import type { BuildReport, BundlerName } from '../observe/types.js'

/**
 * A staged framework build (VitePress, SvelteKit, Astro, Nuxt): the framework's final output dir
 * is redirected to a staging sibling (same filesystem, same depth) for the whole run, so the
 * bundler builds, the rendered pages and whatever integrations write afterwards all land there.
 * The staging dir is committed once, when the framework says its build is done, through the same
 * capture and engine as a bundler build, its files adopted (renamed into place, not written
 * again: zero copy). Until then outDir is never touched, so a failure
 * anywhere (bundling, rendering, prerendering, a post-build step) keeps the previous output byte
 * for byte.
 *
 * A run that never reaches `commit` or `abort` (the framework failed somewhere it gives no hook
 * for, and the process exits) leaves outDir as it was; its staging dir is removed when the
 * process exits, or swept by the next build once the process is gone.
 */
export interface StagedBuild {
  /** The real output dir. */
  readonly outDir: string
  /** Where the framework writes instead. */
  readonly staging: string
  /** Committed or aborted. */
  readonly settled: boolean
  /**
   * The framework emptied `dir` (relative to outDir, `''` for outDir itself): files there that
   * it does not write again are deleted at commit.
   */
  emptied(dir: string): void
  /** Commits the staging dir to outDir; a failure is in the report (`error`), outDir restored. */
  commit(): Promise<BuildReport>
  /** The framework's build failed: outDir stays as it was. Later calls are no-ops. */
  abort(error: unknown): Promise<BuildReport | undefined>
}

export interface StagedBuildContext {
  bundler: BundlerName
  outDir: string
  /** The project root (state dir, project name). */
  root: string
  /** Whether the framework empties outDir before writing it (applied at commit instead); asked at commit. */
  cleans: () => boolean
  logger: PluginLogger
}

const open = new Set<string>()
let exitHookInstalled = false

/** Staging dirs of runs still open when the process exits (the framework failed without a hook). */
function removeOpenStagingAtExit(staging: string): void {
  open.add(staging)
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const dir of open) removeDir(dir)
  })
}

export function startStagedBuild(instance: PluginInstance, ctx: StagedBuildContext): StagedBuild {
  const staging = stagingDirFor(ctx.outDir)
  sweepStaleStaging(ctx.outDir)
  // A run of this process that never settled (a programmatic build that failed without a hook).
  removeDir(staging)
  fs.mkdirSync(staging, { recursive: true })
  removeOpenStagingAtExit(staging)
  const emptiedDirs = new Set<string>()
  let settled = false

  const capture = () =>
    startCapture(instance, { bundler: ctx.bundler, outDir: ctx.outDir, root: ctx.root, bundlerCleans: ctx.cleans() || emptiedDirs.has(''), logger: ctx.logger })

  return {
    outDir: ctx.outDir,
    staging,
    get settled() {
      return settled
    },
    emptied(dir) {
      emptiedDirs.add(dir)
    },
    async commit() {
      if (settled) throw new Error(`[emit-optimizer] the build of ${ctx.outDir} was already settled; nothing to commit.`)
      settled = true
      const tx = capture()
      try {
        // Adopted (zero copy): the commit renames the staged files into place, so the staging
        // dir may only go once the engine is done with them; what it still holds then is what
        // stayed (unchanged files, directories), removed in the background while the report is made.
        captureDir(tx, staging, true)
        for (const dir of emptiedDirs) if (dir !== '') for (const file of listFiles(path.join(tx.outDir, dir), dir)) if (!tx.has(file)) tx.delete(file)
      } catch (error) {
        await removeDirLater(staging)
        open.delete(staging)
        return tx.abort(error)
      }
      let removal: Promise<void> | undefined
      const report = await tx.commit(() => {
        removal = removeDirLater(staging)
      })
      await removal
      open.delete(staging)
      return report
    },
    async abort(error) {
      if (settled) return undefined
      settled = true
      // Stays listed for the exit hook: a framework may still be finishing writes it started
      // before the failure (pages rendered in parallel), which would recreate the dir.
      removeDir(staging)
      return capture().abort(error)
    },
  }
}

/** A framework build that failed before anything was staged: a rolled-back report, outDir untouched. */
export function reportFailure(instance: PluginInstance, ctx: Omit<StagedBuildContext, 'cleans'>, error: unknown): Promise<BuildReport> {
  return startCapture(instance, { bundler: ctx.bundler, outDir: ctx.outDir, root: ctx.root, bundlerCleans: false, logger: ctx.logger }).abort(error)
}

/** Files under `abs` as paths relative to the output dir (`prefix` + POSIX relative path). */
function listFiles(abs: string, prefix: string): string[] {
  let entries: fs.Dirent[]
  try {
    entries = fs.readdirSync(abs, { withFileTypes: true })
  } catch {
    return []
  }
  return entries.flatMap((entry) => {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name
    return entry.isDirectory() ? listFiles(path.join(abs, entry.name), rel) : [rel]
  })
}

/**
 * The directory that owns a build: the nearest ancestor of `dir` with a package.json and a
 * node_modules (state dir and project name go there, not into a docs or source folder).
 */
export function projectRoot(dir: string): string {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if (fs.existsSync(path.join(current, 'package.json')) && fs.existsSync(path.join(current, 'node_modules'))) return current
    if (current === path.dirname(current)) return path.resolve(dir)
  }
}

/** `dir` relative to `from` when it lies inside it (or is it), else undefined. */
export function insideOf(from: string, dir: string): string | undefined {
  return dir === from ? '' : dir.startsWith(`${from}/`) ? dir.slice(from.length + 1) : undefined
}
