import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTransaction, type CommitResult, type StatusResult, type VerifyResult } from '../../src/index.js'
import { killProcesses } from '../support/children.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }

let tmp: string
let out: string
const children: ChildProcess[] = []

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-cli-'))
  out = path.join(tmp, 'dist')
})

afterEach(async () => {
  await killProcesses(children)
  fs.rmSync(tmp, { recursive: true, force: true })
})

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI from source in a child process. */
function cli(...args: string[]): Run {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: repoRoot, encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** The CLI on the test's outDir: `--out dist --root <tmp>` plus `args`. */
function cliOut(verb: string, ...args: string[]): Run {
  return cli(verb, '--out', 'dist', '--root', tmp, ...args)
}

function json<T>(run: Run): T {
  return JSON.parse(run.stdout) as T
}

async function commit(files: Record<string, string>, deletes: string[] = []): Promise<CommitResult> {
  const tx = createTransaction({ root: tmp, outDir: out })
  for (const [file, contents] of Object.entries(files)) tx.write(file, contents)
  for (const file of deletes) tx.delete(file)
  return tx.commit()
}

/** Every file under `dir` with its bytes, by relative path. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const abs = path.join(entry.parentPath, entry.name)
    files[path.relative(dir, abs).split(path.sep).join('/')] = fs.readFileSync(abs).toString('base64')
  }
  return files
}

const first = {
  'index.html': '<script src="app.js"></script>',
  'app.js': 'console.log("v1")',
  'style.css': 'body { color: red }',
  'assets/a.txt': 'asset a v1',
  'assets/b.txt': 'asset b v1',
  'old.txt': 'removed by the second commit',
}

describe('help, version and usage errors', () => {
  it('prints the top-level usage for --help and -h', () => {
    for (const flag of ['--help', '-h']) {
      const run = cli(flag)
      expect(run.code).toBe(0)
      for (const word of ['recover', 'verify', 'status', '--out <dir>', '--root <dir>', '--state-dir <dir>', '--json', '--help', '--version']) expect(run.stdout).toContain(word)
      expect(run.stderr).toBe('')
    }
  })

  it.each([
    ['recover', ['--lock-timeout <ms>']],
    ['verify', ['--deep']],
    ['status', []],
  ])('prints the usage of %s with its flags', (verb, own) => {
    for (const args of [[verb, '--help'], [verb, '-h'], ['help', verb], [verb, '--out', 'dist', '--bogus', '--help']]) {
      const run = cli(...args)
      expect(run.code, args.join(' ')).toBe(0)
      expect(run.stdout).toContain(`Usage: emit-optimizer ${verb} --out <dir>`)
      for (const flag of [...own, '--out <dir>', '--root <dir>', '--state-dir <dir>', '--json', '-h, --help']) expect(run.stdout).toContain(flag)
    }
  })

  it('prints the version of package.json', () => {
    const run = cli('--version')
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(`${pkg.version}\n`)
  })

  it('rejects unknown flags with exit 2 and a hint to use --help', () => {
    const run = cliOut('verify', '--bogus')
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(`unknown option '--bogus'`)
    expect(run.stderr).toContain('emit-optimizer verify --help')
  })

  it('rejects positionals, unknown commands, a missing command and bad flag values with exit 2', () => {
    expect(cliOut('status', 'extra').code).toBe(2)
    const unknown = cli('deploy', '--out', 'dist')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown command "deploy"')
    expect(cli().code).toBe(2)
    expect(cli('--out', 'dist').code).toBe(2)
    const timeout = cliOut('recover', '--lock-timeout', 'soon')
    expect(timeout.code).toBe(2)
    expect(timeout.stderr).toContain('--lock-timeout')
  })

  it.each(['recover', 'verify', 'status'])('%s without --out exits 2 and says so', (verb) => {
    for (const args of [[verb], [verb, '--root', tmp, '--json'], [verb, '--out', '']]) {
      const run = cli(...args)
      expect(run.code).toBe(2)
      expect(run.stdout).toBe('')
      expect(run.stderr).toContain(`${verb} needs --out <dir>`)
    }
  })
})

describe('status', () => {
  it('reports nothing before the first commit', () => {
    const run = cliOut('status', '--json')
    expect(run.code).toBe(0)
    const result = json<StatusResult>(run)
    expect(result.outDir).toBe(out)
    expect(result).toMatchObject({ lastCommit: null, lock: null, journal: null })
    const text = cliOut('status')
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^last commit +none$/m)
    expect(text.stdout).toMatch(/^lock +free$/m)
    expect(text.stdout).toMatch(/^journal +none$/m)
  })

  it('reports the last commit', async () => {
    const committed = await commit(first)
    const bytes = Object.values(first).reduce((sum, text) => sum + Buffer.byteLength(text), 0)
    const result = json<StatusResult>(cliOut('status', '--json'))
    expect(result.stateDir).toBe(committed.stateDir)
    expect(result.lastCommit).toMatchObject({ txId: committed.txId, strategy: 'incremental', files: Object.keys(first).length, bytes })
    expect(Date.parse(result.lastCommit!.committedAt)).not.toBeNaN()
    expect(result.lock).toBeNull()
    expect(result.journal).toBeNull()
    const text = cliOut('status')
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(new RegExp(`^last commit +${committed.txId}, .*, incremental, 6 files, ${bytes} B$`, 'm'))
  })
})

describe('verify', () => {
  it('exits 0 when outDir matches the last commit', async () => {
    const committed = await commit(first)
    const run = cliOut('verify')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`ok, matches commit ${committed.txId}`)
    const result = json<VerifyResult>(cliOut('verify', '--json', '--deep'))
    expect(result).toMatchObject({ ok: true, noManifest: false, txId: committed.txId, modified: [], missing: [], extra: [], pendingJournal: false, hashed: 6 })
  })

  it('exits 1 and lists modified, missing and extra files', async () => {
    await commit(first)
    fs.writeFileSync(path.join(out, 'app.js'), 'console.log("tampered with")')
    fs.rmSync(path.join(out, 'assets/b.txt'))
    fs.writeFileSync(path.join(out, 'assets/extra.txt'), 'not from a commit')

    const run = cliOut('verify')
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('1 modified, 1 missing, 1 extra')
    const lines = run.stdout.trimEnd().split('\n').slice(1)
    expect(lines).toEqual(['M app.js', 'D assets/b.txt', '? assets/extra.txt'])

    const jsonRun = cliOut('verify', '--json')
    expect(jsonRun.code).toBe(1)
    expect(json<VerifyResult>(jsonRun)).toMatchObject({ ok: false, modified: ['app.js'], missing: ['assets/b.txt'], extra: ['assets/extra.txt'], pendingJournal: false })
  })

  it('caps each list at 50 lines', async () => {
    await commit({ 'index.html': 'x' })
    for (let i = 0; i < 60; i++) fs.writeFileSync(path.join(out, `stray-${String(i).padStart(2, '0')}.txt`), String(i))
    const run = cliOut('verify')
    expect(run.code).toBe(1)
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines.filter((line) => line.startsWith('? '))).toHaveLength(50)
    expect(lines.at(-1)).toBe('… and 10 more extra')
  })

  it('--deep detects a same-size change with the mtime restored', async () => {
    await commit(first)
    const file = path.join(out, 'assets/a.txt')
    const before = fs.statSync(file)
    fs.writeFileSync(file, 'ASSET A V1')
    fs.utimesSync(file, before.atime, before.mtime)
    expect(fs.statSync(file).size).toBe(before.size)

    const run = cliOut('verify', '--deep')
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('M assets/a.txt')
    expect(json<VerifyResult>(cliOut('verify', '--deep', '--json'))).toMatchObject({ modified: ['assets/a.txt'], missing: [], extra: [] })
  })

  it('exits 2 when no commit is recorded', () => {
    const run = cliOut('verify')
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    const status = json<StatusResult>(cliOut('status', '--json'))
    expect(run.stderr).toContain(`no committed output recorded for ${out} in ${status.stateDir}; run a build with the plugin first`)
    const jsonRun = cliOut('verify', '--json')
    expect(jsonRun.code).toBe(2)
    expect(json<VerifyResult>(jsonRun)).toMatchObject({ noManifest: true, ok: false })
  })

  it('reports engine errors as `error EO_CODE: …` with exit 2', async () => {
    const committed = await commit(first)
    fs.writeFileSync(path.join(committed.stateDir, 'manifest.json'), '{ not json')
    const run = cliOut('verify')
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^error EO_MANIFEST_CORRUPT: the manifest of the last commit cannot be read/)
  })
})

describe('recover', () => {
  it('says there is nothing to recover', async () => {
    expect(cliOut('recover').stdout).toBe(`${out}: nothing to recover\n`)
    await commit(first)
    const run = cliOut('recover')
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(`${out}: nothing to recover\n`)
    expect(json<{ action: string; leftoversRemoved: number }>(cliOut('recover', '--json'))).toMatchObject({ action: 'none', leftoversRemoved: 0 })
  })

  it('exits 2 with EO_LOCKED while a live process holds the lock', async () => {
    const committed = await commit(first)
    fs.writeFileSync(path.join(committed.stateDir, 'lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), token: 'test' }))
    const status = json<StatusResult>(cliOut('status', '--json'))
    expect(status.lock).toMatchObject({ pid: process.pid, alive: true })
    const run = cliOut('recover', '--lock-timeout', '0')
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^error EO_LOCKED: outDir is locked by another build/)
  })

  it('rolls back a commit killed in the middle of publishing', async () => {
    await commit(first)
    const before = snapshot(out)

    // A second commit that replaces, adds and deletes files, stuck at its 3rd publish rename.
    const input = {
      root: tmp,
      outDir: 'dist',
      files: { 'index.html': '<script src="app2.js"></script>', 'app2.js': 'console.log("v2")', 'style.css': 'body { color: blue }', 'assets/a.txt': 'asset a v2', 'assets/c.txt': 'asset c v2', 'new/d.txt': 'd' },
      deletes: ['old.txt', 'app.js'],
    }
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/stuck-commit.mts', JSON.stringify(input)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    const exited = once(child, 'exit')
    let stdout = ''
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        if (stdout.includes('\n')) resolve()
      })
      child.on('exit', (code) => reject(new Error(`the fixture exited (${code}) before getting stuck: ${stderr}`)))
    })
    expect(stdout).toBe('STUCK 2\n')
    // Half published: something of the second commit is visible.
    expect(snapshot(out)).not.toEqual(before)

    // Still stuck (holding the lock) until killed, like a build killed mid-commit.
    expect(child.exitCode).toBeNull()
    child.kill('SIGKILL')
    await exited
    expect(child.signalCode).toBe('SIGKILL')

    const status = json<StatusResult>(cliOut('status', '--json'))
    expect(fs.existsSync(path.join(status.stateDir, 'journal.json'))).toBe(true)
    expect(status.journal).toMatchObject({ state: 'prepared', strategy: 'incremental', pid: child.pid })
    expect(status.lock).toMatchObject({ pid: child.pid, alive: false })
    const statusText = cliOut('status')
    expect(statusText.stdout).toMatch(new RegExp(`^lock +held by pid ${child.pid} .*; stale`, 'm'))
    expect(statusText.stdout).toMatch(new RegExp(`^journal +prepared commit ${status.journal!.txId} \\(incremental\\) by pid ${child.pid}`, 'm'))

    const pending = cliOut('verify')
    expect(pending.code).toBe(1)
    expect(pending.stdout).toContain(`run "emit-optimizer recover --out dist --root ${tmp}"`)

    const run = cliOut('recover')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(new RegExp(`^recovered ${out}: rolled back interrupted commit ${status.journal!.txId} \\(incremental\\); \\d+ leftovers? removed\\n$`))
    expect(snapshot(out)).toEqual(before)

    expect(cliOut('verify', '--deep').code).toBe(0)
    expect(json<StatusResult>(cliOut('status', '--json'))).toMatchObject({ lock: null, journal: null })
    expect(cliOut('recover').stdout).toBe(`${out}: nothing to recover\n`)
  })
})
