import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffTrees, listLitter, snapshot } from './support/tree.js'

const repo = path.resolve(import.meta.dirname, '..')
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown>; dependencies: Record<string, string>; bin: Record<string, string> }
let scratch: string
let tarball: string
const BUNDLERS = ['vite', 'rollup', 'rolldown', 'webpack', 'webpack-cli', '@rspack/core', '@rspack/cli', 'esbuild']
const EXAMPLES = ['vite-app', 'rollup-lib', 'rolldown-app', 'webpack-app', 'rspack-app', 'esbuild-app']

// Installs the packed tarball the way a user gets it, without the network: extracted into a scratch
// node_modules, its dependencies linked from this checkout's node_modules.
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-pack-'))
  // Build first so the tarball holds this checkout's code; --ignore-scripts keeps build logs out of the JSON.
  execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: 'ignore' })
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  tarball = path.join(scratch, (JSON.parse(out) as Array<{ filename: string }>)[0]!.filename)
  const installed = path.join(scratch, 'node_modules', pkg.name)
  fs.mkdirSync(installed, { recursive: true })
  execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'])
  // The bundlers the examples build with come from this checkout, as a user's own install would.
  for (const dep of [...Object.keys(pkg.dependencies), ...BUNDLERS]) {
    const link = path.join(scratch, 'node_modules', dep)
    fs.mkdirSync(path.dirname(link), { recursive: true })
    fs.symlinkSync(path.join(repo, 'node_modules', dep), link)
  }
  fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', type: 'module', private: true }))
}, 180_000)

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true })
})

describe('the packed package', () => {
  it('ships dist with type declarations and no sources or tests', () => {
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean)
    expect(listing).toContain('package/dist/index.js')
    expect(listing).toContain('package/dist/index.d.ts')
    expect(listing.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false)
  })

  it.each(Object.keys(pkg.exports).filter((key) => key !== './package.json'))('export %s imports from the tarball', (key) => {
    const specifier = key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`
    const script = `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()))`
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: scratch, encoding: 'utf8' })
    expect(result.stderr).toBe('')
    const names = JSON.parse(result.stdout) as string[]
    if (key === '.') expect(names).toEqual(expect.arrayContaining(['createTransaction', 'recover', 'verify', 'status', 'EmitOptimizerError']))
    else expect(names).toContain('default')
  })

  it('the root export commits a transaction from the installed copy', () => {
    const script = `import { createTransaction } from ${JSON.stringify(pkg.name)}
const tx = createTransaction({ outDir: 'out', root: process.cwd() })
tx.write('a.txt', 'packed')
const r = await tx.commit()
console.log(r.status, r.stats.written)`
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: scratch, encoding: 'utf8' })
    expect(result.stdout.trim()).toBe('committed 1')
    expect(fs.readFileSync(path.join(scratch, 'out', 'a.txt'), 'utf8')).toBe('packed')
  })

  it('installs a working emit-optimizer bin', () => {
    const bin = path.join(scratch, 'node_modules', pkg.name, pkg.bin['emit-optimizer']!)
    const result = spawnSync(process.execPath, [bin, '--version'], { cwd: scratch, encoding: 'utf8' })
    expect(result.status).toBe(0)
    expect(result.stdout.trim()).toContain(JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).version)
  })
})

/** A copy of `examples/<name>` in the scratch dir (as `<copy>`), and its `npm run build` as a function. */
function exampleCopy(name: string, copy = name): { dir: string; build: () => SpawnSyncReturns<string> } {
  const dir = path.join(scratch, 'examples', copy)
  fs.cpSync(path.join(repo, 'examples', name), dir, { recursive: true, filter: (src) => !/[/\\](node_modules|dist)$/.test(src) })
  const script = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts: { build: string } }).scripts.build
  // The scripts reach the bundler CLIs through ../../node_modules; from the scratch copy that is this checkout's.
  const command = script.replaceAll('../../node_modules/', `${path.join(repo, 'node_modules')}/`)
  return { dir, build: () => spawnSync(command, { cwd: dir, shell: true, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } }) }
}

/** The installed `emit-optimizer` bin, run in `cwd`. */
function cli(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [path.join(scratch, 'node_modules', pkg.name, pkg.bin['emit-optimizer']!), ...args], { cwd, encoding: 'utf8' })
}

describe('the examples, built against the packed package', () => {
  it.each(EXAMPLES)('%s builds, then rebuilds writing nothing', (name) => {
    const { dir, build } = exampleCopy(name)
    const first = build()
    const firstOutput = `${first.stdout}${first.stderr}`
    expect(first.status, firstOutput).toBe(0)
    expect(firstOutput).toMatch(/emit-optimizer: [1-9]\d* written .* committed/)
    const files = fs.readdirSync(path.join(dir, 'dist'), { recursive: true })
    expect(files.length).toBeGreaterThan(2)
    const second = build()
    const secondOutput = `${second.stdout}${second.stderr}`
    expect(second.status, secondOutput).toBe(0)
    expect(secondOutput).toMatch(/emit-optimizer: 0 written · \d+ unchanged · 0 deleted .* committed/)
    // Each build leaves its reports in the state dir: the latest JSON and HTML and one history line each.
    const stateRoot = path.join(dir, 'node_modules', '.cache', 'emit-optimizer')
    const reports = fs.readdirSync(stateRoot).map((state) => path.join(stateRoot, state, 'reports')).filter((reportDir) => fs.existsSync(path.join(reportDir, 'latest.json')))
    expect(reports.length).toBeGreaterThan(0)
    for (const reportDir of reports) {
      expect(JSON.parse(fs.readFileSync(path.join(reportDir, 'latest.json'), 'utf8'))).toMatchObject({ schemaVersion: 1, status: 'committed' })
      expect(fs.readFileSync(path.join(reportDir, 'latest.html'), 'utf8')).toContain('<svg')
      expect(fs.readFileSync(path.join(reportDir, 'history.ndjson'), 'utf8').trim().split('\n')).toHaveLength(2)
    }
  })
})

describe('build history and rollback on the examples, through the installed bin', () => {
  // The edit changes the entry chunk (and so the HTML/asset names that hash it) and adds a module.
  const EDITS: Record<string, { file: string; append: string }> = {
    'vite-app': { file: 'src/main.js', append: "\nconsole.info('history test: second build')\n" },
    'webpack-app': { file: 'src/index.js', append: "\nconsole.info('history test: second build')\n" },
  }
  it.each(Object.keys(EDITS))('%s: two builds are two versions; rollback restores the first exactly, verify --deep agrees, rollback latest returns', (name) => {
    const { dir, build } = exampleCopy(name, `${name}-history`)
    const out = path.join(dir, 'dist')
    expect(build().status).toBe(0)
    const first = snapshot(out)
    fs.appendFileSync(path.join(dir, EDITS[name]!.file), EDITS[name]!.append)
    expect(build().status).toBe(0)
    const second = snapshot(out)
    expect(diffTrees(second, first).length).toBeGreaterThan(0)

    const list = cli(dir, 'history', 'list', '--out', 'dist', '--json')
    expect(list.status, list.stderr).toBe(0)
    const view = JSON.parse(list.stdout) as { current: string; versions: Array<{ id: string; bundler: string; files: number }> }
    expect(view.versions).toHaveLength(2)
    expect(view.versions.map((v) => v.bundler)).toEqual([name.replace('-app', ''), name.replace('-app', '')])
    expect(view.current).toBe(view.versions[1]!.id)
    expect(view.versions.map((v) => v.files)).toEqual([first.size, second.size])

    const diff = cli(dir, 'history', 'diff', view.versions[0]!.id, view.versions[1]!.id, '--out', 'dist', '--json')
    expect(diff.status, diff.stderr).toBe(0)
    const changes = JSON.parse(diff.stdout) as { added: Array<{ path: string }>; removed: Array<{ path: string }>; changed: Array<{ path: string }> }
    const touched = [...changes.added, ...changes.removed, ...changes.changed].map((f) => f.path).sort()
    const differing = [...new Set([...first.keys(), ...second.keys()])].filter((p) => JSON.stringify(first.get(p)) !== JSON.stringify(second.get(p))).sort()
    expect(touched).toEqual(differing)

    const rolled = cli(dir, 'rollback', '--out', 'dist')
    expect(rolled.status, rolled.stderr).toBe(0)
    expect(rolled.stdout).toContain(`to version ${view.versions[0]!.id}`)
    expect(diffTrees(snapshot(out), first)).toEqual([])
    const verified = cli(dir, 'verify', '--deep', '--out', 'dist')
    expect(verified.status, verified.stdout + verified.stderr).toBe(0)
    const after = JSON.parse(cli(dir, 'history', 'list', '--out', 'dist', '--json').stdout) as { current: string; versions: unknown[] }
    expect(after).toMatchObject({ current: view.versions[0]!.id })
    expect(after.versions).toHaveLength(2)

    expect(cli(dir, 'rollback', 'latest', '--out', 'dist').status).toBe(0)
    expect(diffTrees(snapshot(out), second)).toEqual([])
    expect(listLitter(dir)).toEqual([])
  })
})
