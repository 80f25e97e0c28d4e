/**
 * The fault matrix seen by a user: real Rollup builds of test/fixtures/rollup-app through the
 * plugin, with one `node:fs` call failing (the engine's default fs calls `node:fs` at call time,
 * so a spy on it fails the real call; the files underneath stay real). For each phase and errno
 * the build must fail with the documented code, the build report must say `rolled-back`, and
 * outDir must be byte-identical to the previous build.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { rollup, type OutputOptions, type Plugin } from 'rollup'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { EmitOptimizerErrorCode } from '../../src/errors.js'
import type { BuildReport } from '../../src/observe/types.js'
import { unplugin } from '../../src/adapters/unplugin.js'
import { injectedError, type FaultCode } from '../support/faulty-fs.js'
import { cleanup, tempApp } from '../support/bundler-app.js'
import { diffTrees, listLitter, snapshot } from '../support/tree.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/rollup-app', import.meta.url))
const temps: string[] = []
afterEach(() => {
  vi.restoreAllMocks()
  cleanup(temps)
})

const CODES: Record<Exclude<FaultCode, 'EMFILE'>, EmitOptimizerErrorCode> = {
  ENOSPC: 'EO_NO_SPACE',
  EIO: 'EO_IO',
  EACCES: 'EO_PERMISSION',
  EPERM: 'EO_PERMISSION',
  EROFS: 'EO_PERMISSION',
  EXDEV: 'EO_CROSS_DEVICE',
  ENAMETOOLONG: 'EO_NAME_TOO_LONG',
}

/**
 * A phase: the sync call to fail, and which of its calls (by destination or path). Staged files and
 * objects are created with `openSync` for writing (then written and `fstat`ed through the descriptor).
 */
const PHASES = [
  { phase: 'stage: writing a staged file', method: 'openSync', match: /\/tx-[^/]+\/s\// },
  { phase: 'history: writing into the object store', method: 'openSync', match: /\/history\/objects\// },
  { phase: 'apply: renaming into outDir', method: 'renameSync', match: /\/dist\/[^/]+$/ },
  { phase: 'delete: moving a stale file aside', method: 'renameSync', match: /\/tx-[^/]+\/b\/d\d+$/ },
] as const

type SyncFs = Record<(typeof PHASES)[number]['method'], (...args: unknown[]) => unknown>

const app = (): string => tempApp('rollup-app', temps)

async function build(dir: string): Promise<{ report: BuildReport; error: unknown }> {
  let report: BuildReport | undefined
  const output: OutputOptions = { dir: path.join(dir, 'dist'), format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs' }
  const plugin = unplugin.rollup({ summary: false, onReport: (r) => void (report = r) }) as Plugin
  // The fixture imports CSS: as a string module here (the CSS asset is not what this test is about).
  const css: Plugin = { name: 'css-as-string', transform: (code, id) => (id.endsWith('.css') ? { code: `export default ${JSON.stringify(code)}`, map: null } : null) }
  const bundle = await rollup({ input: { main: path.join(dir, 'src/main.js'), cli: path.join(dir, 'src/cli.js') }, plugins: [css, plugin], logLevel: 'silent' })
  let error: unknown
  try {
    await bundle.write(output)
  } catch (caught) {
    error = caught
  } finally {
    await bundle.close()
  }
  if (!report) throw new Error('the plugin gave no report')
  return { report, error }
}

/** Changes every chunk and drops cli.js's entry, so B writes, replaces and deletes. */
function editToB(dir: string): void {
  fs.appendFileSync(path.join(dir, 'src/shared.js'), '\nexport const version = 2\n')
  fs.writeFileSync(path.join(dir, 'src/cli.js'), "import { version } from './shared.js'\nconsole.log(version)\n")
}

describe('a failing fs call during the commit of a real Rollup build', () => {
  const rows = PHASES.flatMap((p) => (Object.keys(CODES) as Array<keyof typeof CODES>).map((errno) => ({ ...p, errno })))

  it.each(rows)('$phase fails with $errno → build fails with the documented code, report rolled-back, outDir as before', async ({ method, match, errno }) => {
    const dir = app()
    expect((await build(dir)).report.status).toBe('committed')
    // A second file set in dist for the delete phase: a chunk that B no longer produces.
    fs.writeFileSync(path.join(dir, 'src/extra.js'), 'export const extra = 1\n')
    fs.appendFileSync(path.join(dir, 'src/main.js'), "\nimport('./extra.js')\n")
    expect((await build(dir)).report.status).toBe('committed')
    const before = snapshot(path.join(dir, 'dist'), { dirs: true })
    editToB(dir)
    fs.writeFileSync(path.join(dir, 'src/main.js'), fs.readFileSync(path.join(FIXTURE, 'src/main.js')))

    const real = (fs as unknown as SyncFs)[method]
    let failed = 0
    vi.spyOn(fs as unknown as SyncFs, method).mockImplementation((...args: unknown[]) => {
      const target = String(method === 'openSync' ? args[0] : args[1])
      const creates = method !== 'openSync' || /[wa]/.test(String(args[1]))
      if (failed === 0 && creates && match.test(target)) {
        failed++
        throw injectedError(errno, method, target)
      }
      return real.apply(fs, args)
    })
    const { report, error } = await build(dir)
    vi.restoreAllMocks()

    expect(failed, 'the fault was injected').toBe(1)
    expect(error, 'the build fails').toBeDefined()
    expect(report.status).toBe('rolled-back')
    expect(report.error).toMatchObject({ code: CODES[errno] })
    expect(diffTrees(snapshot(path.join(dir, 'dist'), { dirs: true }), before)).toEqual([])
    expect(listLitter(dir)).toEqual([])
    // The next build with a healthy fs commits B.
    expect((await build(dir)).report.status).toBe('committed')
  })
})
