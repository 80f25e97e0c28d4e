/**
 * Per-path write scheduling. Each path has at most one queued job (the newest content: a newer
 * write replaces the queued one and inherits its waiters) and at most one operation in flight.
 * A queued job starts once its path has been quiet for `debounceMs` (but no later than
 * `max(debounceMs, throttleMs)` after it was first queued) and at least `throttleMs` after the
 * start of the last job that really wrote the path (one that found the file unchanged does not
 * count: it cost a stat and a hash, not a write). One timer serves all paths; due jobs start in
 * one batch.
 *
 * Ordering: every write gets a sequence number when it is called. Exclusive operations
 * (transactions, edits, streams) take a lease on their paths; a queued job older than the
 * operation is absorbed by it (its waiters get the operation's result), a newer one stays queued
 * and runs after the lease ends. So newer content is never overwritten by older content.
 */

interface Waiter<R> {
  resolve(result: R): void
  reject(error: unknown): void
}

interface Job<V, R> {
  seq: number
  value: V
  firstAt: number
  lastAt: number
  waiters: Array<Waiter<R>>
}

interface Slot<V, R> {
  key: string
  pending: Job<V, R> | undefined
  /** Settles when the operation in flight on this path ends. */
  busy: Promise<void> | undefined
  /** When the last job that changed the file started. */
  lastWrite: number
}

export interface Timing {
  debounceMs: number
  throttleMs: number
}

/** Exclusive use of some paths; see `Coalescer.acquire`. */
export interface Lease<V, R> {
  /** The queued value of `key` if it was written before `seq`, left in the queue. */
  peek(key: string, seq: number): V | undefined
  /** Takes the queued value of `key` if it was written before `seq`; its waiters settle with this lease's result. */
  take(key: string, seq: number): V | undefined
  /** Ends the lease; absorbed waiters get the result for their key, or the error. */
  release(outcome: { result: (key: string) => R } | { error: unknown }): void
}

type Perform<V, R> = (key: string, value: V) => Promise<R>

export class Coalescer<V, R> {
  private readonly slots = new Map<string, Slot<V, R>>()
  /** Slots with a queued job or an operation in flight. */
  private readonly active = new Set<Slot<V, R>>()
  private timer: { at: number; handle: NodeJS.Timeout | NodeJS.Immediate; immediate: boolean } | undefined
  private expediting = 0
  private failures: unknown[] = []
  private seq = 0

  constructor(
    private readonly perform: Perform<V, R>,
    /** Whether a job's result means the file was written (only those count for the throttle). */
    private readonly wrote: (result: R) => boolean,
    private readonly timing: Timing,
  ) {}

  /** A new sequence number; call it when the write is requested, not when it runs. */
  nextSeq(): number {
    return ++this.seq
  }

  enqueue(key: string, seq: number, value: V): Promise<R> {
    const slot = this.slot(key)
    const now = performance.now()
    const { promise, waiter } = deferred<R>()
    const previous = slot.pending
    slot.pending = { seq, value, firstAt: previous?.firstAt ?? now, lastAt: now, waiters: [...(previous?.waiters ?? []), waiter] }
    this.active.add(slot)
    this.arm(this.dueAt(slot))
    return promise
  }

  /** Waits until nothing is in flight on `keys`, then holds them until `release`. */
  async acquire(keys: Iterable<string>): Promise<Lease<V, R>> {
    const slots = [...new Set(keys)].map((key) => this.slot(key))
    for (let busy = slots.find((slot) => slot.busy); busy; busy = slots.find((slot) => slot.busy)) await busy.busy
    const { promise: done, waiter: finish } = deferred<void>()
    for (const slot of slots) {
      slot.busy = done
      this.active.add(slot)
    }
    const taken = new Map<string, Job<V, R>>()
    const older = (key: string, seq: number): Job<V, R> | undefined => {
      const slot = this.slot(key)
      if (slot.busy !== done) throw new Error(`coalescer: "${key}" is not part of this lease`)
      return slot.pending && slot.pending.seq < seq ? slot.pending : undefined
    }
    return {
      peek: (key, seq) => older(key, seq)?.value,
      take: (key, seq) => {
        const job = older(key, seq)
        if (!job) return undefined
        taken.set(key, job)
        this.slot(key).pending = undefined
        return job.value
      },
      release: (outcome) => {
        for (const [key, job] of taken) settle(job.waiters, 'error' in outcome ? outcome : { value: outcome.result(key) })
        for (const slot of slots) this.finish(slot)
        finish.resolve()
      },
    }
  }

  /** Writes everything queued now (ignoring debounce and throttle) and waits until it is on disk; rejects with the first failure since the last flush. */
  async flush(): Promise<void> {
    this.expediting++
    try {
      for (;;) {
        const waits: Array<Promise<unknown>> = []
        for (const slot of this.active) {
          if (slot.busy) waits.push(slot.busy)
          else if (slot.pending) waits.push(new Promise<void>((resolve) => slot.pending!.waiters.push({ resolve: () => resolve(), reject: () => resolve() })))
        }
        if (waits.length === 0) break
        this.arm(0)
        await Promise.all(waits)
      }
    } finally {
      this.expediting--
    }
    const failures = this.failures.splice(0)
    if (failures.length === 1) throw failures[0]
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} writes failed; see .errors`)
  }

  /** Writes the queued job of `key` now, if any, and waits for it. */
  async flushKey(key: string): Promise<void> {
    const slot = this.slots.get(key)
    if (!slot) return
    while (slot.pending || slot.busy) {
      if (slot.busy) {
        await slot.busy
        continue
      }
      const job = slot.pending!
      await new Promise<void>((resolve) => {
        job.waiters.push({ resolve: () => resolve(), reject: () => resolve() })
        this.start(slot)
      })
    }
  }

  private slot(key: string): Slot<V, R> {
    let slot = this.slots.get(key)
    if (!slot) {
      slot = { key, pending: undefined, busy: undefined, lastWrite: Number.NEGATIVE_INFINITY }
      this.slots.set(key, slot)
    }
    return slot
  }

  private dueAt(slot: Slot<V, R>): number {
    const job = slot.pending!
    if (this.expediting > 0) return 0
    const { debounceMs, throttleMs } = this.timing
    const quiet = Math.min(job.lastAt + debounceMs, job.firstAt + Math.max(debounceMs, throttleMs))
    return Math.max(quiet, slot.lastWrite + throttleMs)
  }

  /** Makes sure the timer fires no later than `at` (performance.now() time). */
  private arm(at: number): void {
    if (this.timer && this.timer.at <= at) return
    if (this.timer) {
      if (this.timer.immediate) clearImmediate(this.timer.handle as NodeJS.Immediate)
      else clearTimeout(this.timer.handle as NodeJS.Timeout)
    }
    const delay = at - performance.now()
    // setImmediate, not a microtask: writes made in the same tick (a loop without awaits) merge.
    this.timer =
      delay <= 0
        ? { at, handle: setImmediate(() => this.tick()), immediate: true }
        : { at, handle: setTimeout(() => this.tick(), Math.ceil(delay)), immediate: false }
  }

  private tick(): void {
    this.timer = undefined
    const now = performance.now()
    let next = Number.POSITIVE_INFINITY
    for (const slot of this.active) {
      if (!slot.pending || slot.busy) continue
      const due = this.dueAt(slot)
      if (due <= now) this.start(slot)
      else next = Math.min(next, due)
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next)
  }

  private start(slot: Slot<V, R>): void {
    const job = slot.pending!
    slot.pending = undefined
    const startedAt = performance.now()
    const { promise: done, waiter: finish } = deferred<void>()
    slot.busy = done
    this.perform(slot.key, job.value).then(
      (value) => {
        if (this.wrote(value)) slot.lastWrite = startedAt
        settle(job.waiters, { value })
      },
      (error: unknown) => {
        this.failures.push(error)
        settle(job.waiters, { error })
      },
    ).finally(() => {
      this.finish(slot)
      finish.resolve()
    })
  }

  /** Clears `busy` and schedules what was queued meanwhile. */
  private finish(slot: Slot<V, R>): void {
    slot.busy = undefined
    if (slot.pending) this.arm(this.dueAt(slot))
    else this.active.delete(slot)
  }
}

function deferred<T>(): { promise: Promise<T>; waiter: Waiter<T> } {
  let waiter!: Waiter<T>
  const promise = new Promise<T>((resolve, reject) => {
    waiter = { resolve, reject }
  })
  // A caller may fire and forget, then learn about failures from flush(): never an unhandled rejection.
  promise.catch(() => {})
  return { promise, waiter }
}

function settle<R>(waiters: Array<Waiter<R>>, outcome: { value: R } | { error: unknown }): void {
  for (const waiter of waiters) {
    if ('error' in outcome) waiter.reject(outcome.error)
    else waiter.resolve(outcome.value)
  }
}
