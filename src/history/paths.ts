import path from 'node:path'

/**
 * The build history of one outDir, inside its state dir:
 *
 *   history/index.json            every version's summary, oldest first (a cache: rebuilt from versions/)
 *   history/versions/<id>.json    one version: when, bundler, git commit, path → size, sha256, mode
 *   history/objects/<sha256>      file contents, stored once however many versions use them
 *
 * objects/ is flat: ext4, XFS, btrfs and APFS index large directories, and git-style prefix
 * directories measured 38 ms for the 256 mkdirs of a cold 2000-file commit on this project's disk.
 */
export interface HistoryPaths {
  dir: string
  index: string
  versions: string
  objects: string
  version(id: string): string
  object(sha256: string): string
}

export function historyPaths(stateDir: string): HistoryPaths {
  const dir = path.join(stateDir, 'history')
  const versions = path.join(dir, 'versions')
  const objects = path.join(dir, 'objects')
  return {
    dir,
    index: path.join(dir, 'index.json'),
    versions,
    objects,
    version: (id) => path.join(versions, `${id}.json`),
    object: (sha256) => path.join(objects, sha256),
  }
}

/** Version ids are transaction ids (`<base36 time>-<8 hex>`): safe as file names. */
export const VERSION_ID = /^[0-9a-z]+-[0-9a-f]{8}$/
