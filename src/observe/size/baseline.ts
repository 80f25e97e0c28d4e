import fs from 'node:fs'
import path from 'node:path'
import { gitInfo, type GitInfo } from '../../history/git.js'

/** What the baseline chooser needs of a stored snapshot. */
export interface SnapshotInfo {
  id: string
  committedAt: string
  git: GitInfo | null
}

/**
 * The branch a pull request is measured against: the CI's target branch (GitHub Actions
 * `GITHUB_BASE_REF`, GitLab `CI_MERGE_REQUEST_TARGET_BRANCH_NAME`, then `CI_DEFAULT_BRANCH`), else
 * the repository's default branch (`origin/HEAD`), else `main` or `master`, whichever exists
 * (`main` when neither does). Read from `.git` files: no git process per build.
 */
export function defaultBranch(root: string, env: NodeJS.ProcessEnv = process.env): string {
  for (const name of ['GITHUB_BASE_REF', 'CI_MERGE_REQUEST_TARGET_BRANCH_NAME', 'CI_DEFAULT_BRANCH']) {
    const value = env[name]?.trim()
    if (value) return value
  }
  const common = commonGitDir(root)
  if (common === undefined) return 'main'
  const originHead = /^ref: refs\/remotes\/origin\/(.+)$/m.exec(read(path.join(common, 'refs', 'remotes', 'origin', 'HEAD')) ?? '')?.[1]?.trim()
  if (originHead) return originHead
  const packed = read(path.join(common, 'packed-refs')) ?? ''
  const exists = (branch: string) => fs.existsSync(path.join(common, 'refs', 'heads', branch)) || packed.includes(` refs/heads/${branch}\n`)
  return exists('main') ? 'main' : exists('master') ? 'master' : 'main'
}

/**
 * The commit and branch a snapshot is recorded with. CI checkouts are often detached (GitLab
 * always; GitHub for pull requests), so a detached HEAD takes its branch from the CI: GitLab
 * `CI_COMMIT_BRANCH` / `CI_MERGE_REQUEST_SOURCE_BRANCH_NAME`, GitHub `GITHUB_HEAD_REF`, or
 * `GITHUB_REF_NAME` for a branch push.
 */
export function snapshotGit(root: string, env: NodeJS.ProcessEnv = process.env): GitInfo | null {
  const info = gitInfo(root)
  if (!info || info.branch !== null) return info
  const githubBranch = env.GITHUB_REF?.startsWith('refs/heads/') ? env.GITHUB_REF_NAME : undefined
  const branch = [env.CI_COMMIT_BRANCH, env.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME, env.GITHUB_HEAD_REF, githubBranch].find(
    (name) => name !== undefined && name.trim() !== '',
  )
  return { commit: info.commit, branch: branch?.trim() ?? null }
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** The repository's shared git dir (a worktree's `.git` file points into it). */
function commonGitDir(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const dotGit = path.join(dir, '.git')
    const stats = fs.statSync(dotGit, { throwIfNoEntry: false })
    if (stats?.isDirectory()) return dotGit
    if (stats?.isFile()) {
      const target = /^gitdir: (.+)$/m.exec(read(dotGit) ?? '')?.[1]?.trim()
      if (target === undefined) return undefined
      const gitDir = path.resolve(dir, target)
      const common = read(path.join(gitDir, 'commondir'))?.trim()
      return common ? path.resolve(gitDir, common) : gitDir
    }
    if (path.dirname(dir) === dir) return undefined
  }
}

/**
 * The snapshot to compare with: `requested` is a version id (that snapshot) or a branch, else the
 * default `branch`; of a branch, its newest snapshot other than the current output's own (so a
 * build on that branch compares with the one before it). Undefined when none matches.
 */
export function chooseBaseline<T extends SnapshotInfo>(
  snapshots: readonly T[],
  options: { requested: string | undefined; branch: string; currentId: string },
): T | undefined {
  const newestFirst = [...snapshots].sort((a, b) => (a.committedAt < b.committedAt ? 1 : a.committedAt > b.committedAt ? -1 : a.id < b.id ? 1 : -1))
  if (options.requested !== undefined) {
    const byId = newestFirst.find((s) => s.id === options.requested)
    if (byId) return byId
  }
  const branch = options.requested ?? options.branch
  return newestFirst.find((s) => s.git?.branch === branch && s.id !== options.currentId)
}
