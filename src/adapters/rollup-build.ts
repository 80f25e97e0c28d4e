import { nodeCrypto } from '../core/node-crypto.js'
import path from 'node:path'
import type { RollupFsModule } from 'rollup'
import type { PluginInstance } from '../plugin/instance.js'
import type { EntryPoint } from '../observe/size/entry-point.js'
import { startCapture, type OutputCapture, type PluginLogger } from '../plugin/capture.js'
import type { BuildReport } from '../observe/types.js'

type FileData = string | Uint8Array

/**
 * The files of one output directory in one build. Outputs writing into the same directory share
 * it: a transaction owns its whole directory (files it does not get are deleted as stale), so
 * they can only commit together.
 */
interface DirGroup {
  dir: string
  capture: OutputCapture
  /** Outputs declared to write into `dir` (the config's `output`), 1 when unknown. */
  declared: number
  /** Outputs that reached generateBundle for `dir` / that Rollup has written. */
  announced: number
  written: number
  status: 'open' | 'committing' | 'committed' | 'aborted'
  /** Everything captured, kept so a later output of the same build (JS API) can recommit it. */
  files: Map<string, FileData>
}

/** The output directory Rollup resolves: `dir`, or the directory of `file` (cwd-relative). */
export function outputDirOf(output: { dir?: string | undefined; file?: string | undefined }): string | undefined {
  const dir = output.dir ?? (output.file ? path.dirname(output.file) : undefined)
  return dir === undefined ? undefined : path.resolve(dir)
}

const inside = (dir: string, file: string): boolean => file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep)

/**
 * State of one `rollup()` call (one watch rebuild): which directories it writes, their captures,
 * and the `fs` Rollup writes through.
 */
export class RollupBuild {
  /** Output directories → outputs writing there, from `output` in the options (config, CLI, watch). */
  private readonly declared = new Map<string, number>()
  /** Every output directory seen (declared, or in renderStart), for interception and reports. */
  private readonly dirs = new Set<string>()
  private readonly groups = new Map<string, DirGroup>()
  private readonly reported = new Set<string>()
  private failed = false
  /** Commits and aborts under way: the build is over only once they have settled. */
  private readonly inflight = new Set<Promise<unknown>>()
  readonly fs: RollupFsModule

  constructor(
    private readonly instance: PluginInstance,
    private readonly logger: PluginLogger,
    outputs: ReadonlyArray<{ dir?: string | undefined; file?: string | undefined }>,
    base: RollupFsModule,
  ) {
    for (const output of outputs) {
      const dir = outputDirOf(output)
      if (dir === undefined) continue
      this.declared.set(dir, (this.declared.get(dir) ?? 0) + 1)
      this.dirs.add(dir)
    }
    // Reads (module loading, plugins' this.fs) pass through; writes into an output directory that
    // has not committed yet are captured, so other plugins' writeBundle writes after our commit
    // land on disk as usual.
    this.fs = {
      ...base,
      mkdir: async (dir, opts) => {
        if (this.intercepts(path.resolve(dir))) return
        return base.mkdir(dir, opts)
      },
      writeFile: async (file, data, opts) => {
        const abs = path.resolve(file)
        const owner = this.intercepts(abs)
        if (!owner) return base.writeFile(file, data, opts)
        const group = this.groups.get(owner)
        if (group?.status !== 'open') return // the build failed: drop it
        const mode = typeof opts?.mode === 'number' ? opts.mode : typeof opts?.mode === 'string' ? Number.parseInt(opts.mode, 8) : undefined
        const rel = path.relative(owner, abs).split(path.sep).join('/')
        try {
          group.capture.write(rel, data, mode)
        } catch (error) {
          // Rollup reports a failed write to neither writeBundle nor closeBundle: keep the cause for the report.
          this.writeError ??= error
          throw error
        }
        group.files.set(rel, data)
      },
    }
  }

  /** The output directory owning `abs` while it is captured (deepest one), else undefined. */
  private intercepts(abs: string): string | undefined {
    let owner: string | undefined
    for (const dir of this.dirs) if (inside(dir, abs) && (owner === undefined || dir.length > owner.length)) owner = dir
    if (owner === undefined) return undefined
    const status = this.groups.get(owner)?.status
    if (status === 'committed') return undefined
    return this.failed || status !== undefined ? owner : undefined
  }

  /**
   * With several output directories, each needs its own manifest: a given `stateDir` gets one
   * subdirectory per output directory, and `outDir` (one target) cannot apply, so it is ignored.
   */
  private capture(dir: string): OutputCapture {
    const stateSubdir = this.dirs.size > 1 ? `${path.basename(dir)}-${nodeCrypto().createHash('sha1').update(dir).digest('hex').slice(0, 8)}` : undefined
    return startCapture(this.instance, {
      bundler: 'rollup',
      outDir: dir,
      root: process.cwd(),
      bundlerCleans: false,
      logger: this.logger,
      ...(stateSubdir ? { stateSubdir } : {}),
    })
  }

  /** renderStart: Rollup may write into this directory. */
  renderStart(dir: string): void {
    this.dirs.add(dir)
  }

  /** generateBundle (post, write only): the output is about to be written into `dir`. */
  willWrite(dir: string): void {
    if (this.failed) return
    this.dirs.add(dir)
    let group = this.groups.get(dir)
    if (group?.status === 'open') {
      group.announced += 1
      return
    }
    // A second write() into a directory this build already committed (JS API without `output` in
    // the options): recommit the earlier files too, or they would be deleted as stale.
    const earlier = group?.status === 'committed' ? group.files : undefined
    const declared = earlier ? 1 : (this.declared.get(dir) ?? 1)
    group = { dir, capture: this.capture(dir), declared, announced: 1, written: 0, status: 'open', files: new Map() }
    if (earlier) {
      for (const [rel, data] of earlier) {
        group.files.set(rel, data)
        group.capture.write(rel, data)
      }
    }
    this.groups.set(dir, group)
  }

  /** writeBundle, before `written`: the entry points of one output into `dir`, for the size report. */
  entries(dir: string, list: readonly EntryPoint[]): void {
    const group = this.groups.get(dir)
    if (group?.status === 'open') group.capture.entries(list)
  }

  /**
   * writeBundle: Rollup has written this output. Commits its directory once every output writing
   * there has been written; returns the report if this call committed.
   */
  async written(dir: string): Promise<BuildReport | undefined> {
    const group = this.groups.get(dir)
    if (!group || group.status !== 'open') return undefined
    group.written += 1
    if (group.written < Math.max(group.declared, group.announced)) return undefined
    group.status = 'committing'
    const report = await this.track(group.capture.commit())
    group.status = report.status === 'committed' ? 'committed' : 'aborted'
    this.reported.add(dir)
    return report
  }

  /** The first write the capture refused (e.g. EO_PATH_ESCAPE): why an output never finished. */
  writeError: unknown

  /** Whether some output directory is still waiting for outputs (one of them failed unseen). */
  get pending(): boolean {
    for (const group of this.groups.values()) if (group.status === 'open') return true
    return false
  }

  /** The build failed: nothing more is committed; every directory not committed yet reports rolled-back. */
  async fail(error: unknown): Promise<void> {
    this.failed = true
    const extra = this.instance.options.outDir ? [path.resolve(this.instance.options.outDir)] : []
    const dirs = new Set([...this.dirs, ...(this.dirs.size === 0 ? extra : [])])
    await Promise.all(
      [...dirs].map(async (dir) => {
        const group = this.groups.get(dir)
        if (this.reported.has(dir) || group?.status === 'committing') return
        this.reported.add(dir)
        if (group) group.status = 'aborted'
        await this.track((group?.capture ?? this.capture(dir)).abort(error))
      }),
    )
    await this.settled()
  }

  /** Resolves once every commit and abort started so far has finished (closeBundle waits for it). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inflight])
  }

  private track<T>(operation: Promise<T>): Promise<T> {
    this.inflight.add(operation)
    void operation.finally(() => this.inflight.delete(operation)).catch(() => {})
    return operation
  }
}
