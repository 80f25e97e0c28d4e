import fs from 'node:fs/promises'
import path from 'node:path'
import { groupRoots, OutputGroup, type Captured, type GroupMember } from '../adapters/output-group.js'
import { targetLabel } from '../adapters/multi-compiler.js'
import { applyWebpackLike, type WebpackLikeCompiler } from '../adapters/webpack-like-hooks.js'
import { describeError, startCapture, type PluginLogger } from '../plugin/capture.js'
import { createPluginInstance } from '../plugin/instance.js'
import type { Options } from '../plugin/plugin-options.js'
import { readPublicDir } from './public-dir.js'

/**
 * Rsbuild: the whole `rsbuild build` is one transaction.
 *
 * Rsbuild runs one Rspack compiler per environment (several: a MultiCompiler) and, before the
 * first compile, empties each environment's dist path itself (`output.cleanDistPath`, in its
 * `rsbuild:clean-output` plugin's `onBeforeBuild`), outside Rspack's `output.clean`. So:
 * - every environment's compiler captures its writes through the output file system overlay
 *   (src/adapters/webpack-like.ts) into one group per dist tree (src/adapters/output-group.ts);
 * - `cleanDistPath` is turned off per environment (`modifyEnvironmentConfig`) and applied at
 *   commit instead: the files it would have deleted (listed at `onBeforeBuild`, honouring
 *   `keep`) are deleted with the commit, unless the build wrote them or something rewrote them
 *   during the build;
 * - the public dir, which Rsbuild copies into each web environment's dist path with `fs.cp` at
 *   the start of a build (`server.publicDir.copyOnBuild`), is copied into the transaction
 *   instead (copyOnBuild turned off, the same files read at `onBeforeBuild`), so it too is
 *   written only when it changed, and never by a build that fails;
 * - the commit runs in `onAfterBuild` with `order: 'post'`, after Rsbuild's and other plugins'
 *   `onAfterBuild` work. A build with errors is rolled back there; a commit that fails throws,
 *   failing the build. When an earlier `onAfterBuild` hook throws, ours never runs: the round is
 *   rolled back when the compiler closes (`shutdown`), and Rsbuild fails with that hook's error.
 * - only `rsbuild build` (`context.action`): the dev server keeps its output in memory, and
 *   `inspect` shows the user's config as it is;
 * - logs go through `api.logger` (Rsbuild sets Rspack's `infrastructureLogging.level` to
 *   'error', which would hide them).
 */

/** The part of Rsbuild's plugin API this entry uses (`RsbuildPluginAPI`). */
export interface RsbuildApiLike {
  context: { rootPath: string; action?: 'build' | 'dev' | 'preview' }
  logger: { info(...args: unknown[]): void; warn(...args: unknown[]): void }
  modifyRsbuildConfig(
    fn: (config: { server?: { publicDir?: PublicDirOption }; environments?: Record<string, { server?: { publicDir?: PublicDirOption } }> }) => unknown,
  ): void
  modifyEnvironmentConfig(fn: (config: { output: { cleanDistPath?: unknown } }, utils: { name: string }) => unknown): void
  modifyRspackConfig(fn: (config: { plugins?: unknown[] }, utils: { environment: { name: string; distPath: string } }) => unknown): void
  onBeforeBuild(fn: (params: { isFirstCompile: boolean; environments: Record<string, EnvironmentContextLike> }) => unknown): void
  onAfterBuild(hook: {
    order: 'post'
    handler: (params: { stats?: { hasErrors(): boolean; toJson?(options: object): { errors?: Array<{ message: string }> } } }) => unknown
  }): void
  onCloseBuild(fn: () => unknown): void
}

export interface RsbuildPluginLike {
  name: string
  setup(api: RsbuildApiLike): void
}

type CleanDistPath = boolean | 'auto' | { enable?: boolean | 'auto'; keep?: RegExp[] }
type PublicDirEntry = { name?: string; copyOnBuild?: boolean | 'auto'; ignore?: string[]; watch?: boolean }
type PublicDirOption = false | PublicDirEntry | PublicDirEntry[]

interface EnvironmentContextLike {
  name: string
  distPath: string
  config: { output: { target?: string }; server: { publicDir: Array<{ name: string; ignore?: string[] }> } }
}

interface Environment {
  name: string
  distPath: string
  clean: CleanDistPath | undefined
}

const NAME = 'unplugin-emit-optimizer'

const within = (dir: string, parent: string): boolean => {
  const rel = path.relative(parent, dir)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}

/** What Rsbuild's cleanDistPath would empty for one environment in a build ('auto': a dist path inside the root). */
function cleaning(env: Environment, rootPath: string): { keep: RegExp[] } | undefined {
  const option = env.clean ?? 'auto'
  const { enable, keep } = typeof option === 'object' ? { enable: option.enable ?? 'auto', keep: option.keep ?? [] } : { enable: option, keep: [] }
  if (enable === true || (enable === 'auto' && within(env.distPath, rootPath))) return { keep }
  return undefined
}

/** Files under `dir` (as Rsbuild's emptyDir walks it: `keep` matches a posix full path and spares it), with their stamps. */
async function listFiles(dir: string, keep: RegExp[], into: Map<string, string>): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => [])
  await Promise.all(
    entries.map(async (entry) => {
      const full = path.join(dir, entry.name)
      if (keep.some((regex) => regex.test(full.split(path.sep).join('/')))) return
      if (entry.isDirectory()) return listFiles(full, keep, into)
      const stats = await fs.lstat(full).catch(() => undefined)
      if (stats) into.set(full, `${stats.ino}:${stats.mtimeMs}:${stats.size}`)
    }),
  )
}

/** The files among `listed` still as they were listed (nobody wrote them during the build). */
async function unchangedSince(listed: Map<string, string>): Promise<string[]> {
  const files = await Promise.all(
    [...listed].map(async ([file, stamp]) => {
      const stats = await fs.lstat(file).catch(() => undefined)
      return stats && `${stats.ino}:${stats.mtimeMs}:${stats.size}` === stamp ? file : undefined
    }),
  )
  return files.filter((file): file is string => file !== undefined)
}

function firstError(stats: { toJson?(options: object): { errors?: Array<{ message: string }> } } | undefined): Error {
  const message = stats?.toJson?.({ all: false, errors: true }).errors?.[0]?.message
  return new Error(message ?? 'the build has errors')
}

export function rsbuildPlugin(raw?: Options): RsbuildPluginLike {
  const instance = createPluginInstance(raw)
  return {
    name: NAME,
    setup(api) {
      const logger: PluginLogger = { info: (message) => api.logger.info(message), warn: (message) => api.logger.warn(message) }
      const environments = new Map<string, Environment>()
      let groups: Map<string, { group: OutputGroup; member: GroupMember }> | undefined
      /** Files cleanDistPath would have deleted at this build's start, by absolute path. */
      let cleanList = new Map<string, string>()

      const groupsOf = (): NonNullable<typeof groups> => {
        if (groups) return groups
        groups = new Map()
        const envs = [...environments.values()]
        const roots = groupRoots(envs.map((env) => env.distPath))
        const byRoot = new Map<string, OutputGroup>()
        envs.forEach((env, i) => {
          const root = roots[i]!
          let group = byRoot.get(root)
          if (!group) {
            group = new OutputGroup({
              outDir: root,
              mode: 'manual',
              start: (names) =>
                startCapture(instance, {
                  bundler: 'rspack',
                  outDir: root,
                  root: api.context.rootPath,
                  bundlerCleans: false,
                  logger,
                  target: targetLabel(names, root, api.context.rootPath),
                }),
            })
            byRoot.set(root, group)
          }
          groups!.set(env.name, { group, member: group.add(env.name, env.distPath) })
        })
        return groups
      }
      const allGroups = (): OutputGroup[] => [...new Set([...groupsOf().values()].map((entry) => entry.group))]

      /** Settles every group with a build in flight; returns the first commit error. */
      const settle = async (failure: unknown): Promise<unknown> => {
        let error: unknown
        const clean = failure === undefined ? await unchangedSince(cleanList) : []
        cleanList = new Map()
        for (const group of allGroups()) {
          if (!group.members.some((member) => member.fresh)) continue
          const deletes = clean.filter((file) => within(file, group.outDir)).map((file) => path.relative(group.outDir, file).split(path.sep).join('/'))
          const report = await group.settle({ ...(failure === undefined ? {} : { failure }), deletes })
          error ??= failure === undefined ? report?.error : undefined
        }
        return error
      }

      /** Each public dir's own `copyOnBuild`, by absolute path (the config sees `false`). */
      const copyOnBuild = new Map<string, boolean | 'auto'>()
      const building = (): boolean => api.context.action === 'build'
      const takeOver = (value: PublicDirOption | undefined): PublicDirOption => {
        if (value === false) return false
        return (value === undefined ? [{}] : Array.isArray(value) ? value : [value]).map((entry) => {
          const name = path.resolve(api.context.rootPath, entry.name ?? 'public')
          copyOnBuild.set(name, entry.copyOnBuild ?? 'auto')
          return { ...entry, name, copyOnBuild: false }
        })
      }
      api.modifyRsbuildConfig((config) => {
        if (!building()) return config
        config.server = { ...config.server, publicDir: takeOver(config.server?.publicDir) }
        for (const env of Object.values(config.environments ?? {}))
          if (env.server?.publicDir !== undefined) env.server.publicDir = takeOver(env.server.publicDir)
        return config
      })

      /** Rsbuild's public dir copy (first compile), as base files of the groups. */
      const copyPublic = async (contexts: EnvironmentContextLike[]): Promise<void> => {
        const base = new Map<OutputGroup, Map<string, Captured>>()
        const byDir = new Map<string, { ignore: string[]; distPaths: string[] }>()
        for (const context of contexts) {
          for (const { name, ignore } of context.config.server.publicDir) {
            const copy = copyOnBuild.get(name) ?? 'auto'
            if (copy === false || (copy === 'auto' && context.config.output.target === 'node')) continue
            const entry = byDir.get(name) ?? { ignore: ignore ?? [], distPaths: [] }
            entry.distPaths.push(path.resolve(context.distPath))
            byDir.set(name, entry)
          }
        }
        for (const [dir, { ignore, distPaths }] of byDir) {
          const exists = await fs.stat(dir).then(
            (stats) => stats.isDirectory(),
            () => false,
          )
          if (!exists) continue
          const files = await readPublicDir(dir, ignore)
          // As Rsbuild's dedupeNestedPaths: a dist path inside another gets no copy of its own.
          const targets = [...new Set(distPaths)].filter((dist, _, all) => !all.some((other) => within(dist, other)))
          for (const target of targets) {
            const group = allGroups().find((candidate) => target === candidate.outDir || within(target, candidate.outDir))
            if (!group) continue
            const into = base.get(group) ?? new Map()
            const prefix = path.relative(group.outDir, target).split(path.sep).join('/')
            for (const [rel, file] of files) into.set(prefix === '' ? rel : `${prefix}/${rel}`, file)
            base.set(group, into)
          }
        }
        for (const [group, files] of base) group.setBase(files)
      }

      api.modifyEnvironmentConfig((config, { name }) => {
        if (!building()) return config
        const env = environments.get(name)
        environments.set(name, { name, distPath: env?.distPath ?? '', clean: config.output.cleanDistPath as CleanDistPath | undefined })
        // Applied at commit instead (see the top comment).
        config.output.cleanDistPath = false
        return config
      })

      api.modifyRspackConfig((config, { environment }) => {
        if (!building()) return config
        const env = environments.get(environment.name)
        environments.set(environment.name, { name: environment.name, distPath: path.resolve(environment.distPath), clean: env?.clean })
        groups = undefined
        const plugin = {
          name: NAME,
          apply(
            compiler: WebpackLikeCompiler & {
              rspack: { WebpackError: new (message: string) => Error }
              hooks: { shutdown: { tapPromise(name: string, fn: () => Promise<void>): void } }
            },
          ) {
            applyWebpackLike(
              compiler,
              instance,
              { bundler: 'rspack', createError: (message) => new compiler.rspack.WebpackError(message) },
              { open: () => groupsOf().get(environment.name)!.member.open(), logger },
            )
            // An earlier onAfterBuild hook threw, so ours did not run: roll the round back.
            compiler.hooks.shutdown.tapPromise(NAME, async () => {
              await settle(new Error('the build failed after bundling (an onAfterBuild hook threw); the output was not committed'))
            })
          },
        }
        config.plugins = [...(config.plugins ?? []), plugin]
        return config
      })

      api.onBeforeBuild(async ({ isFirstCompile, environments: contexts }) => {
        if (!building()) return
        // Rsbuild empties the dist paths before the first compile only (also in watch mode).
        if (!isFirstCompile) return
        await copyPublic(Object.values(contexts))
        const seen = new Set<string>()
        for (const context of Object.values(contexts)) {
          const env = environments.get(context.name)
          const distPath = path.resolve(context.distPath)
          const clean = env && cleaning({ ...env, distPath }, api.context.rootPath)
          if (!clean || seen.has(distPath)) continue
          seen.add(distPath)
          await listFiles(distPath, clean.keep, cleanList)
        }
      })

      api.onAfterBuild({
        order: 'post',
        handler: async ({ stats }) => {
          if (!building()) return
          const error = await settle(stats?.hasErrors() ? firstError(stats) : undefined)
          if (error !== undefined) throw error instanceof Error ? error : new Error(describeError(error))
        },
      })

      api.onCloseBuild(async () => {
        if (building()) await settle(new Error('the build was closed before it finished; the output was not committed'))
      })
    },
  }
}
