import type { Stats } from 'node:fs'
import type { ManifestEntry } from './manifest.js'

/**
 * Whether a stat alone proves that a file still holds what the last commit recorded, so its bytes
 * need not be read. Size, mode, mtime and inode must match, and the inode must not have changed
 * since the manifest was written (`manifestWrittenMs`, its mtime): ctime moves on every write,
 * truncate, chmod and utimes and cannot be set back, so an in-place edit that restores size and
 * mtime (`touch -r`, `cp -p`) is caught too. A change within the clock tick of the manifest write
 * has an equal ctime, so equal is not proof (as git's "racily clean" entries): such files are
 * compared by content once, and the manifest rewritten then makes them provable.
 */
export function statProvesUnchanged(entry: ManifestEntry, stats: Stats, manifestWrittenMs: number): boolean {
  return (
    stats.isFile() &&
    stats.size === entry.size &&
    (stats.mode & 0o7777) === entry.mode &&
    stats.mtimeMs === entry.mtimeMs &&
    stats.ino === entry.ino &&
    stats.ctimeMs < manifestWrittenMs
  )
}
