/**
 * Directory snapshots and litter detection for the transactional-commit tests.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { OutputSet } from './outputs.js'

export type TreeEntry =
  /** A regular file. */
  | { sha256: string; mode: number; size: number }
  /** A symbolic link inside the tree, not followed. */
  | { symlink: string }
  /** A directory (only with `{ dirs: true }`). */
  | { dir: true; mode: number }

/** path (POSIX, relative) → entry, sorted by path. */
export type Tree = Map<string, TreeEntry>

export interface SnapshotOptions {
  /** Also list directories, so a directory left behind (or missing) makes trees differ. */
  dirs?: boolean
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * Every file under `dir` (recursive), sorted. A symlinked root is followed (the symlink
 * strategy's outDir); symlinks inside are listed by their link text. A missing `dir` gives an
 * empty tree.
 */
export function snapshot(dir: string, options: SnapshotOptions = {}): Tree {
  const entries: Array<[string, TreeEntry]> = []
  let rootStats: fs.Stats
  try {
    rootStats = fs.statSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map()
    throw error
  }
  if (!rootStats.isDirectory()) throw new Error(`snapshot: not a directory: ${dir}`)
  const visit = (abs: string, rel: string): void => {
    for (const name of fs.readdirSync(abs)) {
      const childAbs = path.join(abs, name)
      const childRel = rel ? `${rel}/${name}` : name
      const stats = fs.lstatSync(childAbs)
      if (stats.isSymbolicLink()) entries.push([childRel, { symlink: fs.readlinkSync(childAbs) }])
      else if (stats.isDirectory()) {
        if (options.dirs) entries.push([childRel, { dir: true, mode: stats.mode & 0o7777 }])
        visit(childAbs, childRel)
      } else if (stats.isFile()) {
        const data = fs.readFileSync(childAbs)
        entries.push([childRel, { sha256: sha256(data), mode: stats.mode & 0o7777, size: data.byteLength }])
      } else {
        entries.push([childRel, { symlink: `<special file, mode ${stats.mode.toString(8)}>` }])
      }
    }
  }
  visit(dir, '')
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return new Map(entries)
}

function sameEntry(a: TreeEntry, b: TreeEntry): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Human-readable differences (empty when the trees are equal). */
export function diffTrees(actual: Tree, expected: Tree, limit = 20): string[] {
  const out: string[] = []
  for (const p of new Set([...actual.keys(), ...expected.keys()])) {
    const a = actual.get(p)
    const e = expected.get(p)
    if (a && e && sameEntry(a, e)) continue
    out.push(!a ? `missing   ${p}` : !e ? `unexpected ${p} ${JSON.stringify(a)}` : `differs   ${p}: ${JSON.stringify(a)} != ${JSON.stringify(e)}`)
  }
  out.sort()
  return out.length > limit ? [...out.slice(0, limit), `… ${out.length - limit} more`] : out
}

export function equalTrees(a: Tree, b: Tree): boolean {
  if (a.size !== b.size) return false
  for (const [p, entry] of a) {
    const other = b.get(p)
    if (!other || !sameEntry(entry, other)) return false
  }
  return true
}

/** Files only: drops directory entries (for comparing a `{ dirs: true }` snapshot with an expected set). */
export function filesOnly(tree: Tree): Tree {
  return new Map([...tree].filter(([, entry]) => !('dir' in entry)))
}

let cachedDefaultMode: number | undefined
/** The mode a file created with 0o666 gets under this process's umask. */
export function defaultFileMode(): number {
  if (cachedDefaultMode === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-umask-'))
    try {
      fs.writeFileSync(path.join(dir, 'f'), '', { mode: 0o666 })
      cachedDefaultMode = fs.statSync(path.join(dir, 'f')).mode & 0o7777
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  return cachedDefaultMode
}

/** The tree an output set must produce (files only). */
export function expectedTree(set: OutputSet): Tree {
  return new Map(set.map((file) => [file.path, { sha256: sha256(file.contents), mode: file.mode ?? defaultFileMode(), size: file.contents.byteLength }]))
}

/** Beside outDir: swap and symlink staging, and outDir's lock (held only during a commit; src/core/outdir-claim.ts). */
const SIBLING_LITTER = /\.eo-(next|prev|link|lock)$/
/** Files of the lock's takeover protocol (src/core/lock.ts): a claim, or a stale lock moved aside (of a state dir's lock or outDir's). */
const LOCK_DEBRIS = /(^|\/|\.eo-)lock\.(takeover|stale)-[0-9a-f]+$/

/** Whether a `listLitter` entry is a takeover claim or moved-aside lock left by a process killed mid-takeover. */
export function isLockDebris(entry: string): boolean {
  return LOCK_DEBRIS.test(entry)
}
const ATOMIC_TEMP = /\.json\.\d+$/

interface StateManifest {
  buildDir?: string
  previousBuildDir?: string
}

/**
 * In a build-history store (src/history/paths.ts): anything but `index.json`, the version records
 * it lists and the objects those versions use, e.g. a discarded commit's record or objects, or
 * temp files. Without an index (no version was ever listed) only empty directories may remain.
 */
function historyLitter(dir: string): string[] {
  const litter: string[] = []
  const index = path.join(dir, 'index.json')
  let listed: string[] = []
  if (fs.existsSync(index)) {
    try {
      listed = (JSON.parse(fs.readFileSync(index, 'utf8')) as { versions: Array<{ id: string }> }).versions.map((v) => v.id)
    } catch {
      return [`${index} (unparseable)`]
    }
  }
  const used = new Set<string>()
  for (const id of listed) {
    const file = path.join(dir, 'versions', `${id}.json`)
    if (!fs.existsSync(file)) {
      litter.push(`${file} (listed but missing)`)
      continue
    }
    for (const entry of Object.values((JSON.parse(fs.readFileSync(file, 'utf8')) as { files: Record<string, { sha256: string }> }).files)) used.add(entry.sha256)
  }
  for (const name of fs.readdirSync(dir)) {
    const abs = path.join(dir, name)
    if (name === 'index.json') continue
    if (name === 'versions') {
      for (const version of fs.readdirSync(abs)) if (!listed.includes(version.replace(/\.json$/, ''))) litter.push(path.join(abs, version))
    } else if (name === 'objects') {
      for (const object of fs.readdirSync(abs)) if (!used.has(object)) litter.push(path.join(abs, object))
    } else {
      litter.push(abs)
    }
  }
  return litter
}

/**
 * Leftovers of a commit that should not survive it (paths relative to `root`, sorted):
 * - in a state dir (`<root>/node_modules/.cache/emit-optimizer/*`, or a `.<name>.emit-optimizer`
 *   sibling in `root`): anything but `manifest.json`, `builds/` with the builds the manifest
 *   references, `reports/`, `sizes/` and the history store's listed versions and used objects — so a journal, a held lock, `tx-*` staging, write-file-atomic temps, lock
 *   takeover files and unreferenced builds all count;
 * - anywhere under `root` (symlinks not followed): `.<outDir>.eo-next`, `.eo-prev`, `.eo-link`,
 *   `tx-*` directories and write-file-atomic temps `*.json.<digits>`.
 */
export function listLitter(root: string): string[] {
  const litter = new Set<string>()
  const rel = (abs: string): string => path.relative(root, abs).split(path.sep).join('/')
  const stateDirs: string[] = []
  const cache = path.join(root, 'node_modules', '.cache', 'emit-optimizer')
  if (fs.existsSync(cache)) for (const name of fs.readdirSync(cache)) stateDirs.push(path.join(cache, name))
  for (const name of fs.readdirSync(root)) if (/^\..+\.emit-optimizer$/.test(name)) stateDirs.push(path.join(root, name))

  for (const stateDir of stateDirs) {
    if (!fs.lstatSync(stateDir).isDirectory()) {
      litter.add(rel(stateDir))
      continue
    }
    let manifest: StateManifest = {}
    const manifestPath = path.join(stateDir, 'manifest.json')
    if (fs.existsSync(manifestPath)) {
      try {
        manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as StateManifest
      } catch {
        litter.add(`${rel(manifestPath)} (unparseable)`)
      }
    }
    for (const name of fs.readdirSync(stateDir)) {
      const abs = path.join(stateDir, name)
      if (name === 'manifest.json') continue
      // The plugin's build reports and size store (src/observe/, src/observe/size/store.ts): kept on
      // purpose; their temp files are caught below.
      if ((name === 'reports' || name === 'sizes') && fs.lstatSync(abs).isDirectory()) continue
      if (name === 'history' && fs.lstatSync(abs).isDirectory()) {
        for (const entry of historyLitter(abs)) litter.add(rel(entry))
        continue
      }
      if (name === 'builds' && fs.lstatSync(abs).isDirectory()) {
        const kept = new Set([manifest.buildDir, manifest.previousBuildDir].filter((d): d is string => typeof d === 'string'))
        for (const build of fs.readdirSync(abs)) if (!kept.has(path.join(abs, build))) litter.add(rel(path.join(abs, build)))
        continue
      }
      litter.add(rel(abs))
    }
  }

  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name)
      if (SIBLING_LITTER.test(entry.name) || LOCK_DEBRIS.test(entry.name) || ATOMIC_TEMP.test(entry.name) || (entry.name.startsWith('tx-') && entry.isDirectory())) litter.add(rel(abs))
      if (entry.isDirectory()) walk(abs)
    }
  }
  walk(root)
  return [...litter].sort()
}
