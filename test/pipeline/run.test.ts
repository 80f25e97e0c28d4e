/**
 * `emit-optimizer run`: real tools (tsc from the typescript devDependency, a POSIX shell build
 * that empties its output first like `rimraf dist && …`), real processes and signals.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { childScope } from '../support/children.js'
import { seeded } from '../support/seeded.js'
import { diffTrees, listLitter, snapshot, type Tree } from '../support/tree.js'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const TSC = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')
const scope = childScope()

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** The CLI from source, in `root`'s project. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...env } })
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr }
}

function json<T>(run: Run): T {
  try {
    return JSON.parse(run.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`)
  }
}

interface RunJson {
  status: string
  exitCode: number
  stats?: { written: number; unchanged: number; deleted: number }
}

/** inode and mtime of every file: what "untouched" means. */
function identities(dir: string): Map<string, string> {
  const ids = new Map<string, string>()
  for (const rel of snapshot(dir).keys()) {
    const stats = fs.lstatSync(path.join(dir, rel))
    ids.set(rel, `${stats.ino}:${stats.mtimeMs}`)
  }
  return ids
}

/** Directories and files a run leaves next to outDir (staging, kept output) or in the state dir. */
function litter(root: string): string[] {
  const siblings = fs.readdirSync(root).filter((name) => /\.eo-(staging|kept)-\d+$/.test(name))
  return [...siblings, ...listLitter(root)]
}

/** Files whose bytes changed were rewritten; every other file kept its inode and mtime. */
function expectMinimal(before: { tree: Tree; ids: Map<string, string> }, dir: string): string[] {
  const tree = snapshot(dir)
  const ids = identities(dir)
  const rewritten: string[] = []
  for (const [rel, entry] of tree) {
    const old = before.tree.get(rel)
    if (old && JSON.stringify(old) === JSON.stringify(entry)) expect(ids.get(rel), `${rel} has the same bytes: it must not be touched`).toBe(before.ids.get(rel))
    else rewritten.push(rel)
  }
  return rewritten.sort()
}

function state(dir: string): { tree: Tree; ids: Map<string, string> } {
  return { tree: snapshot(dir), ids: identities(dir) }
}

function expectSameTree(actual: string, expected: string): void {
  const tree = snapshot(actual)
  expect(tree.size).toBeGreaterThan(0)
  expect(diffTrees(tree, snapshot(expected))).toEqual([])
}

/** Whether a process can still run (a zombie cannot). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

const orphans: number[] = []
afterEach(() => {
  for (const pid of orphans.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
})

describe('run (redirect): tsc --outDir {out}', () => {
  function tsProject(): string {
    const root = scope.tempRoot('eo-run-tsc-')
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ES2022', moduleResolution: 'bundler', strict: true, sourceMap: true, declaration: true, rootDir: 'src' }, include: ['src'] }),
      'src/index.ts': "import { add } from './lib/math.js'\nimport { shout } from './lib/strings.js'\n\nexport const answer: number = add(40, 2)\nexport const hello: string = shout('hello')\n",
      'src/lib/math.ts': 'export function add(a: number, b: number): number {\n  return a + b\n}\n',
      'src/lib/strings.ts': "export const shout = (text: string): string => `${text.toUpperCase()}!`\n",
    }
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
      fs.writeFileSync(path.join(root, rel), text)
    }
    return root
  }
  /** tsc alone, into `<root>/<dir>` (a sibling of dist: the same relative sourcemap paths). */
  function nativeTsc(root: string, dir: string): number | null {
    return spawnSync(process.execPath, [TSC, '-p', '.', '--outDir', dir], { cwd: root, encoding: 'utf8' }).status
  }
  const runTsc = (root: string, ...flags: string[]): Run => cli(['run', '--root', root, '--out', 'dist', ...flags, '--', process.execPath, TSC, '-p', '.', '--outDir', '{out}'])

  it('commits exactly what tsc writes natively; a no-change rerun touches no file; an edit rewrites only what tsc changed', { timeout: 300_000 }, () => {
    const root = tsProject()
    const dist = path.join(root, 'dist')
    expect(nativeTsc(root, 'native')).toBe(0)
    const first = runTsc(root)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/emit-optimizer: 9 written · 0 unchanged · 0 deleted .* committed/)
    expectSameTree(dist, path.join(root, 'native'))

    const before = state(dist)
    const again = json<RunJson>(runTsc(root, '--json'))
    expect(again).toMatchObject({ status: 'committed', exitCode: 0, stats: { written: 0, unchanged: 9, deleted: 0 } })
    expect(expectMinimal(before, dist)).toEqual([])

    fs.writeFileSync(path.join(root, 'src/lib/math.ts'), 'export function add(a: number, b: number): number {\n  return b + a\n}\n')
    const edited = json<RunJson>(runTsc(root, '--json'))
    expect(nativeTsc(root, 'native')).toBe(0)
    expectSameTree(dist, path.join(root, 'native'))
    const rewritten = expectMinimal(before, dist)
    expect(rewritten).toContain('lib/math.js')
    expect(rewritten).not.toContain('index.js')
    expect(edited.stats?.written).toBe(rewritten.length)
    expect(litter(root)).toEqual([])
  })

  it('a type error (tsc exits 2 and still emits) publishes nothing: the previous output byte for byte, exit code 2', { timeout: 300_000 }, () => {
    const root = tsProject()
    const dist = path.join(root, 'dist')
    expect(runTsc(root).code).toBe(0)
    const before = state(dist)
    fs.appendFileSync(path.join(root, 'src/index.ts'), "export const broken: number = 'not a number'\n")

    const failed = runTsc(root)
    expect(failed.code, failed.stderr).toBe(2)
    expect(failed.stderr).toMatch(/error EO_COMMAND_FAILED: .*exit code 2/)
    expect(failed.stderr).toMatch(/rolled-back, .*dist left as it was/)
    expect(diffTrees(snapshot(dist), before.tree)).toEqual([])
    expect(expectMinimal(before, dist)).toEqual([])
    // Natively the same tsc run overwrites the output with the broken build.
    expect(nativeTsc(root, 'dist')).toBe(2)
    expect(fs.readFileSync(path.join(dist, 'index.js'), 'utf8')).toContain('not a number')
    expect(litter(root)).toEqual([])
  })

  it('a removed source: by default the result equals native tsc (which keeps the stale output); --fresh starts empty and deletes it', { timeout: 300_000 }, () => {
    const root = tsProject()
    const dist = path.join(root, 'dist')
    expect(runTsc(root).code).toBe(0)
    // Where native tsc builds next: what it leaves in a directory holding the previous output.
    fs.cpSync(dist, path.join(root, 'native'), { recursive: true })
    fs.rmSync(path.join(root, 'src/lib/strings.ts'))
    fs.writeFileSync(path.join(root, 'src/index.ts'), "import { add } from './lib/math.js'\n\nexport const answer: number = add(40, 2)\n")

    expect(runTsc(root).code).toBe(0)
    expect(nativeTsc(root, 'native')).toBe(0)
    expectSameTree(dist, path.join(root, 'native'))
    expect(snapshot(dist).has('lib/strings.js')).toBe(true)

    const fresh = json<RunJson>(runTsc(root, '--fresh', '--json'))
    fs.rmSync(path.join(root, 'native'), { recursive: true })
    expect(nativeTsc(root, 'native')).toBe(0)
    expectSameTree(dist, path.join(root, 'native'))
    expect(fresh.stats).toMatchObject({ written: 0, deleted: 3 })
  })
})

describe('run (redirect): Eleventy --output={out}', () => {
  const ELEVENTY = path.join(REPO, 'node_modules', '@11ty', 'eleventy', 'cmd.cjs')
  function site(): string {
    const root = scope.tempRoot('eo-run-11ty-')
    const files: Record<string, string> = {
      'eleventy.config.js': 'export default function (config) {\n  config.addPassthroughCopy("src/css")\n  return { dir: { input: "src" } }\n}\n',
      'src/_includes/base.njk': '<!doctype html><title>{{ title }}</title><link rel="stylesheet" href="/css/site.css">{{ content | safe }}\n',
      'src/index.md': '---\nlayout: base.njk\ntitle: Home\n---\n# Hello\n\n{% for post in collections.post %}- [{{ post.data.title }}]({{ post.url }})\n{% endfor %}\n',
      'src/css/site.css': 'body { color: #222 }\n',
    }
    for (const name of ['first', 'second', 'third']) files[`src/posts/${name}.md`] = `---\ntags: post\nlayout: base.njk\ntitle: ${name}\n---\nThe ${name} post.\n`
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
      fs.writeFileSync(path.join(root, rel), text)
    }
    return root
  }
  const nativeEleventy = (root: string, dir: string): number | null => spawnSync(process.execPath, [ELEVENTY, `--output=${dir}`], { cwd: root, encoding: 'utf8' }).status
  const runEleventy = (root: string, ...flags: string[]): Run => cli(['run', '--root', root, '--out', 'dist', ...flags, '--', process.execPath, ELEVENTY, '--output={out}'])

  it('commits exactly what Eleventy writes natively; a no-change rerun touches no file; a failing template keeps the previous site with exit code 1', { timeout: 300_000 }, () => {
    const root = site()
    const dist = path.join(root, 'dist')
    const first = runEleventy(root)
    expect(first.code, first.stderr).toBe(0)
    expect(nativeEleventy(root, 'native')).toBe(0)
    expectSameTree(dist, path.join(root, 'native'))
    expect([...snapshot(dist).keys()]).toEqual(['css/site.css', 'index.html', 'posts/first/index.html', 'posts/second/index.html', 'posts/third/index.html'])

    const before = state(dist)
    expect(json<RunJson>(runEleventy(root, '--json')).stats).toEqual(expect.objectContaining({ written: 0, unchanged: 5, deleted: 0 }))
    expect(expectMinimal(before, dist)).toEqual([])

    fs.writeFileSync(path.join(root, 'src/posts/second.md'), '---\ntags: post\nlayout: base.njk\ntitle: second\n---\nThe second post, edited.\n')
    fs.writeFileSync(path.join(root, 'src/posts/third.md'), '---\ntags: post\nlayout: base.njk\ntitle: third\n---\n{% if %}\n')
    const failed = runEleventy(root)
    expect(failed.code, failed.stderr).toBe(1)
    expect(failed.stderr).toContain('error EO_COMMAND_FAILED: the command failed (exit code 1)')
    expect(diffTrees(snapshot(dist), before.tree)).toEqual([])
    expect(expectMinimal(before, dist)).toEqual([])

    fs.writeFileSync(path.join(root, 'src/posts/third.md'), '---\ntags: post\nlayout: base.njk\ntitle: third\n---\nThe third post.\n')
    expect(runEleventy(root).code).toBe(0)
    expect(expectMinimal(before, dist)).toEqual(['posts/second/index.html'])
    expect(nativeEleventy(root, 'native')).toBe(0)
    expectSameTree(dist, path.join(root, 'native'))
    expect(litter(root)).toEqual([])
  })
})

/**
 * A build that empties its output first (`rm -rf`, like `rimraf dist && …`) and then writes it
 * file by file. FAIL_AT / STOP_AT (`emptied` or a page name) make it exit there, or print
 * `READY <pid>` and block on a FIFO nobody opens (the test's synchronisation point).
 */
const BUILD_SH = `#!/bin/sh
set -e
echo "$$" >> ran.log
out="\${OUT:-dist}"
rm -rf "$out"
if [ "$STOP_AT" = emptied ]; then echo "READY $$"; read _ < "$FIFO"; fi
if [ "$FAIL_AT" = emptied ]; then exit 4; fi
mkdir -p "$out/assets" "$out/pages" "$out/bin"
for f in content/*.txt; do
  name=$(basename "$f" .txt)
  cp "$f" "$out/assets/$name.txt"
  printf '<h1>%s</h1><p>%s</p>\\n' "$name" "\${VERSION:-1}" > "$out/pages/$name.html"
  if [ "$FAIL_AT" = "$name" ]; then exit 5; fi
  if [ "$STOP_AT" = "$name" ]; then echo "READY $$"; read _ < "$FIFO"; fi
done
cp tool.sh "$out/bin/tool.sh"
printf '<html>version %s</html>\\n' "\${VERSION:-1}" > "$out/index.html"
`

describe('run --in-place: a shell build that empties dist first', () => {
  const PAGES = ['a', 'b', 'c', 'd']

  function shellProject(): string {
    const root = scope.tempRoot('eo-run-sh-')
    fs.writeFileSync(path.join(root, 'build.sh'), BUILD_SH)
    fs.writeFileSync(path.join(root, 'tool.sh'), '#!/bin/sh\necho tool\n', { mode: 0o755 })
    fs.mkdirSync(path.join(root, 'content'))
    for (const page of PAGES) fs.writeFileSync(path.join(root, 'content', `${page}.txt`), `page ${page}\n`)
    spawnSync('mkfifo', [path.join(root, 'never-opened')])
    return root
  }
  const runBuild = (root: string, env: NodeJS.ProcessEnv, ...flags: string[]): Run => cli(['run', '--in-place', '--root', root, '--out', 'dist', ...flags, '--', 'sh', 'build.sh'], { ...env, FIFO: path.join(root, 'never-opened') })
  const nativeBuild = (root: string, env: NodeJS.ProcessEnv): number | null => spawnSync('sh', ['build.sh'], { cwd: root, env: { ...process.env, ...env, OUT: 'native' } }).status

  /** Starts a run that stops in the command (STOP_AT) and resolves once the command said READY. */
  async function stoppedRun(root: string, stopAt: string): Promise<{ runner: ChildProcess; commandPid: number; output: () => string }> {
    const runner = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', '--in-place', '--root', root, '--out', 'dist', '--', 'sh', 'build.sh'], {
      cwd: REPO,
      env: { ...process.env, VERSION: '2', STOP_AT: stopAt, FIFO: path.join(root, 'never-opened') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    runner.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    const commandPid = await new Promise<number>((resolve, reject) => {
      runner.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk
        const ready = /READY (\d+)/.exec(out)
        if (ready) resolve(Number(ready[1]))
      })
      runner.once('exit', (code) => reject(new Error(`runner exited (${code}) before the command was READY:\n${out}`)))
    })
    orphans.push(commandPid)
    return { runner, commandPid, output: () => out }
  }

  it('commits exactly what the script writes natively; a no-change rerun touches no file; an edit rewrites only that file', () => {
    const root = shellProject()
    const dist = path.join(root, 'dist')
    const first = runBuild(root, {})
    expect(first.code, first.stderr).toBe(0)
    expect(nativeBuild(root, {})).toBe(0)
    expectSameTree(dist, path.join(root, 'native'))
    expect(snapshot(dist).get('bin/tool.sh')).toMatchObject({ mode: 0o755 })

    const before = state(dist)
    expect(json<RunJson>(runBuild(root, {}, '--json')).stats).toEqual(expect.objectContaining({ written: 0, unchanged: 2 * PAGES.length + 2, deleted: 0 }))
    expect(expectMinimal(before, dist)).toEqual([])

    fs.writeFileSync(path.join(root, 'content', 'c.txt'), 'page c, edited\n')
    expect(runBuild(root, {}).code).toBe(0)
    expect(expectMinimal(before, dist)).toEqual(['assets/c.txt'])
    expect(nativeBuild(root, {})).toBe(0)
    expectSameTree(dist, path.join(root, 'native'))
    expect(litter(root)).toEqual([])
  })

  it('a failure right after rm -rf dist, and one mid-way after partial writes, keep the previous output byte for byte with the script\'s exit code', () => {
    const root = shellProject()
    const dist = path.join(root, 'dist')
    expect(runBuild(root, {}).code).toBe(0)
    const before = state(dist)
    for (const [failAt, code] of [['emptied', 4], ['b', 5]] as const) {
      const failed = runBuild(root, { VERSION: '2', FAIL_AT: failAt })
      expect(failed.code, failed.stderr).toBe(code)
      expect(failed.stderr).toContain(`error EO_COMMAND_FAILED: the command failed (exit code ${code})`)
      expect(diffTrees(snapshot(dist), before.tree)).toEqual([])
      expect(expectMinimal(before, dist)).toEqual([])
      expect(litter(root)).toEqual([])
      // Natively the same failure leaves no output or half of it.
      expect(nativeBuild(root, { VERSION: '2', FAIL_AT: failAt })).toBe(code)
      expect(snapshot(path.join(root, 'native')).size).toBeLessThan(before.tree.size)
    }
  })

  it('SIGKILL of the runner while the command runs (seeded stop points): recover kills the orphaned command and restores the previous output; so does the next run', { timeout: 300_000 }, async () => {
    const root = shellProject()
    const dist = path.join(root, 'dist')
    const rng = seeded(11)
    for (const [i, stopAt] of rng.shuffle(['emptied', ...PAGES]).slice(0, 3).entries()) {
      expect(runBuild(root, { VERSION: '1' }).code).toBe(0)
      const before = state(dist)
      const { runner, commandPid } = await stoppedRun(root, stopAt)
      // While it runs, readers see the command's directory: emptied, or partly rewritten.
      expect(diffTrees(snapshot(dist), before.tree)).not.toEqual([])
      const status = (): { run: { phase: string; pid: number; alive: boolean } | null } => json(cli(['status', '--json', '--root', root, '--out', 'dist']))
      if (i === 0) expect(status().run).toMatchObject({ phase: 'running', pid: runner.pid, alive: true })
      runner.kill('SIGKILL')
      await once(runner, 'exit')
      expect(running(commandPid), 'the orphaned command is still blocked').toBe(true)
      if (i === 0) expect(status().run).toMatchObject({ phase: 'running', alive: false })

      if (i < 2) {
        const recovered = cli(['recover', '--root', root, '--out', 'dist'])
        expect(recovered.code, recovered.stderr).toBe(0)
        expect(recovered.stdout).toMatch(/was killed .*the previous output is back in place; its still running command was killed/)
        expect(running(commandPid)).toBe(false)
        expect(diffTrees(snapshot(dist), before.tree)).toEqual([])
        expect(expectMinimal(before, dist)).toEqual([])
      } else {
        const next = runBuild(root, { VERSION: '3' })
        expect(next.code, next.stderr).toBe(0)
        expect(running(commandPid)).toBe(false)
        expect(nativeBuild(root, { VERSION: '3' })).toBe(0)
        expectSameTree(dist, path.join(root, 'native'))
        expect(expectMinimal(before, dist)).toEqual([...PAGES.map((page) => `pages/${page}.html`), 'index.html'].sort())
      }
      expect(litter(root)).toEqual([])
    }
  })

  it('SIGKILL at seeded steps of the session (lock, session file, renames, gate): recover leaves the previous output; the command never starts before its pid is recorded', { timeout: 300_000 }, () => {
    const root = shellProject()
    const dist = path.join(root, 'dist')
    const fixture = (killAt: number): Run => {
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/run-kill.mts', JSON.stringify({ root, outDir: 'dist', command: ['sh', 'build.sh'], killAt })], { cwd: REPO, encoding: 'utf8', env: { ...process.env, VERSION: '2' } })
      return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr }
    }
    expect(runBuild(root, { VERSION: '1' }).code).toBe(0)
    const dry = fixture(0)
    const { calls, committingAt, childAt } = JSON.parse(/RESULT (.*)/.exec(dry.stdout)?.[1] ?? 'null') as { calls: number; committingAt: number; childAt: number }
    expect(childAt).toBeGreaterThan(1)
    expect(committingAt).toBeGreaterThan(childAt)
    const rng = seeded(23)
    const points = [...new Set([1, childAt, committingAt, calls, ...Array.from({ length: 5 }, () => rng.int(1, calls))])].sort((a, b) => a - b)
    for (const killAt of points) {
      expect(runBuild(root, { VERSION: '1' }).code).toBe(0)
      const before = state(dist)
      const ran = fs.readFileSync(path.join(root, 'ran.log'), 'utf8')
      const killed = fixture(killAt)
      expect(killed.signal, `kill point ${killAt} of ${calls}: ${killed.stdout}${killed.stderr}`).toBe('SIGKILL')
      const recovered = cli(['recover', '--root', root, '--out', 'dist'])
      expect(recovered.code, recovered.stderr).toBe(0)
      const tree = snapshot(dist)
      if (killAt <= committingAt) {
        expect(diffTrees(tree, before.tree), `kill point ${killAt}`).toEqual([])
        expect(expectMinimal(before, dist)).toEqual([])
      } else {
        // Past `committing` the new output may already be committed: then it is the whole of it.
        expect(nativeBuild(root, { VERSION: '2' })).toBe(0)
        const isNew = JSON.stringify(tree.get('index.html')) !== JSON.stringify(before.tree.get('index.html'))
        expect(diffTrees(tree, isNew ? snapshot(path.join(root, 'native')) : before.tree), `kill point ${killAt}`).toEqual([])
      }
      if (killAt <= childAt) expect(fs.readFileSync(path.join(root, 'ran.log'), 'utf8'), `kill point ${killAt}: the command ran`).toBe(ran)
      expect(litter(root)).toEqual([])
    }
  })

  it('SIGTERM to the runner is forwarded to the command: nothing published, exit 143', async () => {
    const root = shellProject()
    const dist = path.join(root, 'dist')
    expect(runBuild(root, {}).code).toBe(0)
    const before = state(dist)
    const { runner, commandPid, output } = await stoppedRun(root, 'b')
    runner.kill('SIGTERM')
    const [code] = (await once(runner, 'exit')) as [number | null]
    expect(code, output()).toBe(143)
    expect(output()).toContain('error EO_COMMAND_FAILED: interrupted by SIGTERM')
    expect(running(commandPid)).toBe(false)
    expect(diffTrees(snapshot(dist), before.tree)).toEqual([])
    expect(expectMinimal(before, dist)).toEqual([])
    expect(litter(root)).toEqual([])
  })

  it('redirect mode with --stage-env: a SIGKILLed runner never touched outDir; recover removes its staging dir', async () => {
    const root = shellProject()
    const dist = path.join(root, 'dist')
    expect(runBuild(root, {}).code).toBe(0)
    const before = state(dist)
    const runner = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', '--stage-env', 'OUT', '--root', root, '--out', 'dist', '--', 'sh', 'build.sh'], {
      cwd: REPO,
      env: { ...process.env, VERSION: '2', STOP_AT: 'c', FIFO: path.join(root, 'never-opened') },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    const commandPid = await new Promise<number>((resolve, reject) => {
      runner.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk
        const ready = /READY (\d+)/.exec(out)
        if (ready) resolve(Number(ready[1]))
      })
      runner.once('exit', (code) => reject(new Error(`runner exited (${code}):\n${out}`)))
    })
    orphans.push(commandPid)
    expect(expectMinimal(before, dist)).toEqual([])
    runner.kill('SIGKILL')
    await once(runner, 'exit')
    process.kill(commandPid, 'SIGKILL')
    expect(litter(root)).toHaveLength(1)
    expect(cli(['recover', '--root', root, '--out', 'dist']).code).toBe(0)
    expect(litter(root)).toEqual([])
    expect(expectMinimal(before, dist)).toEqual([])
  })
})

describe('run --in-place around `rimraf dist && vite build` with the Vite plugin in the build', () => {
  const TSX = pathToFileURL(path.join(REPO, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href
  const BUILD_MTS = `import fs from 'node:fs'
import { build } from ${JSON.stringify(pathToFileURL(path.join(REPO, 'node_modules', 'vite', 'dist', 'node', 'index.js')).href)}
import emitOptimizer from ${JSON.stringify(pathToFileURL(path.join(REPO, 'plugins', 'vite.ts')).href)}

const out = process.env.OUT ?? 'dist'
fs.rmSync(out, { recursive: true, force: true }) // rimraf dist
const fail = { name: 'fail', generateBundle() { if (process.env.FAIL) throw new Error('injected failure in generateBundle') } }
await build({
  root: process.cwd(),
  configFile: false,
  logLevel: 'warn',
  build: { outDir: out, sourcemap: true },
  plugins: [emitOptimizer({ lockTimeoutMs: 2000, onReport: (report) => console.log('PLUGIN ' + report.status) }), fail],
})
`
  function viteProject(): string {
    const root = scope.tempRoot('eo-run-vite-')
    fs.cpSync(path.join(REPO, 'test', 'fixtures', 'vite-app'), root, { recursive: true })
    fs.writeFileSync(path.join(root, 'build.mts'), BUILD_MTS)
    return root
  }
  const runVite = (root: string, env: NodeJS.ProcessEnv = {}): Run => cli(['run', '--in-place', '--root', root, '--out', 'dist', '--', process.execPath, '--import', TSX, 'build.mts'], env)
  const nativeVite = (root: string, env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string } => {
    const result = spawnSync(process.execPath, ['--import', TSX, 'build.mts'], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env, OUT: 'native' } })
    return { code: result.status, stdout: result.stdout }
  }

  it('the plugin steps aside for run (one transaction, no lock wait); unchanged files keep inode and mtime although Vite rewrites them all; a failure after rimraf keeps the previous output', { timeout: 300_000 }, () => {
    const root = viteProject()
    const dist = path.join(root, 'dist')
    const first = runVite(root)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).not.toContain('PLUGIN')
    expect(first.stdout.match(/^emit-optimizer: .* committed$/gm)).toHaveLength(1)
    // Alone, the same script commits through the plugin: the same files and bytes.
    const native = nativeVite(root)
    expect(native.code).toBe(0)
    expect(native.stdout).toContain('PLUGIN committed')
    expectSameTree(dist, path.join(root, 'native'))

    const before = state(dist)
    expect(json<RunJson>(cli(['run', '--in-place', '--json', '--root', root, '--out', 'dist', '--', process.execPath, '--import', TSX, 'build.mts'])).stats).toEqual(expect.objectContaining({ written: 0, deleted: 0, unchanged: before.tree.size }))
    expect(expectMinimal(before, dist)).toEqual([])

    const failed = runVite(root, { FAIL: '1' })
    expect(failed.code, failed.stderr).toBe(1)
    expect(failed.stderr).toContain('injected failure in generateBundle')
    expect(diffTrees(snapshot(dist), before.tree)).toEqual([])
    expect(expectMinimal(before, dist)).toEqual([])
    // Natively, rimraf has already removed the output when the build fails.
    expect(nativeVite(root, { FAIL: '1' }).code).toBe(1)
    expect(fs.existsSync(path.join(root, 'native'))).toBe(false)
    expect(litter(root)).toEqual([])
  })
})

describe('run --in-place: the esbuild and webpack plugins in the command step aside too', () => {
  const TSX = pathToFileURL(path.join(REPO, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href
  const url = (...parts: string[]): string => JSON.stringify(pathToFileURL(path.join(REPO, ...parts)).href)
  const PLUGIN = "{ lockTimeoutMs: 2000, onReport: (report) => console.log('PLUGIN ' + report.status) }"
  const scripts: Record<string, string> = {
    esbuild: `import fs from 'node:fs'
import * as esbuild from ${url('node_modules', 'esbuild', 'lib', 'main.js')}
import emitOptimizer from ${url('plugins', 'esbuild.ts')}
const out = process.env.OUT ?? 'dist'
fs.rmSync(out, { recursive: true, force: true })
await esbuild.build({ entryPoints: ['src/main.js'], bundle: true, minify: true, outdir: out, logLevel: 'silent', plugins: [emitOptimizer(${PLUGIN})] })
`,
    webpack: `import fs from 'node:fs'
import path from 'node:path'
import webpack from ${url('node_modules', 'webpack', 'lib', 'index.js')}
import emitOptimizer from ${url('plugins', 'webpack.ts')}
const out = process.env.OUT ?? 'dist'
fs.rmSync(out, { recursive: true, force: true })
const compiler = webpack({ mode: 'production', context: process.cwd(), entry: './src/main.js', output: { path: path.resolve(out) }, plugins: [emitOptimizer(${PLUGIN})] })
await new Promise((resolve, reject) => compiler.run((error, stats) => (error || stats.hasErrors() ? reject(error ?? new Error(stats.toString())) : compiler.close(resolve))))
`,
  }

  for (const [bundler, script] of Object.entries(scripts)) {
    it(`${bundler}: one transaction (run's), the same files as the script alone`, { timeout: 300_000 }, () => {
      const root = scope.tempRoot(`eo-run-${bundler}-`)
      fs.mkdirSync(path.join(root, 'src'))
      fs.writeFileSync(path.join(root, 'src', 'main.js'), "import { greet } from './greet.js'\ndocument.title = greet('run')\n")
      fs.writeFileSync(path.join(root, 'src', 'greet.js'), 'export const greet = (name) => `hello ${name}`\n')
      fs.writeFileSync(path.join(root, 'build.mts'), script)
      const ran = cli(['run', '--in-place', '--root', root, '--out', 'dist', '--', process.execPath, '--import', TSX, 'build.mts'])
      expect(ran.code, ran.stderr).toBe(0)
      expect(ran.stdout).not.toContain('PLUGIN')
      expect(ran.stdout.match(/^emit-optimizer: .* committed$/gm)).toHaveLength(1)
      const alone = spawnSync(process.execPath, ['--import', TSX, 'build.mts'], { cwd: root, encoding: 'utf8', env: { ...process.env, OUT: 'native' } })
      expect(alone.status, alone.stderr).toBe(0)
      expect(alone.stdout).toContain('PLUGIN committed')
      expectSameTree(path.join(root, 'dist'), path.join(root, 'native'))
      expect(litter(root)).toEqual([])
    })
  }
})

/**
 * A command that writes its whole output into `{out}` (emptied first) and then records the inode
 * of every file it wrote in $INODES: what the published files must still be (zero copy). FAIL
 * makes it exit 3 after writing.
 */
const GEN_MJS = `import fs from 'node:fs'
import path from 'node:path'
const out = process.argv[2]
const version = process.env.VERSION ?? '1'
const files = {
  'index.html': '<html>version ' + version + '</html>\\n',
  'assets/app.js': 'console.log(' + version + ')\\n',
  'assets/site.css': 'body { color: #222 }\\n',
  'data/big.bin': 'x'.repeat(256 * 1024) + version,
  'data/same.txt': 'never changes\\n',
}
fs.rmSync(out, { recursive: true, force: true })
const inodes = {}
for (const [rel, text] of Object.entries(files)) {
  fs.mkdirSync(path.dirname(path.join(out, rel)), { recursive: true })
  fs.writeFileSync(path.join(out, rel), text)
  inodes[rel] = fs.statSync(path.join(out, rel)).ino
}
fs.writeFileSync(process.env.INODES, JSON.stringify(inodes))
if (process.env.FAIL) process.exit(3)
`

describe('run: the files the command wrote are published by rename (zero copy)', () => {
  const MODES = ['redirect', 'in-place'] as const
  function genProject(): string {
    const root = scope.tempRoot('eo-run-adopt-')
    fs.writeFileSync(path.join(root, 'gen.mjs'), GEN_MJS)
    return root
  }
  const modeFlags = (mode: (typeof MODES)[number]): string[] => (mode === 'in-place' ? ['--in-place'] : [])
  const runGen = (root: string, mode: (typeof MODES)[number], env: NodeJS.ProcessEnv, ...flags: string[]): Run =>
    cli(['run', ...modeFlags(mode), '--root', root, '--out', 'dist', ...flags, '--', process.execPath, 'gen.mjs', '{out}'], { ...env, INODES: path.join(root, 'inodes.json') })
  const staged = (root: string): Record<string, number> => JSON.parse(fs.readFileSync(path.join(root, 'inodes.json'), 'utf8')) as Record<string, number>
  /** Files of dist that are not the inode the command wrote (copied instead of renamed). */
  const copied = (root: string, files: Iterable<string>): string[] => {
    const inodes = staged(root)
    return [...files].filter((rel) => fs.statSync(path.join(root, 'dist', rel)).ino !== inodes[rel])
  }
  const nativeGen = (root: string, version: string): Tree => {
    const dir = path.join(root, 'native')
    expect(spawnSync(process.execPath, ['gen.mjs', dir], { cwd: root, env: { ...process.env, VERSION: version, INODES: path.join(root, 'native-inodes.json') } }).status).toBe(0)
    return snapshot(dir)
  }

  for (const mode of MODES) {
    it(`${mode}: new and changed files keep the inode the command gave them; a no-change rerun touches nothing; a failure keeps the previous output`, { timeout: 300_000 }, () => {
      const root = genProject()
      const dist = path.join(root, 'dist')
      const first = json<RunJson>(runGen(root, mode, { VERSION: '1' }, '--json'))
      expect(first).toMatchObject({ status: 'committed', stats: { written: 5, deleted: 0 } })
      expect(diffTrees(snapshot(dist), nativeGen(root, '1'))).toEqual([])
      expect(copied(root, snapshot(dist).keys())).toEqual([])

      const before = state(dist)
      expect(json<RunJson>(runGen(root, mode, { VERSION: '1' }, '--json')).stats).toEqual(expect.objectContaining({ written: 0, unchanged: 5, deleted: 0 }))
      expect(expectMinimal(before, dist)).toEqual([])

      expect(json<RunJson>(runGen(root, mode, { VERSION: '2' }, '--json')).stats).toEqual(expect.objectContaining({ written: 3, unchanged: 2 }))
      const rewritten = expectMinimal(before, dist)
      expect(rewritten).toEqual(['assets/app.js', 'data/big.bin', 'index.html'])
      expect(copied(root, rewritten)).toEqual([])
      expect(diffTrees(snapshot(dist), nativeGen(root, '2'))).toEqual([])

      const committed = state(dist)
      const failed = runGen(root, mode, { VERSION: '3', FAIL: '1' })
      expect(failed.code, failed.stderr).toBe(3)
      expect(diffTrees(snapshot(dist), committed.tree)).toEqual([])
      expect(expectMinimal(committed, dist)).toEqual([])
      expect(litter(root)).toEqual([])
    })
  }

  it('SIGKILL right before seeded renames that adopt or publish the command\'s files: recover leaves exactly the previous or the new output, no litter', { timeout: 300_000 }, () => {
    const rng = seeded(37)
    for (const mode of MODES) {
      const root = genProject()
      const dist = path.join(root, 'dist')
      const fixture = (kind: 'adopt' | 'publish', killAt: number): Run => {
        const input = { root, outDir: 'dist', command: [process.execPath, 'gen.mjs', '{out}'], mode, kind, killAt }
        const env = { ...process.env, VERSION: '2', INODES: path.join(root, 'inodes.json') }
        const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/run-adopt-kill.mts', JSON.stringify(input)], { cwd: REPO, encoding: 'utf8', env })
        return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr }
      }
      const previous = (): Tree => {
        const v1 = runGen(root, mode, { VERSION: '1' })
        expect(v1.code, v1.stderr).toBe(0)
        return snapshot(dist)
      }
      const a = previous()
      const b = nativeGen(root, '2')
      const dry = fixture('adopt', 0)
      expect(dry.code, dry.stderr).toBe(0)
      const counts = JSON.parse(/RESULT (.*)/.exec(dry.stdout)?.[1] ?? 'null') as { adopt: number; publish: number; stagedWrites: number; status: string }
      // Every changed file is renamed out of the command's directory, none written into the engine's staging.
      expect(counts).toMatchObject({ adopt: 3, publish: 3, stagedWrites: 0, status: 'committed' })
      expect(diffTrees(snapshot(dist), b)).toEqual([])
      const points = [
        ['adopt', 1],
        ['adopt', rng.int(2, counts.adopt)],
        ['publish', rng.int(1, counts.publish)],
      ] as const
      for (const [kind, killAt] of points) {
        expect(diffTrees(previous(), a)).toEqual([])
        const killed = fixture(kind, killAt)
        expect(killed.signal, `${mode} ${kind} #${killAt}: ${killed.stdout}${killed.stderr}`).toBe('SIGKILL')
        const recovered = cli(['recover', '--root', root, '--out', 'dist'])
        expect(recovered.code, recovered.stderr).toBe(0)
        const tree = snapshot(dist)
        // Before the journal is prepared (adopting) only the previous output can come back.
        const expected = kind === 'adopt' || JSON.stringify(tree.get('index.html')) === JSON.stringify(a.get('index.html')) ? a : b
        expect(diffTrees(tree, expected), `${mode} ${kind} #${killAt}`).toEqual([])
        expect(litter(root), `${mode} ${kind} #${killAt}`).toEqual([])
      }
      const next = runGen(root, mode, { VERSION: '2' })
      expect(next.code, next.stderr).toBe(0)
      expect(diffTrees(snapshot(dist), b)).toEqual([])
      expect(litter(root)).toEqual([])
    }
  })
})

describe('run: usage', () => {
  it('refuses a redirect command that is not told where to write, a run without a command, and a dangerous outDir before running anything', () => {
    const root = scope.tempRoot('eo-run-usage-')
    const untold = cli(['run', '--root', root, '--out', 'dist', '--', 'sh', '-c', 'mkdir -p dist'])
    expect(untold.code).toBe(2)
    expect(untold.stderr).toContain('the command is not told where to write: put {out}')
    expect(fs.existsSync(path.join(root, 'dist'))).toBe(false)
    const none = cli(['run', '--root', root, '--out', 'dist'])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('run needs the build command after --')
    const dangerous = cli(['run', '--in-place', '--root', root, '--out', '.', '--', 'sh', '-c', 'echo ran > ran.txt'])
    expect(dangerous.code).toBe(2)
    expect(dangerous.stderr).toContain('error EO_DANGEROUS_OUTDIR')
    expect(fs.existsSync(path.join(root, 'ran.txt'))).toBe(false)
  })
})
