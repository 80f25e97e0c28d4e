/** The baseline: the default branch read from a real git repository (or the CI), and the snapshot chosen. */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { chooseBaseline, defaultBranch, snapshotGit, type SnapshotInfo } from '../../src/observe/size/baseline.js'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
})

function repo(branch: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-baseline-'))
  dirs.push(dir)
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, stdio: 'pipe' })
  git('init', '-q', '-b', branch)
  fs.writeFileSync(path.join(dir, 'a.txt'), 'a')
  git('add', '.')
  git('commit', '-q', '-m', 'one')
  git('checkout', '-q', '-b', 'feature')
  return dir
}

describe('defaultBranch', () => {
  it('is main or master, whichever the repository has, on a feature branch too', () => {
    expect(defaultBranch(repo('main'), {})).toBe('main')
    expect(defaultBranch(repo('master'), {})).toBe('master')
    expect(defaultBranch(repo('trunk'), {})).toBe('main')
  })

  it('follows origin/HEAD, and from a subdirectory', () => {
    const dir = repo('trunk')
    fs.mkdirSync(path.join(dir, '.git', 'refs', 'remotes', 'origin'), { recursive: true })
    fs.writeFileSync(path.join(dir, '.git', 'refs', 'remotes', 'origin', 'HEAD'), 'ref: refs/remotes/origin/trunk\n')
    fs.mkdirSync(path.join(dir, 'packages', 'app'), { recursive: true })
    expect(defaultBranch(path.join(dir, 'packages', 'app'), {})).toBe('trunk')
  })

  it("takes the CI's target branch first (GitHub, then GitLab)", () => {
    const dir = repo('main')
    expect(defaultBranch(dir, { GITHUB_BASE_REF: 'release/2' })).toBe('release/2')
    expect(defaultBranch(dir, { GITHUB_BASE_REF: '', CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'develop', CI_DEFAULT_BRANCH: 'main' })).toBe('develop')
    expect(defaultBranch(dir, { CI_DEFAULT_BRANCH: 'stable' })).toBe('stable')
  })

  it('is main outside a repository', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-nogit-'))
    dirs.push(dir)
    // tmpdir itself may sit in a repository; this only holds when it does not.
    if (!fs.existsSync(path.join(os.tmpdir(), '.git'))) expect(defaultBranch(dir, {})).toBe('main')
  })
})

describe('snapshotGit', () => {
  it('is the branch checked out; a detached CI checkout takes the branch from the CI', () => {
    const dir = repo('main')
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim()
    expect(snapshotGit(dir, { CI_COMMIT_BRANCH: 'other' })).toEqual({ commit: head, branch: 'feature' })
    execFileSync('git', ['checkout', '-q', '--detach'], { cwd: dir })
    expect(snapshotGit(dir, {})).toEqual({ commit: head, branch: null })
    expect(snapshotGit(dir, { CI_COMMIT_BRANCH: 'main' })).toEqual({ commit: head, branch: 'main' })
    expect(snapshotGit(dir, { CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'fix-1' })).toEqual({ commit: head, branch: 'fix-1' })
    expect(snapshotGit(dir, { GITHUB_HEAD_REF: 'feature/x', GITHUB_REF: 'refs/pull/7/merge', GITHUB_REF_NAME: '7/merge' })).toEqual({ commit: head, branch: 'feature/x' })
    expect(snapshotGit(dir, { GITHUB_HEAD_REF: '', GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main' })).toEqual({ commit: head, branch: 'main' })
    expect(snapshotGit(dir, { GITHUB_REF: 'refs/tags/v1', GITHUB_REF_NAME: 'v1' })).toEqual({ commit: head, branch: null })
  })
})

describe('chooseBaseline', () => {
  const git = (branch: string | null, commit: string) => ({ branch, commit })
  const snapshots: SnapshotInfo[] = [
    { id: 'a-00000001', committedAt: '2026-01-01T00:00:00Z', git: git('main', '1'.repeat(40)) },
    { id: 'a-00000002', committedAt: '2026-01-02T00:00:00Z', git: git('main', '2'.repeat(40)) },
    { id: 'a-00000003', committedAt: '2026-01-03T00:00:00Z', git: git('feature', '3'.repeat(40)) },
    { id: 'a-00000004', committedAt: '2026-01-04T00:00:00Z', git: null },
  ]

  it("is the newest of the default branch's versions, not the current one", () => {
    expect(chooseBaseline(snapshots, { requested: undefined, branch: 'main', currentId: 'a-00000004' })?.id).toBe('a-00000002')
    expect(chooseBaseline(snapshots, { requested: undefined, branch: 'main', currentId: 'a-00000002' })?.id).toBe('a-00000001')
    expect(chooseBaseline(snapshots, { requested: undefined, branch: 'develop', currentId: 'a-00000004' })).toBeUndefined()
  })

  it('a requested version id or branch wins', () => {
    expect(chooseBaseline(snapshots, { requested: 'a-00000001', branch: 'main', currentId: 'x' })?.id).toBe('a-00000001')
    expect(chooseBaseline(snapshots, { requested: 'feature', branch: 'main', currentId: 'x' })?.id).toBe('a-00000003')
    expect(chooseBaseline(snapshots, { requested: 'nope', branch: 'main', currentId: 'x' })).toBeUndefined()
  })
})
