import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { EmitOptimizerError } from '../../src/errors.js'
import { nodeFs, type EngineFs } from '../../src/core/fs.js'
import { acquireLock, processStartTicks, readLock, type LockInfo } from '../../src/core/lock.js'
import { killProcesses } from '../support/children.js'

let dir: string
let lockPath: string
const children: ChildProcess[] = []

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-lock-'))
  lockPath = path.join(dir, '.emit-optimizer.lock')
})

afterEach(async () => {
  await killProcesses(children)
  fs.rmSync(dir, { recursive: true, force: true })
})

const opts = (timeoutMs: number, efs?: EngineFs) => ({ timeoutMs, outDir: dir, ...(efs ? { fs: efs } : {}) })

function writeLock(info: Partial<LockInfo>, file = lockPath): LockInfo {
  const full: LockInfo = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), token: 'foreign', ...info }
  fs.writeFileSync(file, JSON.stringify(full))
  return full
}

/** The pid of a node process that has exited (and been reaped). */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(result.stdout)
}

/** A live node child that has run `setup` and says so on stdout; killed after the test. */
async function liveChild(setup = ''): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', `${setup}; process.stdout.write('ready'); setInterval(() => {}, 1000)`], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  await once(child.stdout!, 'data')
  return child as ChildProcess & { pid: number }
}

/** nodeFs with a hook that runs before chosen calls; the files underneath stay real. */
function hookedFs(hooks: Partial<Record<keyof EngineFs, (...args: string[]) => void | Promise<void>>>): EngineFs {
  const wrapped = { ...nodeFs } as Record<string, unknown>
  for (const [name, hook] of Object.entries(hooks)) {
    const inner = nodeFs[name as keyof EngineFs] as (...args: unknown[]) => Promise<unknown>
    wrapped[name] = async (...args: string[]) => {
      await hook(...args)
      return inner(...args)
    }
  }
  return wrapped as unknown as EngineFs
}

async function expectLocked(promise: Promise<unknown>): Promise<EmitOptimizerError> {
  const error = await promise.then(
    () => expect.fail('expected EO_LOCKED'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(EmitOptimizerError)
  expect((error as EmitOptimizerError).code).toBe('EO_LOCKED')
  expect((error as EmitOptimizerError).path).toBe(lockPath)
  return error as EmitOptimizerError
}

/** Leftovers of a takeover: claims (`.takeover-*`) and moved-aside files (`.stale-*`). */
const strayFiles = () => fs.readdirSync(dir).filter((name) => /\.(stale|takeover)-/.test(name))
const claimPath = (token: string) => `${lockPath}.takeover-${createHash('sha256').update(token).digest('hex').slice(0, 16)}`

/** Runs `count` acquirers at once; each holds the lock across an fs round trip. Returns the most holders seen at once. */
async function contend(count: number, efs?: EngineFs): Promise<number> {
  let active = 0
  let most = 0
  const scratch = path.join(dir, 'scratch')
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const handle = await acquireLock(lockPath, opts(30_000, efs))
      most = Math.max(most, ++active)
      await fs.promises.writeFile(scratch, String(i))
      await fs.promises.readFile(scratch)
      active--
      await handle.release()
    }),
  )
  return most
}

describe('acquireLock', () => {
  it('sweeps the claim of a killed taker once it holds the lock, but not a fresh moved-aside file', async () => {
    // A claim hard-linked to a stale lock file that is gone; a moved-aside file a live taker may still read.
    fs.writeFileSync(`${lockPath}.old`, '{}')
    fs.linkSync(`${lockPath}.old`, claimPath('dead-taker'))
    fs.unlinkSync(`${lockPath}.old`)
    const freshAside = `${lockPath}.stale-fedcba9876543210`
    fs.writeFileSync(freshAside, '{}')
    const handle = await acquireLock(lockPath, opts(1_000))
    expect(fs.existsSync(claimPath('dead-taker'))).toBe(false)
    expect(fs.existsSync(freshAside)).toBe(true)
    await handle.release()
  })

  it('creates a 0o600 lock file with our info and release removes it', async () => {
    const handle = await acquireLock(lockPath, opts(1_000))
    expect(handle.path).toBe(lockPath)
    expect(handle.info).toMatchObject({ pid: process.pid, host: os.hostname() })
    expect(handle.info.token).toMatch(/^[0-9a-f]{32}$/)
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8'))).toEqual(handle.info)
    if (process.platform !== 'win32') expect(fs.statSync(lockPath).mode & 0o777).toBe(0o600)
    expect(await readLock(lockPath)).toEqual({ ...handle.info, alive: true })

    await handle.release()
    expect(fs.existsSync(lockPath)).toBe(false)
    expect(await readLock(lockPath)).toBeUndefined()
  })

  it('creates a missing parent directory', async () => {
    const nested = path.join(dir, 'a', 'b', 'x.lock')
    const handle = await acquireLock(nested, opts(1_000))
    expect(fs.existsSync(nested)).toBe(true)
    await handle.release()
  })

  it('is not re-entrant: a second acquire in the same process waits for the release', async () => {
    const first = await acquireLock(lockPath, opts(1_000))
    let inspections = 0
    let sawHeldTwice!: () => void
    const heldTwice = new Promise<void>((resolve) => (sawHeldTwice = resolve))
    const watching = hookedFs({
      readFile: (file) => {
        if (file === lockPath && ++inspections === 2) sawHeldTwice()
      },
    })
    const order: string[] = []
    const second = acquireLock(lockPath, opts(30_000, watching)).then((handle) => {
      order.push('second acquired')
      return handle
    })
    // It found the lock held, backed off and found it held again.
    await heldTwice
    expect(order).toEqual([])
    order.push('first released')
    await first.release()
    const handle = await second
    expect(order).toEqual(['first released', 'second acquired'])
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).token).toBe(handle.info.token)
    await handle.release()
  })

  it('fails with EO_LOCKED naming pid, host, path and the fix when a live process holds the lock', async () => {
    const child = await liveChild()
    const held = writeLock({ pid: child.pid, procStart: processStartTicks(child.pid) })
    expect(await readLock(lockPath)).toMatchObject({ pid: child.pid, alive: true })

    const started = performance.now()
    const error = await expectLocked(acquireLock(lockPath, opts(300)))
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    expect(error.message).toContain(lockPath)
    expect(error.message).toContain(dir)
    expect(error.message).toContain(`pid ${child.pid}`)
    expect(error.message).toContain(os.hostname())
    expect(error.message).toContain(held.startedAt)
    expect(error.message).toContain('a lock of a dead process is taken over automatically')
    // The holder's file is untouched.
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).token).toBe('foreign')
  })

  it('waits on a lock of another host even when the pid does not exist here', async () => {
    writeLock({ pid: deadPid(), host: 'some-other-host.invalid' })
    expect(await readLock(lockPath)).toMatchObject({ alive: true })
    const error = await expectLocked(acquireLock(lockPath, opts(50)))
    expect(error.message).toContain('some-other-host.invalid')
  })

  it('takes over at once a lock whose process has exited', async () => {
    writeLock({ pid: deadPid() })
    expect(await readLock(lockPath)).toMatchObject({ alive: false })
    // timeoutMs 0: any waiting would throw.
    const handle = await acquireLock(lockPath, opts(0))
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).token).toBe(handle.info.token)
    expect(strayFiles()).toEqual([])
    await handle.release()
  })

  it.skipIf(process.platform !== 'linux')('takes over a lock whose pid was reused (procStart differs; Linux only)', async () => {
    const own = processStartTicks(process.pid)
    expect(own).toMatch(/^\d+$/)
    writeLock({ pid: process.pid, procStart: `${own}1` })
    expect(await readLock(lockPath)).toMatchObject({ alive: false })
    const handle = await acquireLock(lockPath, opts(0))
    expect(handle.info.procStart).toBe(own)
    await handle.release()
  })

  it('takes over an empty or unparseable lock file older than 2 s', async () => {
    for (const content of ['', '{"pid": 12', 'null', '{"pid":0,"host":"h","startedAt":"","token":"t"}']) {
      fs.writeFileSync(lockPath, content)
      const past = new Date(Date.now() - 10_000)
      fs.utimesSync(lockPath, past, past)
      expect(await readLock(lockPath)).toBeUndefined()
      const handle = await acquireLock(lockPath, opts(0))
      expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).token).toBe(handle.info.token)
      await handle.release()
    }
    expect(strayFiles()).toEqual([])
  })

  it('treats a fresh empty lock file as held (its writer may be about to fill it)', async () => {
    fs.writeFileSync(lockPath, '')
    const error = await expectLocked(acquireLock(lockPath, opts(100)))
    expect(error.message).toContain(lockPath)
    expect(error.message).toContain('empty or unparseable')
    expect(fs.readFileSync(lockPath, 'utf8')).toBe('')
  })

  it('backs off without touching the lock when its view of the stale lock is outdated', async () => {
    writeLock({ pid: deadPid(), token: 'stale' })
    const renamed: string[] = []
    // Another process takes over first: between our read and our claim the stale file is
    // replaced by its live lock, so we claim (hard-link) the live one.
    const racing = hookedFs({
      link: (_existing, claim) => {
        if (!claim?.includes('.takeover-')) return
        fs.unlinkSync(lockPath)
        writeLock({ token: 'winner', procStart: processStartTicks(process.pid) })
      },
      rename: (from) => void renamed.push(from),
    })
    await expectLocked(acquireLock(lockPath, opts(100, racing)))
    expect(renamed).toEqual([])
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).token).toBe('winner')
    expect(strayFiles()).toEqual([])
  })

  it('puts back a live lock that replaced the stale one just before the takeover rename', async () => {
    writeLock({ pid: deadPid(), token: 'stale' })
    // Only possible when a stalled taker lost its claim; simulated by swapping the file here.
    const racing = hookedFs({
      rename: (from) => {
        if (from !== lockPath) return
        fs.unlinkSync(lockPath)
        writeLock({ token: 'winner', procStart: processStartTicks(process.pid) })
      },
    })
    await expectLocked(acquireLock(lockPath, opts(100, racing)))
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).token).toBe('winner')
    expect(strayFiles()).toEqual([])
  })

  it('waits while another taker holds a fresh claim on the stale lock', async () => {
    writeLock({ pid: deadPid(), token: 'stale' })
    fs.linkSync(lockPath, claimPath('stale'))
    await expectLocked(acquireLock(lockPath, opts(100)))
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).token).toBe('stale')
  })

  it('breaks a claim abandoned for more than 2 s and takes over', async () => {
    writeLock({ pid: deadPid(), token: 'stale' })
    fs.linkSync(lockPath, claimPath('stale'))
    // The claim's ctime cannot be set back, so move the clock forward instead.
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      vi.setSystemTime(Date.now() + 10_000)
      const handle = await acquireLock(lockPath, opts(0))
      expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).token).toBe(handle.info.token)
      expect(strayFiles()).toEqual([])
      await handle.release()
    } finally {
      vi.useRealTimers()
    }
  })

  it('lets exactly one of 8 concurrent acquirers hold the lock at a time', async () => {
    expect(await contend(8)).toBe(1)
    expect(fs.existsSync(lockPath)).toBe(false)
  })

  it('lets exactly one of 6 concurrent takeovers of one stale lock hold it at a time', async () => {
    const pid = deadPid()
    for (let round = 0; round < 20; round++) {
      writeLock({ pid, token: `stale-${round}` })
      expect(await contend(6)).toBe(1)
      expect(fs.existsSync(lockPath)).toBe(false)
      expect(strayFiles()).toEqual([])
    }
  })
})

describe('release', () => {
  it('is idempotent and tolerates a missing file', async () => {
    const handle = await acquireLock(lockPath, opts(1_000))
    await Promise.all([handle.release(), handle.release()])
    await handle.release()
    expect(fs.existsSync(lockPath)).toBe(false)

    const other = await acquireLock(lockPath, opts(1_000))
    fs.unlinkSync(lockPath)
    await expect(other.release()).resolves.toBeUndefined()
  })

  it('leaves a lock that now holds someone else’s token', async () => {
    const first = await acquireLock(lockPath, opts(1_000))
    await first.release()
    const second = await acquireLock(lockPath, opts(1_000))
    await first.release()
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).token).toBe(second.info.token)

    // Not yet released, but its file was replaced behind its back.
    const third = await acquireLock(path.join(dir, 'other.lock'), opts(1_000))
    writeLock({ token: 'someone-else' }, third.path)
    await third.release()
    expect(JSON.parse(fs.readFileSync(third.path, 'utf8')).token).toBe('someone-else')
    await second.release()
  })
})

describe('processStartTicks', () => {
  it.skipIf(process.platform !== 'linux')('reads field 22 even when the command name contains spaces and ")" (Linux only)', async () => {
    const child = await liveChild('process.title = "x) (y z) 1 2 3"')
    expect(fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8')).toContain('(x) (y z) 1 2 3)')
    const ticks = processStartTicks(child.pid)
    expect(ticks).toMatch(/^\d+$/)
    // The child started after this process.
    expect(Number(ticks)).toBeGreaterThanOrEqual(Number(processStartTicks(process.pid)))
  })

  it('is undefined for a process that does not exist', () => {
    expect(processStartTicks(deadPid())).toBeUndefined()
  })
})
