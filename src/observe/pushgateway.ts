/**
 * Pushes a build's registry to a Prometheus Pushgateway (CI builds are batch jobs: nothing stays
 * up long enough to be scraped).
 *
 * `PUT <url>/metrics/job/<job>{/<label>/<value>}` replaces every metric of that group, so each push
 * holds exactly the last build. Values containing `/` (and empty values, which a path segment
 * cannot carry) use the Pushgateway's `<label>@base64/<base64url>` form.
 *
 * Configuration comes from the options, else the environment (for CI):
 * - `EMIT_OPTIMIZER_PUSHGATEWAY_URL`: no URL at all → no push.
 * - `EMIT_OPTIMIZER_PUSHGATEWAY_JOB`, `EMIT_OPTIMIZER_PUSHGATEWAY_GROUPING` ("k=v,k2=v2"; the
 *   option's keys win).
 * - `EMIT_OPTIMIZER_PUSHGATEWAY_TOKEN` (Bearer) or `EMIT_OPTIMIZER_PUSHGATEWAY_AUTH` ("user:pass",
 *   Basic); `user:pass@` in the URL also works. Secrets are never printed: the URL in messages has
 *   no userinfo and any secret text is masked.
 */
import type { Registry } from 'prom-client'
import { EmitOptimizerError } from '../errors.js'
import { OBSERVE_DEFAULTS, type PushOptions } from './observe-options.js'

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** One `/<name>/<value>` path pair in the Pushgateway's encoding. */
export function encodeGroupingPair(name: string, value: string): string {
  if (value === '' || value.includes('/')) return `/${name}@base64/${value === '' ? '=' : Buffer.from(value, 'utf8').toString('base64url')}`
  return `/${name}/${encodeURIComponent(value)}`
}

/** `k=v,k2=v2` → `{ k: 'v', k2: 'v2' }`; an entry without `=` is an error (a typo must not push to a wrong group). */
export function parseGrouping(text: string): Record<string, string> {
  const grouping: Record<string, string> = {}
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue
    const eq = entry.indexOf('=')
    if (eq < 0) throw new Error(`EMIT_OPTIMIZER_PUSHGATEWAY_GROUPING entry without "=": "${entry.trim()}" (expected "k=v,k2=v2")`)
    grouping[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim()
  }
  return grouping
}

interface Target {
  /** The request URL, without userinfo (fetch refuses credentials in URLs). */
  url: string
  /** The base URL as it may be printed. */
  shown: string
  headers: Record<string, string>
  secrets: string[]
}

function resolveTarget(base: string, push: PushOptions, env: NodeJS.ProcessEnv): Target {
  const secrets: string[] = []
  let parsed: URL
  try {
    parsed = new URL(base)
  } catch {
    // The raw text may hold a password: print nothing of it.
    throw new Error('the Pushgateway URL is not a valid URL (value hidden, it may hold credentials)')
  }
  const headers: Record<string, string> = {}
  const userinfo = parsed.username || parsed.password ? `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}` : undefined
  for (const secret of [parsed.username, parsed.password, userinfo]) if (secret) secrets.push(secret)
  parsed.username = ''
  parsed.password = ''
  const token = env.EMIT_OPTIMIZER_PUSHGATEWAY_TOKEN
  const auth = env.EMIT_OPTIMIZER_PUSHGATEWAY_AUTH
  if (token) {
    secrets.push(token)
    headers.authorization = `Bearer ${token}`
  } else if (auth || userinfo) {
    const pair = (auth || userinfo)!
    secrets.push(pair, ...pair.split(':').filter((part) => part.length >= 3))
    headers.authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`
  }
  if (headers.authorization) secrets.push(headers.authorization.slice(headers.authorization.indexOf(' ') + 1))

  const job = push.job ?? env.EMIT_OPTIMIZER_PUSHGATEWAY_JOB ?? OBSERVE_DEFAULTS.push.job
  if (job === '') throw new Error('the Pushgateway job name is empty')
  const grouping = { ...parseGrouping(env.EMIT_OPTIMIZER_PUSHGATEWAY_GROUPING ?? ''), ...push.grouping }
  let path = job.includes('/') ? `/metrics/job@base64/${Buffer.from(job, 'utf8').toString('base64url')}` : `/metrics/job/${encodeURIComponent(job)}`
  for (const [name, value] of Object.entries(grouping)) {
    if (!LABEL_NAME.test(name) || name === 'job')
      throw new Error(`invalid grouping label name "${name}" (Prometheus label names match [a-zA-Z_][a-zA-Z0-9_]* and "job" is the job)`)
    path += encodeGroupingPair(name, value)
  }
  const shown = parsed.toString().replace(/\/+$/, '')
  return { url: shown + path, shown, headers, secrets }
}

/** Replaces every secret (longest first, so a pair is masked before its parts) with `***`. */
function mask(text: string, secrets: string[]): string {
  let out = text
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('***')
  return out
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`
  if (error instanceof Error) {
    // fetch's own message is just "fetch failed"; the system error (ECONNREFUSED …) is the cause.
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
    return `${error.message}${cause}`
  }
  return String(error)
}

/**
 * PUTs `registry` to the Pushgateway. A failure is a warning through `logger`, or an
 * `EO_PUSH_FAILED` error when `push.required` is set. Resolves without doing anything when no
 * URL is configured.
 */
export async function pushMetrics(
  registry: Registry,
  push: PushOptions,
  logger: { warn(message: string): void },
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const base = push.url ?? env.EMIT_OPTIMIZER_PUSHGATEWAY_URL
  if (!base) return
  const timeoutMs = push.timeoutMs ?? OBSERVE_DEFAULTS.push.timeoutMs
  let target: Target | undefined
  try {
    target = resolveTarget(base, push, env)
    const body = await registry.metrics()
    const response = await fetch(target.url, {
      method: 'PUT',
      headers: { ...target.headers, 'content-type': registry.contentType },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    })
    if (!response.ok) {
      const text = (await response.text()).trim().slice(0, 300)
      throw new Error(`HTTP ${response.status} ${response.statusText}${text ? `: ${text}` : ''}`)
    }
  } catch (error) {
    const where = target ? ` to ${target.shown}` : ''
    const message = mask(`metrics push${where} failed: ${describe(error, timeoutMs)}.`, target?.secrets ?? [])
    if (push.required) {
      throw new EmitOptimizerError('EO_PUSH_FAILED', `${message} Check the Pushgateway URL and credentials, or unset metrics.push.required to only warn.`)
    }
    logger.warn(`[emit-optimizer] ${message} The build is not affected (set metrics.push.required to fail it).`)
  }
}
