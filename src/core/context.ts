import type { EngineFs } from './fs.js'
import type { Logger, ResolvedTransactionOptions } from './transaction-options.js'
import { IoQueue } from './queue.js'
import { statePaths, type StatePaths } from './state-dir.js'

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
  /** The builds dir of the state dir whose commit outDir holds, when another root's: the symlink strategy's link may point there. */
  ownerBuilds?: string
}

/** The context of one commit or recovery of `opts.outDir`, whose state lives in `stateDir`. */
export function createEngineContext(opts: ResolvedTransactionOptions, stateDir: string, fs: EngineFs = opts.fs): EngineContext {
  return {
    fs,
    queue: new IoQueue(opts.concurrency),
    outDir: opts.outDir,
    paths: statePaths(stateDir),
    fsync: opts.durability !== 'none',
    fsyncFiles: opts.durability === 'full',
    logger: opts.logger,
  }
}
