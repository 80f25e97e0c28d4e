/**
 * Compatibility with the real official Rsbuild react-ts starter (create-rsbuild's published
 * `template-react-ts`, dependencies from the npm registry): `rsbuild build` natively and through
 * `unplugin-emit-optimizer/rsbuild`, whole processes.
 */
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fileStamps } from '../support/bundler-app.js'
import { installPackage } from '../support/crash-apps.js'
import { install, type Installed } from '../support/frameworks/install.js'
import { createProject, ensureBuilt } from '../support/frameworks/project.js'
import { latestReport } from '../support/frameworks/report.js'
import { start, type RunResult } from '../support/frameworks/run.js'
import { RSBUILD_STARTER, rsbuildBuild, withEntry } from '../support/frameworks/starters.js'
import { diffTrees, snapshot } from '../support/tree.js'

let installed: Installed
let pkg = ''
const apps: string[] = []
beforeAll(async () => {
  installed = await install(RSBUILD_STARTER)
  await ensureBuilt('rsbuild')
  pkg = installPackage()
  apps.push(path.dirname(path.dirname(pkg)))
}, 600_000)
afterAll(() => apps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })))

function app(entry: boolean): { dir: string; dist: string } {
  const dir = createProject(installed, 'rsbuild', { from: installed.template, pkg })
  apps.push(dir)
  if (entry) withEntry(dir)
  return { dir, dist: path.join(dir, 'dist') }
}

function built(result: RunResult): RunResult {
  expect(result.code, result.output).toBe(0)
  return result
}

const APP_TSX = path.join('src', 'App.tsx')
const edit = (dir: string, file: string, change: (text: string) => string): void => fs.writeFileSync(path.join(dir, file), change(fs.readFileSync(path.join(dir, file), 'utf8')))

describe('Rsbuild react-ts starter through unplugin-emit-optimizer/rsbuild', () => {
  it('builds exactly the native files and bytes, logs through Rsbuild, and a no-change rebuild touches no file', () => {
    const native = app(false)
    built(rsbuildBuild(native.dir))
    const expected = snapshot(native.dist)
    expect(expected.size).toBe(6)

    const ours = app(true)
    const first = built(rsbuildBuild(ours.dir))
    expect(first.output).toMatch(/emit-optimizer \(web → dist\): 6 written · 0 unchanged · 0 deleted .* committed/)
    expect(diffTrees(snapshot(ours.dist), expected)).toEqual([])
    const stamps = fileStamps(ours.dist)

    const again = built(rsbuildBuild(ours.dir))
    expect(again.output).toMatch(/emit-optimizer \(web → dist\): 0 written · 6 unchanged · 0 deleted .* committed/)
    expect(fileStamps(ours.dist)).toEqual(stamps)
    expect(diffTrees(snapshot(ours.dist), expected)).toEqual([])
    expect(latestReport(ours.dir)).toMatchObject({ status: 'committed', files: { written: 0, unchanged: 6, total: 6 } })
  })

  it('one changed module writes only the files whose bytes changed (and deletes the stale ones)', () => {
    const ours = app(true)
    built(rsbuildBuild(ours.dir))
    const before = snapshot(ours.dist)
    const stamps = fileStamps(ours.dist)
    const change = (text: string): string => text.replace('Start building amazing things with Rsbuild.', 'Start building amazing things with Rsbuild, transactionally.')
    edit(ours.dir, APP_TSX, change)
    built(rsbuildBuild(ours.dir))

    const native = app(false)
    edit(native.dir, APP_TSX, change)
    built(rsbuildBuild(native.dir))
    const after = snapshot(ours.dist)
    expect(diffTrees(after, snapshot(native.dist))).toEqual([])
    const changed = [...after.keys()].filter((file) => JSON.stringify(before.get(file)) !== JSON.stringify(after.get(file))).sort()
    expect(changed.length).toBeGreaterThan(0)
    const report = latestReport(ours.dir)
    expect(report.status).toBe('committed')
    expect(report.changed.filter((file) => file.status === 'written').map((file) => file.path).sort()).toEqual(changed)
    expect(report.changed.filter((file) => file.status === 'deleted').map((file) => file.path).sort()).toEqual([...before.keys()].filter((file) => !after.has(file)).sort())
    const restamped = fileStamps(ours.dist)
    for (const [file, stamp] of restamped) if (!changed.includes(file)) expect(stamp, file).toBe(stamps.get(file))
  })

  describe('a failed build keeps the previous output byte for byte and fails with the original error', () => {
    function previousThenFailing(extraPlugins: string, breakIt: (dir: string) => void, env: NodeJS.ProcessEnv = {}) {
      const dir = createProject(installed, 'rsbuild', { from: installed.template, pkg })
      apps.push(dir)
      withEntry(dir, extraPlugins)
      const dist = path.join(dir, 'dist')
      built(rsbuildBuild(dir))
      const before = snapshot(dist)
      const stamps = fileStamps(dist)
      breakIt(dir)
      const failed = rsbuildBuild(dir, env)
      expect(failed.code, failed.output).not.toBe(0)
      expect(diffTrees(snapshot(dist), before)).toEqual([])
      expect(fileStamps(dist)).toEqual(stamps)
      expect(latestReport(dir)).toMatchObject({ status: 'rolled-back', files: { total: before.size } })
      expect(failed.output).toMatch(/emit-optimizer \(web → dist\): .*rolled-back/)
      return failed
    }

    it('in bundling (a syntax error)', () => {
      const failed = previousThenFailing('', (dir) => edit(dir, APP_TSX, (text) => `${text}\nconst broken = ;\n`))
      expect(failed.output).toMatch(/Syntax Error: Expression expected/)
    })

    it('in a post-build plugin hook (an Rsbuild plugin throwing in onAfterBuild)', () => {
      const thrower = "{ name: 'post-build-thrower', setup(api) { api.onAfterBuild(() => { if (process.env.EO_THROW_AFTER_BUILD) throw new Error('post-build hook exploded'); }); } }, "
      // The change would be committed if the failure did not stop it.
      const failed = previousThenFailing(thrower, (dir) => edit(dir, APP_TSX, (text) => text.replace('Rsbuild with React', 'Rsbuild with React, changed')), { EO_THROW_AFTER_BUILD: '1' })
      expect(failed.output).toMatch(/post-build hook exploded/)
    })
  })

  it('cleanDistPath takes effect at commit: a stray file from before goes with the commit, not before the build', () => {
    const ours = app(true)
    fs.mkdirSync(ours.dist)
    fs.writeFileSync(path.join(ours.dist, 'stray.txt'), 'from an older build')
    edit(ours.dir, APP_TSX, (text) => `${text}\nconst broken = ;\n`)
    expect(rsbuildBuild(ours.dir).code).not.toBe(0)
    // Rsbuild alone would have emptied dist before failing.
    expect(fs.readdirSync(ours.dist)).toEqual(['stray.txt'])
    edit(ours.dir, APP_TSX, (text) => text.replace('\nconst broken = ;\n', ''))
    built(rsbuildBuild(ours.dir))
    expect(fs.existsSync(path.join(ours.dist, 'stray.txt'))).toBe(false)
    const native = app(false)
    built(rsbuildBuild(native.dir))
    expect(diffTrees(snapshot(ours.dist), snapshot(native.dist))).toEqual([])
  })

  describe('web + node environments (an Rspack MultiCompiler, dist and dist/server)', () => {
    const SERVER = "import { renderToString } from 'react-dom/server';\nimport App from './App';\n\nexport const render = () => renderToString(<App />);\n"
    const ENVIRONMENTS = "environments: { web: {}, node: { source: { entry: { index: './src/server.tsx' } }, output: { target: 'node', distPath: { root: 'dist/server' } } } },\n  plugins:"
    function twoEnvs(entry: boolean): { dir: string; dist: string } {
      const made = app(entry)
      fs.writeFileSync(path.join(made.dir, 'src', 'server.tsx'), SERVER)
      edit(made.dir, 'rsbuild.config.ts', (text) => text.replace('plugins:', ENVIRONMENTS))
      return made
    }

    it('commits both environments as one transaction, equal to native; a failure in one keeps all of dist', () => {
      const native = twoEnvs(false)
      built(rsbuildBuild(native.dir))
      const expected = snapshot(native.dist)
      expect([...expected.keys()].filter((file) => file.startsWith('server/')).length).toBeGreaterThan(0)

      const ours = twoEnvs(true)
      const first = built(rsbuildBuild(ours.dir))
      expect(first.output).toMatch(/emit-optimizer \(web\+node → dist\): \d+ written .* committed/)
      expect(first.output.match(/emit-optimizer \(/g)).toHaveLength(1)
      expect(diffTrees(snapshot(ours.dist), expected)).toEqual([])
      const stamps = fileStamps(ours.dist)
      built(rsbuildBuild(ours.dir))
      expect(fileStamps(ours.dist)).toEqual(stamps)

      edit(ours.dir, path.join('src', 'server.tsx'), (text) => `${text}\nconst broken = ;\n`)
      const failed = rsbuildBuild(ours.dir)
      expect(failed.code).not.toBe(0)
      expect(failed.output).toMatch(/Syntax Error/)
      expect(diffTrees(snapshot(ours.dist), expected)).toEqual([])
      expect(fileStamps(ours.dist)).toEqual(stamps)
    })
  })

  it('rsbuild build --watch: each rebuild is one transaction; the public files and unchanged chunks stay untouched', async () => {
    const ours = app(true)
    const watch = start(ours.dir, [path.join(ours.dir, 'node_modules', '@rsbuild', 'core', 'bin', 'rsbuild.js'), 'build', '--watch'])
    const summary = /emit-optimizer \(web → dist\): [^\n]*/
    try {
      await watch.waitFor(summary, 1)
      const stamps = fileStamps(ours.dist)
      edit(ours.dir, APP_TSX, (text) => text.replace('Rsbuild with React', 'Rsbuild with React, watched'))
      const output = await watch.waitFor(summary, 2)
      expect(output.match(new RegExp(summary.source, 'g'))![1]).toMatch(/[1-9]\d* written .* committed$/)
      const after = fileStamps(ours.dist)
      expect(after.size).toBe(6)
      // The public file and the React vendor chunk do not change: same inode and mtime.
      for (const file of [...after.keys()].filter((name) => name === 'favicon.png' || name.includes('lib-react'))) expect(after.get(file), file).toBe(stamps.get(file))
      expect(fs.readFileSync(path.join(ours.dist, 'static', 'js', [...after.keys()].find((name) => /static\/js\/index\./.test(name))!.split('/').pop()!), 'utf8')).toContain('watched')

      const good = snapshot(ours.dist)
      edit(ours.dir, APP_TSX, (text) => `${text}\nconst broken = ;\n`)
      const failed = await watch.waitFor(summary, 3)
      expect(failed.match(new RegExp(summary.source, 'g'))![2]).toMatch(/rolled-back/)
      expect(diffTrees(snapshot(ours.dist), good)).toEqual([])
    } finally {
      await watch.stop()
    }
  })
})

describe('the plain Rspack plugin (unplugin-emit-optimizer/rspack) inside Rsbuild', () => {
  it('steps aside with one warning naming unplugin-emit-optimizer/rsbuild; the build succeeds with the native output', () => {
    const native = app(false)
    built(rsbuildBuild(native.dir))
    const expected = snapshot(native.dist)

    const ours = app(false)
    // Where an Rspack plugin goes in Rsbuild: `tools.rspack`.
    edit(ours.dir, 'rsbuild.config.ts', (text) =>
      `import emitOptimizer from 'unplugin-emit-optimizer/rspack';\n${text.replace('plugins: [pluginReact()],', 'plugins: [pluginReact()],\n  tools: { rspack: { plugins: [emitOptimizer()] } },')}`,
    )
    expect(fs.readFileSync(path.join(ours.dir, 'rsbuild.config.ts'), 'utf8')).toContain('tools: { rspack')
    const result = built(rsbuildBuild(ours.dir))
    expect(result.output.match(/\[emit-optimizer\] Rsbuild detected/g), result.output).toHaveLength(1)
    expect(result.output).toContain('Use unplugin-emit-optimizer/rsbuild in rsbuild.config')
    expect(diffTrees(snapshot(ours.dist), expected)).toEqual([])
    // Stepped aside: no transaction, so no state dir.
    expect(fs.existsSync(path.join(ours.dir, 'node_modules', '.cache', 'emit-optimizer'))).toBe(false)
  })
})
