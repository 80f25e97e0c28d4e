import type { EngineFs } from './fs.js'
import type { Logger } from './transaction-options.js'
import type { IoQueue } from './queue.js'
import type { StatePaths } from './state-dir.js'

/** What commit and recovery share: the fs, the I/O queue, and where things are. */
export interface EngineContext {
  fs: EngineFs
  queue: IoQueue
  outDir: string
  paths: StatePaths
  /** durability is `commit` or `full`: fsync the journal, manifest and touched directories. */
  fsync: boolean
  /** durability is `full`: also fsync every published file's data. */
  fsyncFiles: boolean
  logger: Logger
}
