import fs from 'node:fs'
import path from 'node:path'
import { isTempFile } from './atomic-write.js'
import type { Writer } from './writer.js'

/**
 * Loop protection for Vite's `server.watcher` (chokidar) or any watcher that reports paths: a
 * predicate that is true when an event for `file` was caused by `writer` itself, so a plugin
 * that regenerates on changes does not react to its own output:
 *
 * ```ts
 * const ignore = ignoreOwnWrites(writer)
 * server.watcher.on('all', (event, file) => { if (!ignore(file)) regenerate(file) })
 * ```
 *
 * True when the file is exactly what the writer last wrote (or verified unchanged): same size,
 * mtime, ctime and inode as recorded right after its rename, so nobody touched it since (the
 * recorded hash is then the content's); when it is one of the writer's temp files
 * (`.<name>.<random>.eo-tmp`); or when it is gone and the writer deleted it. Any edit by a
 * person or another tool changes mtime/ctime, so their events pass. A stat per event, no read.
 */
export function ignoreOwnWrites(writer: Writer): (file: string) => boolean {
  return (file) => {
    const abs = path.resolve(writer.root, file)
    const rel = path.relative(writer.root, abs)
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return false
    if (isTempFile(abs)) return true
    try {
      let stats: fs.Stats
      try {
        stats = fs.lstatSync(abs)
      } catch {
        return writer.deletedByWriter(abs)
      }
      const record = writer.recorded(abs)
      return (
        record !== undefined &&
        stats.isFile() &&
        record.size === stats.size &&
        record.mtimeMs === stats.mtimeMs &&
        record.ctimeMs === stats.ctimeMs &&
        record.ino === stats.ino
      )
    } catch {
      // A name the writer would refuse (e.g. a control character) is never one it wrote.
      return false
    }
  }
}
