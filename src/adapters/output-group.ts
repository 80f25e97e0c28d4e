import path from 'node:path'
import type { OutputCapture } from '../plugin/capture.js'
import type { EntryPoint } from '../observe/size/entry-point.js'

/**
 * One transaction for several compilers that write into one directory tree: the compilers of a
 * webpack/Rspack MultiCompiler whose output paths are the same or nested, or every environment
 * of an Rsbuild build.
 *
 * Committing each compiler on its own cannot work there: every commit publishes the whole of its
 * outDir, so the second compiler's commit deletes the first one's files (they are not in its
 * output). A group keeps each member's latest complete output in memory and commits the union
 * once no member is building: a member's deletes (webpack's CleanPlugin, Rspack's `output.clean`)
 * apply only to paths no member wrote. In watch mode a member that did not rebuild contributes
 * its previous output. While any member's latest build failed, a round is rolled back: the
 * directory keeps the previous output whole.
 *
 * Who settles a round: `auto` groups (MultiCompiler) settle when the last busy member finishes;
 * a framework (Rsbuild) calls `settle()` from its own end-of-build hook.
 */

const inside = (dir: string, parent: string): boolean => dir === parent || dir.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep)

/** For each absolute dir, the outermost of `dirs` that contains it (itself when none does): the outDir of its group. */
export function groupRoots(dirs: readonly string[]): string[] {
  return dirs.map((dir) => dirs.reduce((best, other) => (inside(dir, other) && other.length < best.length ? other : best), dir))
}

/** Where one compiler's build goes: its own transaction, or its slot in a group's. */
export interface BuildSink {
  write(file: string, contents: string | Uint8Array, mode?: number): void
  has(file: string): boolean
  delete(file: string): void
  /** Entry points of the build (paths relative to its output path), for the size report. */
  entries(list: readonly EntryPoint[]): void
  /** The build emitted. Resolves with what its commit reported, or undefined when another build reports the group's commit. */
  commit(): Promise<{ error?: unknown } | undefined>
  abort(error: unknown): Promise<unknown>
}

export interface Captured {
  contents: Uint8Array | string
  mode: number | undefined
}

export interface GroupSettings {
  /** The directory the group commits: the outermost of its members' output paths. */
  outDir: string
  /** `auto`: commit when the last busy member finishes; `manual`: on `settle()`. */
  mode: 'auto' | 'manual'
  /** Opens the transaction of one round; `target` names the members (summary line, report). */
  start(target: string): OutputCapture
}

/** A member's complete build: its files, deletes and entry points, by path in the group's outDir. */
interface Built {
  files: Map<string, Captured>
  deletes: Set<string>
  entries: EntryPoint[]
}

export class GroupMember {
  readonly name: string
  /** The member's path inside the group's outDir, posix, '' for the group's own dir. */
  readonly prefix: string
  /** Building now, or expected to build in the current round. */
  busy = false
  /** Finished since the group last settled. */
  fresh = false
  /** The latest finished build: its complete output, or why it failed. */
  result: Built | { error: unknown } | undefined
  private pending: Built | undefined
  private readonly group: OutputGroup

  constructor(group: OutputGroup, name: string, prefix: string) {
    this.group = group
    this.name = name
    this.prefix = prefix
  }

  private key(file: string): string {
    return this.prefix === '' ? file : `${this.prefix}/${file}`
  }

  /** A build of this member starts (or is queued): the group waits for it. */
  expect(): void {
    this.busy = true
    this.fresh = false
  }

  /** The sink of the build starting now. Paths are relative to the member's own output path. */
  open(): BuildSink {
    this.expect()
    const build: Built = { files: new Map(), deletes: new Set(), entries: [] }
    this.pending = build
    const current = (): boolean => this.pending === build
    return {
      write: (file, contents, mode) => {
        build.files.set(this.key(file), { contents, mode })
        build.deletes.delete(this.key(file))
      },
      has: (file) => build.files.has(this.key(file)),
      delete: (file) => {
        build.files.delete(this.key(file))
        build.deletes.add(this.key(file))
      },
      entries: (list) => {
        for (const entry of list) build.entries.push({ name: entry.name, files: entry.files.map((file) => this.key(file)) })
      },
      commit: async () => (current() ? this.finish(build) : undefined),
      abort: async (error) => (current() ? this.finish({ error }) : undefined),
    }
  }

  /** The member's build ended without a sink (a fatal error before emitting). */
  fail(error: unknown): Promise<{ error?: unknown } | undefined> {
    return this.busy ? this.finish({ error }) : Promise.resolve(undefined)
  }

  private finish(result: NonNullable<GroupMember['result']>): Promise<{ error?: unknown } | undefined> {
    this.pending = undefined
    this.busy = false
    this.fresh = true
    this.result = result
    return this.group.memberFinished()
  }
}

export class OutputGroup {
  readonly members: GroupMember[] = []
  /** Files of every round that members may overwrite (a framework's copied public dir), by path in outDir. */
  private base = new Map<string, Captured>()
  private readonly settings: GroupSettings
  /** Serialises rounds: a round commits after the previous one's commit ended. */
  private last: Promise<unknown> = Promise.resolve()

  constructor(settings: GroupSettings) {
    this.settings = settings
  }

  get outDir(): string {
    return this.settings.outDir
  }

  /** Adds a member whose output path is `outDir` (inside or equal to the group's). */
  add(name: string, outDir: string): GroupMember {
    const prefix = path.relative(this.settings.outDir, outDir).split(path.sep).join('/')
    const member = new GroupMember(this, name, prefix)
    this.members.push(member)
    return member
  }

  /** Sets the files every round holds unless a member writes the same path. */
  setBase(files: Map<string, Captured>): void {
    this.base = files
  }

  /** Every member is expected to build (a `run()` of the whole MultiCompiler, an Rsbuild build). */
  expectAll(): void {
    for (const member of this.members) if (!member.fresh) member.expect()
  }

  /** Whether a round can settle: nobody building, every member built once, someone finished. */
  ready(): boolean {
    return this.members.every((member) => !member.busy && member.result !== undefined) && this.members.some((member) => member.fresh)
  }

  /** Called by a member that finished; in `auto` mode the last one commits the round. */
  memberFinished(): Promise<{ error?: unknown } | undefined> {
    if (this.settings.mode !== 'auto' || !this.ready()) return Promise.resolve(undefined)
    return this.settle()
  }

  /**
   * Commits the round (or rolls it back when a member's latest build failed, or `failure` is
   * given). `deletes` are extra paths (relative to the group's outDir) to delete unless a member
   * wrote them: a framework's own emptying, applied at commit.
   */
  settle(options: { failure?: unknown; deletes?: Iterable<string> } = {}): Promise<{ error?: unknown } | undefined> {
    const members = this.members
    const fresh = members.filter((member) => member.fresh)
    const failed = members.find((member) => member.result !== undefined && 'error' in member.result)
    for (const member of members) member.fresh = false
    const target = fresh.length > 0 ? fresh : members
    const label = target.map((member) => member.name).join('+')
    const round = async (): Promise<{ error?: unknown }> => {
      const capture = this.settings.start(label)
      const error = options.failure ?? (failed?.result && 'error' in failed.result ? failed.result.error : undefined)
      const incomplete = members.some((member) => member.result === undefined)
      if (error !== undefined || incomplete)
        return capture.abort(
          error ??
            new Error(
              `not every compiler of the group finished (${members
                .filter((m) => m.result === undefined)
                .map((m) => m.name)
                .join(', ')})`,
            ),
        )
      const written = new Set<string>()
      try {
        for (const [file, { contents, mode }] of this.base) {
          if (members.some((member) => (member.result as { files: Map<string, Captured> }).files.has(file))) continue
          capture.write(file, contents, mode)
          written.add(file)
        }
        for (const member of members) {
          const result = member.result as Built
          for (const [file, { contents, mode }] of result.files) {
            capture.write(file, contents, mode)
            written.add(file)
          }
          capture.entries(result.entries)
        }
      } catch (caught) {
        return capture.abort(caught)
      }
      const deletes = new Set([...fresh.flatMap((member) => [...(member.result as { deletes: Set<string> }).deletes]), ...(options.deletes ?? [])])
      for (const file of deletes) if (!written.has(file)) capture.delete(file)
      return capture.commit()
    }
    const next = this.last.then(round, round)
    this.last = next
    return next
  }
}
