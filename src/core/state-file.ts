import { nodeCrypto } from './node-crypto.js'
import fs from 'node:fs'
import { promisify } from 'node:util'

const fsync = promisify(fs.fsync)

/**
 * Replaces a state file (journal, manifest) atomically: temp file beside it, fsync, rename.
 *
 * Not write-file-atomic, because that follows symlinks twice: a link planted at the target makes
 * it create its temp file beside the link's target and rename it over that target (a file
 * outside the state dir replaced), and its temp name is predictable and opened without O_EXCL, so
 * a link planted there is written through. Here the temp file is created exclusively ('wx' fails
 * on any existing entry, a dangling symlink included) and the rename replaces a link at the
 * target rather than following it. The temp name keeps write-file-atomic's `<name>.<digits>`
 * form, which recovery sweeps as litter.
 */
export async function writeStateFile(file: string, data: string, options: { fsync: boolean; mode: number }): Promise<void> {
  const temp = `${file}.${nodeCrypto().randomInt(2 ** 47)}`
  const fd = fs.openSync(temp, 'wx', options.mode)
  try {
    try {
      fs.writeFileSync(fd, data)
      if (options.fsync) await fsync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(temp, file)
  } catch (error) {
    fs.rmSync(temp, { force: true })
    throw error
  }
}
