/**
 * Hostile input (issue 6): output names that try to leave outDir, symlinks planted in outDir, in
 * the state dir and at the sibling staging paths, and file names that are markup.
 *
 * Every case works in a temp root holding the project (`app/`, with outDir `app/dist` and the
 * state dir `app/.eo-state`) and an `outside/` directory of victims. The WHOLE root is
 * snapshotted before and compared after, so "nothing outside outDir was created or changed" is
 * proven, not assumed; for a refused commit nothing at all changed, outDir and state dir included.
 *
 * Codes asserted are the documented ones (src/core/guard.ts, src/errors.ts): EO_PATH_ESCAPE,
 * EO_NAME_TOO_LONG for a segment over 255 or a path over 4096 UTF-8 bytes, EO_OUTDIR_INVALID
 * for an outDir that is itself a symlink the strategy does not manage.
 */
import { execFile, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { rspack, type Compiler as RspackCompiler, type Stats as RspackStats } from '@rspack/core'
import { rollup, type Plugin as RollupPlugin } from 'rollup'
import webpack from 'webpack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Strategy } from '../../src/core/transaction-options.js'
import { createTransaction } from '../../src/history/engine.js'
import { EmitOptimizerError, type EmitOptimizerErrorCode } from '../../src/errors.js'
import type { BuildReport } from '../../src/observe/types.js'
import { unplugin } from '../../src/adapters/unplugin.js'
import { createWriter } from '../../src/writer/writer.js'
import { requireBinary, skipReason } from '../support/binaries.js'
import { reportQueue } from '../support/bundler-app.js'
import { commitSet, outputSets } from '../support/outputs.js'
import { testSeed } from '../support/seeded.js'
import { diffTrees, expectedTree, filesOnly, snapshot, type Tree } from '../support/tree.js'

const SEED = testSeed(6)
const SETS = outputSets(SEED)
const STRATEGIES: Strategy[] = ['incremental', 'swap', 'symlink']
const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures')
const VICTIM = 'outside: must never change\n'

const temps: string[] = []
afterAll(() => temps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })))

interface World {
  root: string
  app: string
  outDir: string
  stateDir: string
  outside: string
}

function world(): World {
  // realpath: the guard compares real paths (os.tmpdir() is a symlink on macOS).
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'eo-hostile-')))
  temps.push(root)
  const app = path.join(root, 'app')
  const outside = path.join(root, 'outside')
  fs.mkdirSync(path.join(outside, 'deep'), { recursive: true })
  fs.mkdirSync(app)
  fs.writeFileSync(path.join(outside, 'victim.txt'), VICTIM)
  fs.writeFileSync(path.join(outside, 'deep', 'victim.js'), 'export const untouched = true\n')
  // A sibling of outDir, as every project has.
  fs.writeFileSync(path.join(app, 'package.json'), '{"name":"hostile-app"}\n')
  return { root, app, outDir: path.join(app, 'dist'), stateDir: path.join(app, '.eo-state'), outside }
}

const whole = (w: World): Tree => snapshot(w.root, { dirs: true })

/** The root without outDir, the state dir, outDir's owner marker beside it and `also` (relative to root): what a successful commit must not change. */
function outsideView(w: World, also: string[] = []): Tree {
  const skip = ['app/dist', 'app/.eo-state', 'app/.dist.eo-owner.json', ...also]
  return new Map([...whole(w)].filter(([rel]) => !skip.some((prefix) => rel === prefix || rel.startsWith(`${prefix}/`))))
}

/** Runs `run` and returns the EmitOptimizerError it throws or rejects with; fails if it succeeds. */
async function refusal(run: () => unknown): Promise<EmitOptimizerError> {
  let result: unknown
  try {
    result = await run()
  } catch (error) {
    if (error instanceof EmitOptimizerError) return error
    throw error
  }
  throw new Error(`expected a refusal, got ${JSON.stringify(result)}`)
}

// ---------------------------------------------------------------------------------------------
// The names. `@OUTSIDE@` is replaced by the world's outside directory (an absolute path there).
// `rollup`: 'own' when Rollup 4 refuses the fileName itself before we see it (absolute, starting
// with `./` or `..`, or resolving outside its output directory), 'ours' when Rollup would write
// it and our capture must refuse it, 'n/a' where Rollup gives it another meaning.

interface Hostile {
  label: string
  name: string
  code: EmitOptimizerErrorCode
  rollup: 'own' | 'ours' | 'n/a'
}

const longPath = `${Array.from({ length: 16 }, () => 'a'.repeat(255)).join('/')}/a` // 4097 bytes
const HOSTILE: Hostile[] = [
  { label: '../x', name: '../x', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: '../../outside/victim.txt (an existing file)', name: '../../outside/victim.txt', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: 'absolute path to a new file outside', name: '@OUTSIDE@/abs.txt', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: 'absolute path to an existing file outside', name: '@OUTSIDE@/victim.txt', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: 'a/../../x', name: 'a/../../x', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: 'a/./../../x', name: 'a/./../../x', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: 'a/b/../../.. (ends in ..)', name: 'a/b/../../..', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: 'a/.. (trailing ..)', name: 'a/..', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: '..', name: '..', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: '..\\x', name: '..\\x', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: 'C:\\x', name: 'C:\\x', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: 'C:/x', name: 'C:/x', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: '\\\\server\\share\\x', name: '\\\\server\\share\\x', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: 'NUL inside', name: 'a\u0000b', code: 'EO_PATH_ESCAPE', rollup: 'ours' },
  { label: 'NUL before ../', name: 'x\u0000/../../evil', code: 'EO_PATH_ESCAPE', rollup: 'own' },
  { label: 'newline', name: 'a\nb.js', code: 'EO_PATH_ESCAPE', rollup: 'ours' },
  { label: 'empty', name: '', code: 'EO_PATH_ESCAPE', rollup: 'n/a' },
  // Through Rollup the fs layer resolves `dist/assets/` to `dist/assets`: a plain name inside outDir.
  { label: 'trailing slash', name: 'assets/', code: 'EO_PATH_ESCAPE', rollup: 'n/a' },
  { label: 'fullwidth full stops \uff0e\uff0e/x', name: '\uff0e\uff0e/x', code: 'EO_PATH_ESCAPE', rollup: 'ours' },
  { label: 'one dot leaders \u2024\u2024/x', name: '\u2024\u2024/x', code: 'EO_PATH_ESCAPE', rollup: 'ours' },
  { label: 'two dot leader \u2025/x', name: 'a/\u2025/x', code: 'EO_PATH_ESCAPE', rollup: 'ours' },
  { label: 'small full stops \ufe52\ufe52/x', name: '\ufe52\ufe52/x', code: 'EO_PATH_ESCAPE', rollup: 'ours' },
  { label: 'division slashes a\u2215..\u2215x', name: 'a\u2215..\u2215x', code: 'EO_PATH_ESCAPE', rollup: 'ours' },
  { label: '256-byte segment', name: 'a'.repeat(256), code: 'EO_NAME_TOO_LONG', rollup: 'ours' },
  { label: '256-byte segment of 2-byte characters', name: `x/${'\u00e9'.repeat(128)}`, code: 'EO_NAME_TOO_LONG', rollup: 'ours' },
  { label: '4097-byte path', name: longPath, code: 'EO_NAME_TOO_LONG', rollup: 'ours' },
]

/**
 * Not escapes: names that only look suspicious. Written inside outDir, literally: the engine never
 * URL-decodes (`%2e%2e` is a directory named so), and `...`/`..x` are ordinary names.
 */
const HARMLESS = ['%2e%2e/x.js', '..%2f..%2fx.js', '.../x.js', '..x/y.js', 'a\u2024b.js', '\u00e9/\u65e5\u672c.js']
/** Rollup itself refuses any fileName starting with `..`. */
const HARMLESS_FOR_ROLLUP = HARMLESS.filter((name) => !name.startsWith('..'))

const nameIn = (row: Hostile, w: World): string => row.name.replace('@OUTSIDE@', w.outside)

function engineOptions(w: World, strategy: Strategy) {
  return { outDir: w.outDir, root: w.app, stateDir: w.stateDir, strategy, durability: 'none' as const }
}

// ---------------------------------------------------------------------------------------------

describe.each(STRATEGIES)('engine (%s): every hostile name is refused; the commit changes nothing', (strategy) => {
  let w: World
  beforeAll(async () => {
    w = world()
    await commitSet(SETS.a, engineOptions(w, strategy))
  })

  it.each(HOSTILE)('$label → $code', async (row) => {
    const name = nameIn(row, w)
    const before = whole(w)
    const tx = createTransaction(engineOptions(w, strategy))
    for (const file of SETS.a) tx.write(file.path, file.contents, file.mode === undefined ? {} : { mode: file.mode })
    for (const op of [() => tx.write(name, 'EVIL'), () => tx.delete(name), () => tx.edit(name, { start: 0, end: 0, content: 'EVIL' })]) {
      const error = await refusal(op)
      expect(error.code).toBe(row.code)
      expect(error.path).toBe(name)
    }
    // The refused calls left the transaction usable: it commits the previous output unchanged.
    const result = await tx.commit()
    expect(result.stats.written + result.stats.deleted).toBe(0)
    expect(diffTrees(whole(w), before)).toEqual([])
  })

  it('names that only look like escapes are written inside outDir, literally', async () => {
    const before = outsideView(w)
    const tx = createTransaction(engineOptions(w, strategy))
    for (const file of SETS.a) tx.write(file.path, file.contents, file.mode === undefined ? {} : { mode: file.mode })
    for (const name of HARMLESS) tx.write(name, `harmless ${name}`)
    const result = await tx.commit()
    expect(result.stats.written).toBe(HARMLESS.length)
    const out = filesOnly(snapshot(w.outDir))
    for (const name of HARMLESS) expect(out.has(name), name).toBe(true)
    expect(diffTrees(outsideView(w), before)).toEqual([])
    // Back to A: they are removed again as stale.
    expect((await commitSet(SETS.a, engineOptions(w, strategy))).stats.deleted).toBe(HARMLESS.length)
  })
})

describe('codegen writer: every hostile name is refused by every entry point', () => {
  let w: World
  let root: string
  let writer: ReturnType<typeof createWriter>
  beforeAll(async () => {
    w = world()
    root = path.join(w.app, 'generated')
    writer = createWriter({ root, stateDir: path.join(w.app, '.eo-writer-state') })
    await writer.write('index.ts', 'export const generated = true\n')
    await writer.transaction((tx) => tx.write('types/api.ts', 'export type Api = string\n'))
  })

  it.each(HOSTILE)('$label → $code', async (row) => {
    const name = nameIn(row, w)
    const before = whole(w)
    const ops: Array<() => unknown> = [
      () => writer.write(name, 'EVIL'),
      () => writer.edit(name, { start: 0, end: 0, content: 'EVIL' }),
      () => writer.read(name),
      () => writer.stream(name),
      () => writer.renderMany('EVIL {{ n }}', [{ n: 1 }], () => name),
      () => writer.transaction((tx) => tx.write(name, 'EVIL')),
      () => writer.transaction((tx) => tx.delete(name)),
    ]
    for (const op of ops) expect((await refusal(op)).code).toBe(row.code)
    await writer.flush()
    expect(diffTrees(whole(w), before)).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// Rollup: a plugin emits the hostile name with `this.emitFile({ type: 'asset', fileName })`.

function rollupApp(w: World): string {
  const src = path.join(w.app, 'src')
  fs.mkdirSync(src, { recursive: true })
  fs.writeFileSync(path.join(src, 'main.js'), `import('./lazy.js').then((m) => console.log(m.value))\n`)
  fs.writeFileSync(path.join(src, 'lazy.js'), 'export const value = 42\n')
  return path.join(src, 'main.js')
}

function emitting(fileNames: string[]): RollupPlugin {
  return {
    name: 'hostile-emitter',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'meta.json', source: '{"ok":true}\n' })
      for (const fileName of fileNames) this.emitFile({ type: 'asset', fileName, source: `EVIL ${fileName}` })
    },
  }
}

async function rollupBuild(w: World, input: string, fileNames: string[], report: false | { dir?: string }, reports: BuildReport[] = [], warnings?: string[]): Promise<void> {
  const bundle = await rollup({
    input,
    onwarn: (warning) => void warnings?.push(warning.message),
    plugins: [emitting(fileNames), unplugin.rollup({ summary: false, report, stateDir: w.stateDir, onReport: (r) => void reports.push(r) }) as RollupPlugin],
  })
  try {
    await bundle.write({ dir: w.outDir, format: 'es' })
  } finally {
    await bundle.close()
  }
}

describe('Rollup build through the plugin: a plugin emitting a hostile fileName fails the build', () => {
  let w: World
  let input: string
  beforeAll(async () => {
    w = world()
    input = rollupApp(w)
    await rollupBuild(w, input, [], false)
    expect(fs.readdirSync(w.outDir).sort()).toEqual(expect.arrayContaining(['main.js', 'meta.json']))
  })

  it.each(HOSTILE.filter((row) => row.rollup !== 'n/a'))('$label ($rollup check)', async (row) => {
    const before = whole(w)
    const reports: BuildReport[] = []
    const error = (await rollupBuild(w, input, [nameIn(row, w)], false, reports).then(
      () => undefined,
      (reason: unknown) => reason,
    )) as { code?: string; message?: string } | undefined
    expect(error, 'the build must fail').toBeDefined()
    if (row.rollup === 'ours') {
      expect(error!.code, error!.message).toBe(row.code)
      // The report names the refusal, not just "an output failed".
      expect(reports.map((r) => [r.status, (r.error as { code?: string } | undefined)?.code])).toEqual([['rolled-back', row.code]])
    }
    else expect(['PLUGIN_ERROR', 'FILE_NAME_OUTSIDE_OUTPUT_DIRECTORY'], error!.message).toContain(error!.code)
    expect(diffTrees(whole(w), before)).toEqual([])
  })

  it('names that only look like escapes are committed inside outDir', async () => {
    const before = outsideView(w)
    const reports: BuildReport[] = []
    await rollupBuild(w, input, HARMLESS_FOR_ROLLUP, false, reports)
    expect(reports.map((r) => r.status)).toEqual(['committed'])
    const out = filesOnly(snapshot(w.outDir))
    for (const name of HARMLESS_FOR_ROLLUP) expect(out.get(name), name).toBeDefined()
    expect(diffTrees(outsideView(w), before)).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// webpack and Rspack: `compilation.emitAsset('../evil.txt')` and writes through
// `compiler.outputFileSystem` outside output.path.

type AnyCompiler = webpack.Compiler | RspackCompiler

/** Emits `name` (content `content`) from processAssets, as any plugin may. */
function emitAsset(name: string, content = `EVIL ${name}`) {
  return {
    apply(compiler: AnyCompiler) {
      const { RawSource } = compiler.webpack.sources
      ;(compiler as webpack.Compiler).hooks.thisCompilation.tap('hostile', (compilation) => {
        compilation.hooks.processAssets.tap({ name: 'hostile', stage: 0 }, () => compilation.emitAsset(name, new RawSource(content)))
      })
    },
  }
}

/** Writes `file` through compiler.outputFileSystem in afterEmit (before ours commits). */
function writeThroughOutputFs(file: string) {
  return {
    apply(compiler: AnyCompiler) {
      ;(compiler as webpack.Compiler).hooks.afterEmit.tapAsync('hostile-direct', (_compilation, callback) => {
        ;(compiler.outputFileSystem as unknown as { writeFile(file: string, data: string, cb: (error?: Error | null) => void): void }).writeFile(file, 'EVIL direct', (error) => callback(error ?? undefined))
      })
    },
  }
}

interface Outcome {
  /** Fatal error or the compilation's errors, as text. */
  errors: string[]
  report: BuildReport
}

type Bundler = 'webpack' | 'rspack'

async function webpackLikeBuild(bundler: Bundler, w: World, plugins: unknown[], extra: Record<string, unknown> = {}, report: false | { dir: string } = false): Promise<Outcome> {
  const queue = reportQueue()
  const config = {
    mode: 'development' as const,
    context: w.app,
    entry: './src/index.js',
    devtool: false as const,
    output: { path: w.outDir, filename: '[name].[contenthash:8].js' },
    module: { rules: [{ test: /\.svg$/, type: 'asset/resource' }, ...(bundler === 'rspack' ? [{ test: /\.css$/, type: 'css/auto' }] : [])] },
    ...(bundler === 'webpack' ? { experiments: { css: true } } : {}),
    infrastructureLogging: { level: 'none' as const },
    ...extra,
    plugins: [...plugins, (bundler === 'webpack' ? unplugin.webpack : unplugin.rspack)({ summary: false, report, stateDir: w.stateDir, onReport: queue.onReport })],
  }
  const compiler = bundler === 'webpack' ? webpack(config as webpack.Configuration) : rspack(config as Parameters<typeof rspack>[0])
  const errors = await new Promise<string[]>((resolve) => {
    ;(compiler as webpack.Compiler).run((error, stats) => {
      compiler.close(() => resolve(error ? [`${(error as { code?: string }).code ?? ''} ${error.message}`] : (stats as webpack.Stats | RspackStats).compilation.errors.map((e) => e.message)))
    })
  })
  return { errors, report: await queue.next() }
}

function expectRefused(outcome: Outcome, what: string): void {
  expect(outcome.errors.some((message) => message.includes('EO_PATH_ESCAPE') && message.includes(`path escapes outDir: ${what}`)), outcome.errors.join('\n')).toBe(true)
  expect(outcome.report.status).toBe('rolled-back')
  expect((outcome.report.error as EmitOptimizerError | undefined)?.code).toBe('EO_PATH_ESCAPE')
}

describe.each<Bundler>(['webpack', 'rspack'])('%s build through the plugin: writes outside output.path are refused', (bundler) => {
  let w: World
  beforeAll(async () => {
    w = world()
    fs.cpSync(path.join(FIXTURES, 'webpack-rspack-app'), w.app, { recursive: true })
    const first = await webpackLikeBuild(bundler, w, [])
    expect(first.errors).toEqual([])
    expect(first.report.status).toBe('committed')
  })

  it.each(['../evil.txt', '../sub/evil.txt', 'a/../../evil.txt', '../../outside/victim.txt'])('compilation.emitAsset(%j): EO_PATH_ESCAPE, nothing written anywhere', async (name) => {
    const before = whole(w)
    expectRefused(await webpackLikeBuild(bundler, w, [emitAsset(name)]), JSON.stringify(path.posix.normalize(name)))
    expect(diffTrees(whole(w), before)).toEqual([])
  })

  it('an escaping asset whose target already holds the same bytes (skipped by compareBeforeEmit) still fails the build', async () => {
    fs.writeFileSync(path.join(w.app, 'same.txt'), 'EVIL same')
    const before = whole(w)
    expectRefused(await webpackLikeBuild(bundler, w, [emitAsset('../same.txt', 'EVIL same')]), '"../same.txt"')
    expect(diffTrees(whole(w), before)).toEqual([])
  })

  it('a plugin writing outside output.path through compiler.outputFileSystem: EO_PATH_ESCAPE', async () => {
    const before = whole(w)
    expectRefused(await webpackLikeBuild(bundler, w, [writeThroughOutputFs(path.join(w.outside, 'planted.txt'))]), '"../../outside/planted.txt"')
    expect(diffTrees(whole(w), before)).toEqual([])
  })

  it('a look-alike name inside output.path (\uff0e\uff0e/x) is refused by the capture', async () => {
    const before = whole(w)
    const outcome = await webpackLikeBuild(bundler, w, [emitAsset('\uff0e\uff0e/x.txt')])
    // The write fails inside the bundler's emit: a fatal error, whose code Rspack's wrapper drops.
    expect(outcome.errors.some((message) => message.includes('path escapes outDir: "\uff0e\uff0e/x.txt"')), outcome.errors.join('\n')).toBe(true)
    expect(outcome.report.status).toBe('rolled-back')
    expect((outcome.report.error as EmitOptimizerError | undefined)?.code).toBe('EO_PATH_ESCAPE')
    expect(diffTrees(whole(w), before)).toEqual([])
  })
})

describe('webpack records', () => {
  it('legitimate writes outside output.path still happen: webpack records, written after the commit', async () => {
    const w = world()
    fs.cpSync(path.join(FIXTURES, 'webpack-rspack-app'), w.app, { recursive: true })
    const records = path.join(w.app, 'records.json')
    const before = outsideView(w, ['app/records.json'])
    const outcome = await webpackLikeBuild('webpack', w, [], { recordsPath: records })
    expect(outcome.errors).toEqual([])
    expect(outcome.report.status).toBe('committed')
    expect(JSON.parse(fs.readFileSync(records, 'utf8'))).toHaveProperty('chunks')
    expect(diffTrees(outsideView(w, ['app/records.json']), before)).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// Symlinks in outDir.

describe.each(STRATEGIES)('symlinks in outDir (%s)', (strategy) => {
  it('outDir itself a symlink to a directory outside: EO_OUTDIR_INVALID, nothing changed', async () => {
    const w = world()
    await commitSet(SETS.a, engineOptions(w, strategy))
    fs.renameSync(w.outDir, path.join(w.app, 'moved-dist'))
    fs.symlinkSync(w.outside, w.outDir)
    const before = whole(w)
    expect((await refusal(() => commitSet(SETS.b, engineOptions(w, strategy)))).code).toBe('EO_OUTDIR_INVALID')
    expect(diffTrees(whole(w), before)).toEqual([])
  })

  it('a directory inside outDir that is a symlink leading outside: writes and edits under it are EO_PATH_ESCAPE', async () => {
    const w = world()
    await commitSet(SETS.a, engineOptions(w, strategy))
    fs.symlinkSync(w.outside, path.join(fs.realpathSync(w.outDir), 'linked'))
    const attempts: Array<[string, (tx: ReturnType<typeof createTransaction>) => void]> = [
      ['overwrite an outside file', (tx) => tx.write('linked/victim.txt', 'EVIL')],
      ['create a file outside', (tx) => tx.write('linked/deep/new.js', 'EVIL')],
      ['edit an outside file', (tx) => tx.edit('linked/victim.txt', { search: 'must', replace: 'EVIL' })],
      ...(strategy === 'incremental' ? [['delete an outside file', (tx) => tx.delete('linked/victim.txt')] as [string, (tx: ReturnType<typeof createTransaction>) => void]] : []),
    ]
    for (const [what, attempt] of attempts) {
      const before = whole(w)
      const tx = createTransaction(engineOptions(w, strategy))
      for (const file of SETS.b) tx.write(file.path, file.contents, file.mode === undefined ? {} : { mode: file.mode })
      attempt(tx)
      const error = await refusal(() => tx.commit())
      expect(error.code, what).toBe('EO_PATH_ESCAPE')
      expect(error.message, what).toContain('"linked" is a symlink to')
      expect(diffTrees(whole(w), before), what).toEqual([])
    }
  })
})

// ---------------------------------------------------------------------------------------------
// Symlinks planted where the engine creates its lock, journal, manifest and staging. Outcomes:
// a link at the lock, the temp link or a staging sibling is removed or replaced and the commit
// goes on (a lock that is a link counts as an unreadable one: taken over after its 2 s grace);
// a journal or manifest link is read (never written through): unparseable target → refused as
// corrupt, a dangling one or a valid manifest → the commit replaces the link; builds/ or history/
// as a link → refused (reports/ below: the report is skipped with a warning). Not covered: a link
// at the state dir itself, which the user chose. The state files' temp names are random.

interface Planted {
  label: string
  strategy: Strategy
  /** The planted link, relative to the world root. */
  at: (w: World) => string
  /** Where it points. */
  to: (w: World) => string
  /** Runs before planting (after the first commit). */
  prepare?: (w: World) => void
  expect: 'committed' | EmitOptimizerErrorCode
  /** Commit in a child process with a timeout: a regression here spins without yielding. */
  child?: true
  /** Backdate the link so the lock's grace period for unreadable locks is already over. */
  old?: true
}

const state = (file: string) => (w: World) => path.relative(w.root, path.join(w.stateDir, file))
const sibling = (suffix: string) => (w: World) => path.relative(w.root, path.join(w.app, `.dist.${suffix}`))
const victim = (w: World) => path.join(w.outside, 'victim.txt')

const PLANTED: Planted[] = [
  { label: '<stateDir>/lock → an outside file', strategy: 'incremental', at: state('lock'), to: victim, expect: 'committed', child: true, old: true },
  { label: '<stateDir>/lock → a missing outside file (dangling)', strategy: 'swap', at: state('lock'), to: (w) => path.join(w.outside, 'lock-target'), expect: 'committed', child: true },
  { label: '<stateDir>/journal.json → an outside file', strategy: 'incremental', at: state('journal.json'), to: victim, expect: 'EO_JOURNAL_CORRUPT' },
  { label: '<stateDir>/journal.json → a missing outside file (dangling)', strategy: 'symlink', at: state('journal.json'), to: (w) => path.join(w.outside, 'journal.json'), expect: 'committed' },
  {
    label: '<stateDir>/manifest.json → an outside copy of the manifest',
    strategy: 'incremental',
    prepare: (w) => fs.renameSync(path.join(w.stateDir, 'manifest.json'), path.join(w.outside, 'manifest-copy.json')),
    at: state('manifest.json'),
    to: (w) => path.join(w.outside, 'manifest-copy.json'),
    expect: 'committed',
  },
  { label: '<stateDir>/manifest.json → an outside file', strategy: 'swap', prepare: (w) => fs.rmSync(path.join(w.stateDir, 'manifest.json')), at: state('manifest.json'), to: victim, expect: 'EO_MANIFEST_CORRUPT' },
  { label: "outDir's lock .dist.eo-lock → an outside file", strategy: 'incremental', at: sibling('eo-lock'), to: victim, expect: 'committed', child: true, old: true },
  {
    label: "outDir's owner marker .dist.eo-owner.json → an outside file",
    strategy: 'swap',
    prepare: (w) => fs.rmSync(path.join(w.app, '.dist.eo-owner.json')),
    at: sibling('eo-owner.json'),
    to: victim,
    expect: 'committed',
  },
  { label: 'swap staging .dist.eo-next → an outside directory', strategy: 'swap', at: sibling('eo-next'), to: (w) => w.outside, expect: 'committed' },
  { label: 'swap backup .dist.eo-prev → an outside directory', strategy: 'swap', at: sibling('eo-prev'), to: (w) => w.outside, expect: 'committed' },
  { label: 'symlink temp link .dist.eo-link → an outside directory', strategy: 'symlink', at: sibling('eo-link'), to: (w) => w.outside, expect: 'committed' },
  { label: 'symlink temp link .dist.eo-link → an outside file', strategy: 'symlink', at: sibling('eo-link'), to: victim, expect: 'committed' },
  {
    label: '<stateDir>/builds → an outside directory',
    strategy: 'symlink',
    prepare: (w) => fs.renameSync(path.join(w.stateDir, 'builds'), path.join(w.root, 'moved-builds')),
    at: state('builds'),
    to: (w) => w.outside,
    expect: 'EO_PATH_ESCAPE',
  },
  {
    label: '<stateDir>/history → an outside directory',
    strategy: 'incremental',
    prepare: (w) => fs.renameSync(path.join(w.stateDir, 'history'), path.join(w.root, 'moved-history')),
    at: state('history'),
    to: (w) => w.outside,
    expect: 'EO_PATH_ESCAPE',
  },
]

function commitInChild(w: World, strategy: Strategy): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(FIXTURES, 'hostile-commit.mts'), w.outDir, w.app, w.stateDir, strategy, 'b', String(SEED)], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`hostile-commit.mts failed or hung (killed: ${error.killed}): ${stderr}`))
      else resolve(stdout.trim())
    })
  })
}

describe('symlinks planted where the engine creates its files: nothing outside is followed', () => {
  it.each(PLANTED)('$label ($strategy) → $expect', async (row) => {
    const w = world()
    await commitSet(SETS.a, engineOptions(w, row.strategy))
    row.prepare?.(w)
    const at = path.join(w.root, row.at(w))
    const target = row.to(w)
    fs.symlinkSync(target, at)
    if (row.old) fs.lutimesSync(at, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
    const before = whole(w)
    const targetExisted = fs.existsSync(target)
    const outsideBefore = outsideView(w, [row.at(w)])

    let outcome: string
    if (row.child) outcome = await commitInChild(w, row.strategy)
    else outcome = await commitSet(SETS.b, engineOptions(w, row.strategy)).then(
      (result) => `COMMITTED ${result.stats.written} ${result.stats.deleted}`,
      (error: unknown) => {
        if (error instanceof EmitOptimizerError) return `REFUSED ${error.code}`
        throw error
      },
    )

    // Whatever the outcome: everything outside outDir and the state dir, the link's target
    // included (all targets are under outside/), is as it was.
    expect(diffTrees(outsideView(w, [row.at(w)]), outsideBefore)).toEqual([])
    expect(fs.existsSync(target), target).toBe(targetExisted)
    if (row.expect === 'committed') {
      expect(outcome).toMatch(/^COMMITTED /)
      expect(diffTrees(filesOnly(snapshot(w.outDir)), expectedTree(SETS.b))).toEqual([])
      // The link was replaced or removed, not written through.
      const left = fs.lstatSync(at, { throwIfNoEntry: false })
      expect(left?.isSymbolicLink() ?? false, `${row.at(w)} is still the planted link`).toBe(false)
    } else {
      expect(outcome).toBe(`REFUSED ${row.expect}`)
      // Only outDir's owner marker may differ: it keeps naming the state dir whose journal is unresolved.
      const marker = 'app/.dist.eo-owner.json'
      const unmarked = (tree: Tree): Tree => new Map([...tree].filter(([rel]) => rel !== marker))
      expect(diffTrees(unmarked(whole(w)), unmarked(before))).toEqual([])
    }
  })
})

describe('symlinks planted where a build writes its report', () => {
  it('the default reports/ directory → an outside directory: the build commits, the report is skipped with a warning, outside untouched', async () => {
    const w = world()
    const input = rollupApp(w)
    fs.mkdirSync(w.stateDir, { recursive: true })
    fs.symlinkSync(w.outside, path.join(w.stateDir, 'reports'))
    const before = outsideView(w)
    const reports: BuildReport[] = []
    const warnings: string[] = []
    await rollupBuild(w, input, [], {}, reports, warnings)
    expect(reports.map((r) => r.status)).toEqual(['committed'])
    expect(warnings.join('\n')).toMatch(/could not write the build report: .*reports directory is a symlink/)
    expect(diffTrees(outsideView(w), before)).toEqual([])
  })

  it('latest.html, latest.json and history.ndjson → outside files: the reports replace the links, the targets stay', async () => {
    const w = world()
    const input = rollupApp(w)
    const reportDir = path.join(w.stateDir, 'reports')
    fs.mkdirSync(reportDir, { recursive: true })
    fs.writeFileSync(path.join(w.outside, 'history.ndjson'), '{"not":"a history entry"}\n')
    const planted = { 'latest.html': victim(w), 'latest.json': path.join(w.outside, 'deep', 'victim.js'), 'history.ndjson': path.join(w.outside, 'history.ndjson') }
    for (const [name, target] of Object.entries(planted)) fs.symlinkSync(target, path.join(reportDir, name))
    const before = outsideView(w)
    const reports: BuildReport[] = []
    await rollupBuild(w, input, [], { dir: reportDir }, reports)
    expect(reports.map((r) => r.status)).toEqual(['committed'])
    expect(diffTrees(outsideView(w), before)).toEqual([])
    for (const name of Object.keys(planted)) expect(fs.lstatSync(path.join(reportDir, name)).isFile(), name).toBe(true)
    expect(JSON.parse(fs.readFileSync(path.join(reportDir, 'latest.json'), 'utf8'))).toMatchObject({ status: 'committed' })
    expect(fs.readFileSync(path.join(reportDir, 'history.ndjson'), 'utf8').trimEnd().split('\n')).toHaveLength(1)
  })
})

// ---------------------------------------------------------------------------------------------
// Markup in file names: the HTML report shows it as text.

const CHROMIUM = '/usr/bin/chromium'

function chromiumDom(file: string): string {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-chromium-'))
  try {
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--dump-dom', `file://${file}`]
    return execFileSync(CHROMIUM, args, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 })
  } finally {
    fs.rmSync(profile, { recursive: true, force: true })
  }
}

/** How a DOM serializer writes a text node. */
const asText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

// Each would set data-pwned on <body> if the report let it run. The `</script>` one has slashes,
// so it is a path of three directories and a file, every segment a legal name.
const MARKUP = ['<img src=x onerror=document.body.dataset.pwned=1>.js', '</script><script>document.body.dataset.pwned=2</script>.js', `"'><svg onload=document.body.dataset.pwned=3>.css`]
// Outside output.path, so it reaches the report through the error message.
const MARKUP_REFUSED = '../<img src=x onerror=document.body.dataset.pwned=4>.js'

function expectInert(dom: string): void {
  expect(dom).toMatch(/<tr|<p class="meta">/)
  expect(dom).not.toMatch(/<img/i)
  expect(dom).not.toMatch(/<script/i)
  expect(dom).not.toMatch(/<svg[^>]*onload/i)
  expect(dom).not.toContain('data-pwned')
}

describe('file names carrying HTML: the report shows them as text', () => {
  const ok = requireBinary('chromium', CHROMIUM)
  it.skipIf(!ok)(`a committed Rollup build and a refused webpack build, rendered in headless Chromium: names are text, nothing injected runs${skipReason('chromium', ok)}`, async () => {
    const w = world()
    const input = rollupApp(w)
    const dir = path.join(w.app, 'report')
    const reports: BuildReport[] = []
    await rollupBuild(w, input, MARKUP, { dir }, reports)
    expect(reports.map((r) => r.status)).toEqual(['committed'])
    for (const name of MARKUP) expect(fs.readFileSync(path.join(w.outDir, name), 'utf8')).toBe(`EVIL ${name}`)
    const committed = chromiumDom(path.join(dir, 'latest.html'))
    expectInert(committed)
    const rows = [...committed.matchAll(/<tr class="file">([\s\S]*?)<\/tr>/g)].map((match) => match[1]!)
    for (const name of MARKUP) expect(rows.some((row) => row.includes(`<code>${asText(name)}</code>`)), name).toBe(true)

    // Rollup's report of a failed write does not carry our error; webpack's does.
    const wp = world()
    fs.cpSync(path.join(FIXTURES, 'webpack-rspack-app'), wp.app, { recursive: true })
    const wpDir = path.join(wp.app, 'report')
    const outcome = await webpackLikeBuild('webpack', wp, [emitAsset(MARKUP_REFUSED)], {}, { dir: wpDir })
    expectRefused(outcome, JSON.stringify(MARKUP_REFUSED))
    const refused = chromiumDom(path.join(wpDir, 'latest.html'))
    expectInert(refused)
    expect(refused).toContain(asText(JSON.stringify(MARKUP_REFUSED)))
  })
})
