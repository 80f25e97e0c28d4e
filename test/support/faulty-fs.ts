/**
 * An EngineFs that fails chosen calls with real-looking errno errors while the files underneath
 * stay real (it wraps `nodeFs`). Every call is recorded, so a test can check *which* call failed
 * and what came before and after it.
 */
import { constants } from 'node:os'
import { nodeFs, type EngineFs } from '../../src/core/fs.js'

export type FaultCode = 'ENOSPC' | 'EIO' | 'EACCES' | 'EPERM' | 'EMFILE' | 'EXDEV' | 'ENAMETOOLONG' | 'EROFS'

export interface FaultRule {
  op: keyof EngineFs
  /** Matched against the call's (first) path: `from` for rename/link, the link's path for symlink. Absent = any. */
  path?: RegExp
  /** rename/link/symlink: matched against the destination. Absent = any. */
  to?: RegExp
  code: FaultCode
  /** How many matching calls fail. @default 1 */
  times?: number
  /** Matching calls to let through before failing. @default 0 */
  after?: number
}

export interface FsCall {
  seq: number
  op: keyof EngineFs
  path: string
  to?: string
  /** The injected error code, if this call was failed. */
  failed?: FaultCode
}

export interface FaultyFs {
  fs: EngineFs
  /** Every call, in call order. */
  calls: FsCall[]
  /** The calls that were failed. */
  injected(): FsCall[]
  /** Calls of `op` whose path (or destination) matches. */
  matching(op: keyof EngineFs, re: RegExp): FsCall[]
}

/** The destination argument of the two-path calls, and which argument names "the path". */
function pathsOf(op: keyof EngineFs, args: unknown[]): { path: string; to?: string } {
  if (op === 'rename' || op === 'link' || op === 'copyFile') return { path: String(args[0]), to: String(args[1]) }
  if (op === 'symlink') return { path: String(args[1]), to: String(args[1]) }
  return { path: String(args[0]) }
}

export function injectedError(code: FaultCode, op: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected, ${op} '${file}'`), { code, errno: -(constants.errno[code] ?? 5), syscall: op, path: file })
}

export function faultyFs(rules: readonly FaultRule[], inner: EngineFs = nodeFs): FaultyFs {
  const state = rules.map((rule) => ({ rule, seen: 0, failed: 0 }))
  const calls: FsCall[] = []
  const wrapped = {} as Record<string, unknown>
  for (const [name, fn] of Object.entries(inner) as Array<[keyof EngineFs, (...args: unknown[]) => Promise<unknown>]>) {
    wrapped[name] = async (...args: unknown[]) => {
      const { path, to } = pathsOf(name, args)
      const call: FsCall = { seq: calls.length, op: name, path, ...(to === undefined ? {} : { to }) }
      calls.push(call)
      for (const entry of state) {
        const { rule } = entry
        if (rule.op !== name) continue
        if (rule.path && !rule.path.test(path)) continue
        if (rule.to && !(to !== undefined && rule.to.test(to))) continue
        entry.seen++
        if (entry.seen <= (rule.after ?? 0) || entry.failed >= (rule.times ?? 1)) continue
        entry.failed++
        call.failed = rule.code
        throw injectedError(rule.code, name, path)
      }
      return fn(...args)
    }
  }
  return {
    fs: wrapped as unknown as EngineFs,
    calls,
    injected: () => calls.filter((call) => call.failed !== undefined),
    matching: (op, re) => calls.filter((call) => call.op === op && (re.test(call.path) || (call.to !== undefined && re.test(call.to)))),
  }
}
