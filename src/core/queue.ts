import { setTimeout as delay } from 'node:timers/promises'
import PQueue from 'p-queue'
import { errnoCode } from '../errors.js'

const FD_EXHAUSTED = new Set(['EMFILE', 'ENFILE'])
const MAX_FD_RETRIES = 8

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

  run<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.add(async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await task()
        } catch (error) {
          if (!FD_EXHAUSTED.has(errnoCode(error) ?? '') || attempt >= MAX_FD_RETRIES) throw error
          this.queue.concurrency = Math.max(1, Math.floor(this.queue.concurrency / 2))
          await delay(2 ** attempt)
        }
      }
    }) as Promise<T>
  }

  /**
   * Runs `task` for every item and waits for all of them to settle before rejecting with the
   * first error: a rollback must never race with operations still in flight.
   */
  async each<T, R>(items: Iterable<T>, task: (item: T) => Promise<R>): Promise<R[]> {
    const settled = await Promise.allSettled(Array.from(items, (item) => this.run(() => task(item))))
    const results: R[] = []
    for (const outcome of settled) {
      if (outcome.status === 'rejected') throw outcome.reason
      results.push(outcome.value)
    }
    return results
  }
}
