import fs from 'node:fs/promises'

/**
 * How many files `dir` holds (recursively; a missing dir holds 0). For the report of a build
 * that was not committed: its outDir keeps the previous output, and `files.total` says how much.
 */
export async function countFiles(dir: string): Promise<number> {
  try {
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
    return entries.filter((entry) => entry.isFile() || entry.isSymbolicLink()).length
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw error
  }
}
