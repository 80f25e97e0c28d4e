import { setTimeout as delay } from 'node:timers/promises'
import type PQueue from 'p-queue'
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
/** p-queue (5 modules) is loaded by the first queued operation, not when the plugin is imported. */
let loading: Promise<typeof PQueue> | undefined
export const loadPQueue = (): Promise<typeof PQueue> => (loading ??= import('p-queue').then((m) => m.default))

export class IoQueue {
  private queue: PQueue | undefined

  constructor(private readonly initialConcurrency: number) {}

  get concurrency(): number {
    return this.queue?.concurrency ?? this.initialConcurrency
  }

  private async started(): Promise<PQueue> {
    if (this.queue) return this.queue
    const Queue = await loadPQueue()
    return (this.queue ??= new Queue({ concurrency: this.initialConcurrency }))
  }

  private async retrying<T>(task: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await task()
      } catch (error) {
        if (!FD_EXHAUSTED.has(errnoCode(error) ?? '') || attempt >= MAX_FD_RETRIES) throw error
        const queue = await this.started()
        queue.concurrency = Math.max(1, Math.floor(queue.concurrency / 2))
        await delay(2 ** attempt)
      }
    }
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    const queue = await this.started()
    return (await queue.add(() => this.retrying(task))) as T
  }

  /**
   * Runs `task` for every item, in batches, and rejects with the first error only once every
   * started operation has settled (a rollback must never race with operations in flight). After
   * an error no new item starts.
   */
  async each<T, R>(items: Iterable<T>, task: (item: T) => Promise<R>): Promise<R[]> {
    const list = Array.from(items)
    const queue = await this.started()
    const results = new Array<R>(list.length)
    let failure: { error: unknown } | undefined
    const batches: Array<Promise<void>> = []
    for (let start = 0; start < list.length; start += BATCH) {
      batches.push(
        queue.add(async () => {
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
