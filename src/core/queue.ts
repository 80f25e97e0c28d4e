import { setTimeout as delay } from 'node:timers/promises'
import PQueue from 'p-queue'
import { errnoCode } from '../errors.js'

const FD_EXHAUSTED = new Set(['EMFILE', 'ENFILE'])
const MAX_FD_RETRIES = 8
/** Items per queue task: per-task scheduling costs about as much as a metadata syscall. */
const BATCH = 32

/**
 * Bounded I/O queue. File descriptor exhaustion (EMFILE/ENFILE, e.g. when other code in the
 * process holds many files) halves the concurrency and retries with backoff instead of failing
 * the build; at concurrency 1 it still retries a few times before giving up.
 */
export class IoQueue {
  private readonly queue: PQueue

  constructor(concurrency: number) {
    this.queue = new PQueue({ concurrency })
  }

  get concurrency(): number {
    return this.queue.concurrency
  }

  private async retrying<T>(task: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await task()
      } catch (error) {
        if (!FD_EXHAUSTED.has(errnoCode(error) ?? '') || attempt >= MAX_FD_RETRIES) throw error
        this.queue.concurrency = Math.max(1, Math.floor(this.queue.concurrency / 2))
        await delay(2 ** attempt)
      }
    }
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.add(() => this.retrying(task)) as Promise<T>
  }

  /**
   * Runs `task` for every item, in batches, and rejects with the first error only once every
   * started operation has settled (a rollback must never race with operations in flight). After
   * an error no new item starts.
   */
  async each<T, R>(items: Iterable<T>, task: (item: T) => Promise<R>): Promise<R[]> {
    const list = Array.from(items)
    const results = new Array<R>(list.length)
    let failure: { error: unknown } | undefined
    const batches: Array<Promise<void>> = []
    for (let start = 0; start < list.length; start += BATCH) {
      batches.push(
        this.queue.add(async () => {
          for (let i = start; i < Math.min(start + BATCH, list.length) && !failure; i++) {
            try {
              results[i] = await this.retrying(() => task(list[i]!))
            } catch (error) {
              failure ??= { error }
            }
          }
        }),
      )
    }
    await Promise.all(batches)
    if (failure) throw failure.error
    return results
  }
}
