import path from 'node:path'
import { startCapture, type PluginLogger } from '../plugin/capture.js'
import type { PluginInstance } from '../plugin/instance.js'
import { groupRoots, OutputGroup, type BuildSink, type GroupMember } from './output-group.js'
import type { BuildRoute, WebpackLikeCompiler, WebpackLikeSpec } from './webpack-like-hooks.js'

/**
 * Finds the siblings of a compiler in a webpack/Rspack MultiCompiler, so that compilers writing
 * into one directory tree commit together (src/adapters/output-group.ts).
 *
 * A child compiler holds no reference to its MultiCompiler, but the MultiCompiler's constructor
 * taps every child's `done` hook as `MultiCompiler`, synchronously, right after all of them were
 * created (webpack's `createMultiCompiler`, Rspack's `rspack([...])`). An interceptor on `done`
 * sees those taps arrive: the children tapped in one run, with no compiler created in between,
 * belong to one MultiCompiler. Among them, those whose output paths are equal or nested form a
 * group committed to the outermost path; a compiler alone in its path commits on its own, as
 * before, its summary line naming it.
 *
 * When a round is complete (each member of a group finished the build it was expected to run):
 * - `run()` of the MultiCompiler (the `beforeRun` of any member): every member is expected,
 *   also those that start later (`dependencies`, `parallelism`);
 * - watch mode: a member is expected from its `invalid`/`watchRun`, and so are members of its
 *   group that (transitively) list it in `dependencies`; the others contribute their last output.
 */

const MULTI_TAP = 'MultiCompiler'

interface Child {
  compiler: WebpackLikeCompiler & { name?: string; options?: { dependencies?: string[] } }
  instance: PluginInstance
  spec: WebpackLikeSpec
  logger: PluginLogger
  multi: Multi | undefined
}

interface Multi {
  children: Child[]
  /** Built at the first build of any child, when every output path is final. */
  groups?: Map<Child, { group: OutputGroup; member: GroupMember } | undefined>
}

/** The MultiCompiler whose constructor is tapping its children now; any new compiler ends it. */
let forming: Multi | undefined

const nameOf = (child: Child, index: number): string => child.compiler.name || `compiler ${index}`

function outDirOf(child: Child): string {
  return child.instance.options.outDir ? path.resolve(child.compiler.context, child.instance.options.outDir) : path.resolve(child.compiler.outputPath)
}

/** `mobile+desktop → dist`: what a commit holds, relative to the compiler's context. */
export function targetLabel(names: string, outDir: string, context: string): string {
  const rel = path.relative(context, outDir)
  return `${names} → ${rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? outDir : rel.split(path.sep).join('/')}`
}

function buildGroups(multi: Multi): NonNullable<Multi['groups']> {
  const rootOf = groupRoots(multi.children.map(outDirOf))
  const groups: NonNullable<Multi['groups']> = new Map()
  const byRoot = new Map<string, Child[]>()
  multi.children.forEach((child, i) => byRoot.set(rootOf[i]!, [...(byRoot.get(rootOf[i]!) ?? []), child]))
  for (const [root, children] of byRoot) {
    if (children.length === 1) {
      groups.set(children[0]!, undefined)
      continue
    }
    const lead = children[0]!
    const group = new OutputGroup({
      outDir: root,
      mode: 'auto',
      start: (names) =>
        startCapture(lead.instance, {
          bundler: lead.spec.bundler,
          outDir: root,
          root: lead.compiler.context,
          bundlerCleans: false,
          logger: lead.logger,
          target: targetLabel(names, root, lead.compiler.context),
        }),
    })
    for (const child of children) groups.set(child, { group, member: group.add(nameOf(child, multi.children.indexOf(child)), outDirOf(child)) })
  }
  return groups
}

/** Names of the group's members that depend on `name`, transitively. */
function dependents(children: Child[], name: string | undefined): Child[] {
  const found: Child[] = []
  const queue = name ? [name] : []
  while (queue.length > 0) {
    const current = queue.shift()!
    for (const child of children) {
      if (!found.includes(child) && child.compiler.options?.dependencies?.includes(current)) {
        found.push(child)
        if (child.compiler.name) queue.push(child.compiler.name)
      }
    }
  }
  return found
}

/**
 * The route of a compiler's builds: through its group when it shares an output path with
 * siblings of its MultiCompiler, else a transaction of its own (named in the summary line when
 * the compiler is part of a MultiCompiler).
 */
export function multiCompilerRoute(compiler: WebpackLikeCompiler, instance: PluginInstance, spec: WebpackLikeSpec, logger: PluginLogger): BuildRoute {
  const options = instance.options
  const child: Child = { compiler, instance, spec, logger, multi: undefined }
  forming = undefined
  const done = compiler.hooks.done as unknown as { intercept?(interceptor: { register?(tap: { name: string }): { name: string } }): void }
  done.intercept?.({
    register(tap) {
      if (tap.name === MULTI_TAP && child.multi === undefined) {
        if (!forming) {
          const multi: Multi = { children: [] }
          forming = multi
          queueMicrotask(() => {
            if (forming === multi) forming = undefined
          })
        }
        child.multi = forming
        forming.children.push(child)
      }
      return tap
    },
  })

  const slot = (): { group: OutputGroup; member: GroupMember; children: Child[] } | undefined => {
    const multi = child.multi
    if (!multi) return undefined
    multi.groups ??= buildGroups(multi)
    const entry = multi.groups.get(child)
    if (!entry) return undefined
    return { ...entry, children: multi.children.filter((other) => multi.groups!.get(other)?.group === entry.group) }
  }
  const hooks = compiler.hooks as unknown as Record<'beforeRun' | 'watchRun', { tap(name: string, fn: () => void): void }> & {
    invalid: { tap(name: string, fn: () => void): void }
    failed: { tap(name: string, fn: (error: Error) => void): void }
    shutdown: { tapPromise(name: string, fn: () => Promise<void>): void }
  }
  const NAME = 'unplugin-emit-optimizer'
  hooks.beforeRun.tap(NAME, () => slot()?.group.expectAll())
  const expectSelf = (): void => {
    const entry = slot()
    if (!entry) return
    entry.member.expect()
    for (const other of dependents(entry.children, child.compiler.name)) child.multi?.groups?.get(other)?.member.expect()
  }
  hooks.watchRun.tap(NAME, expectSelf)
  hooks.invalid.tap(NAME, expectSelf)
  hooks.failed.tap(NAME, (error) => void slot()?.member.fail(error))
  // A fatal error stops the MultiCompiler: members still expected then never run. The round ends rolled back.
  hooks.shutdown.tapPromise(NAME, async () => {
    await slot()?.member.fail(new Error(`compiler "${child.compiler.name ?? ''}" did not run: the MultiCompiler stopped before it`))
  })

  return {
    open(root: string): BuildSink {
      const entry = slot()
      if (entry) return entry.member.open()
      const multi = child.multi
      const target = multi
        ? targetLabel(nameOf(child, multi.children.indexOf(child)), options.outDir ? path.resolve(compiler.context, options.outDir) : root, compiler.context)
        : undefined
      return startCapture(instance, {
        bundler: spec.bundler,
        outDir: root,
        root: compiler.context,
        bundlerCleans: false,
        logger,
        ...(target ? { target } : {}),
      })
    },
  }
}
