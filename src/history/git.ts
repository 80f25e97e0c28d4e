import fs from 'node:fs'
import path from 'node:path'

export interface GitInfo {
  /** The checked-out commit, full hex. */
  commit: string
  /** The branch, or null when HEAD is detached. */
  branch: string | null
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** The git dir of the repository containing `from`: `.git` itself, or where a `.git` file (worktree, submodule) points. */
function findGitDir(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const dotGit = path.join(dir, '.git')
    const stats = fs.statSync(dotGit, { throwIfNoEntry: false })
    if (stats?.isDirectory()) return dotGit
    if (stats?.isFile()) {
      const target = /^gitdir: (.+)$/m.exec(readText(dotGit) ?? '')?.[1]?.trim()
      return target === undefined ? undefined : path.resolve(dir, target)
    }
    if (path.dirname(dir) === dir) return undefined
  }
}

/** A ref's commit from its loose file or packed-refs (worktrees keep shared refs in the common dir). */
function resolveRef(gitDir: string, ref: string): string | undefined {
  const common = readText(path.join(gitDir, 'commondir'))?.trim()
  const dirs = [gitDir, ...(common ? [path.resolve(gitDir, common)] : [])]
  for (const dir of dirs) {
    const loose = readText(path.join(dir, ref))?.trim()
    if (loose && /^[0-9a-f]{40,64}$/.test(loose)) return loose
  }
  for (const dir of dirs) {
    for (const line of (readText(path.join(dir, 'packed-refs')) ?? '').split('\n')) {
      const [hash, name] = line.split(' ')
      if (name === ref && hash && /^[0-9a-f]{40,64}$/.test(hash)) return hash
    }
  }
  return undefined
}

/**
 * The commit checked out in the repository around `root`, read from `.git` files (no `git`
 * process per build); null outside a repository or before the first commit.
 */
export function gitInfo(root: string): GitInfo | null {
  const gitDir = findGitDir(root)
  if (gitDir === undefined) return null
  const head = readText(path.join(gitDir, 'HEAD'))?.trim()
  if (head === undefined) return null
  if (/^[0-9a-f]{40,64}$/.test(head)) return { commit: head, branch: null }
  const ref = /^ref: (refs\/.+)$/.exec(head)?.[1]
  if (ref === undefined) return null
  const commit = resolveRef(gitDir, ref)
  return commit === undefined ? null : { commit, branch: ref.replace(/^refs\/heads\//, '') }
}
