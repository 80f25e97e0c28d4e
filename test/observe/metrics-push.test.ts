/**
 * pushMetrics against a real prometheus-pushgateway, read back from its /metrics and through a
 * real prometheus scraping it (honor_labels); failures, credentials and timeouts against local
 * servers; serveMetrics over real HTTP.
 */
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { Counter, Gauge, Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EmitOptimizerError } from '../../src/errors.js'
import { encodeGroupingPair, parseGrouping, pushMetrics } from '../../src/observe/pushgateway.js'
import { serveMetrics } from '../../src/observe/metrics-server.js'
import { freePort, requireBinary, skipReason, startServer, type RunningServer } from '../support/binaries.js'

const PUSHGATEWAY = '/usr/bin/prometheus-pushgateway'
const PROMETHEUS = '/usr/bin/prometheus'
const hasPushgateway = requireBinary('prometheus-pushgateway', PUSHGATEWAY)
const hasPrometheus = requireBinary('prometheus', PROMETHEUS)

/** A registry shaped like the plugin's (the fixed metric names), with known values. */
function buildRegistry(written = 7): Registry {
  const registry = new Registry()
  const labels = { bundler: 'vite', project: 'demo-app' }
  const writes = new Counter({ name: 'emit_optimizer_writes_total', help: 'Files by outcome.', labelNames: ['bundler', 'project', 'status'], registers: [registry] })
  writes.inc({ ...labels, status: 'written' }, written)
  writes.inc({ ...labels, status: 'unchanged' }, 40)
  new Gauge({ name: 'emit_optimizer_last_success_timestamp_seconds', help: 'Last committed build.', labelNames: ['bundler', 'project'], registers: [registry] }).set(labels, 1_700_000_000)
  return registry
}

function recorder() {
  const warnings: string[] = []
  return { warnings, logger: { warn: (message: string) => warnings.push(message) } }
}

/** A local HTTP server answering with `handler`; closed by the returned function. */
async function localServer(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

describe('grouping encoding', () => {
  it('base64url-encodes values with "/" and empty values, URL-encodes the rest', () => {
    expect(encodeGroupingPair('branch', 'feature/x')).toBe(`/branch@base64/${Buffer.from('feature/x').toString('base64url')}`)
    expect(encodeGroupingPair('empty', '')).toBe('/empty@base64/=')
    expect(encodeGroupingPair('plain', 'a b')).toBe('/plain/a%20b')
    expect(parseGrouping('ci=github, branch=feature/x,')).toEqual({ ci: 'github', branch: 'feature/x' })
    expect(() => parseGrouping('oops')).toThrow(/without "="/)
  })
})

describe('pushMetrics without a Pushgateway answering', () => {
  it('does nothing without a URL', async () => {
    const { warnings, logger } = recorder()
    await pushMetrics(buildRegistry(), {}, logger, {})
    expect(warnings).toEqual([])
  })

  it('warns and resolves when the port is closed; rejects with EO_PUSH_FAILED when required', async () => {
    const url = `http://127.0.0.1:${await freePort()}`
    const { warnings, logger } = recorder()
    await pushMetrics(buildRegistry(), { url }, logger, {})
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/metrics push to http:\/\/127\.0\.0\.1:\d+ failed: .*ECONNREFUSED.*not affected/)

    const failure = await pushMetrics(buildRegistry(), { url, required: true }, logger, {}).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(EmitOptimizerError)
    expect((failure as EmitOptimizerError).code).toBe('EO_PUSH_FAILED')
    expect(warnings).toHaveLength(1)
  })

  it('never prints credentials from the URL or the environment', async () => {
    // The server echoes the Authorization header it got, so a leak would show in the message.
    const seen: string[] = []
    const server = await localServer((request, response) => {
      seen.push(request.headers.authorization ?? '')
      response.writeHead(401).end(`denied: ${request.headers.authorization}`)
    })
    try {
      const { warnings, logger } = recorder()
      const withUserinfo = server.url.replace('http://', 'http://urluser:url-s3cret-pw@')
      await pushMetrics(buildRegistry(), { url: withUserinfo }, logger, {})
      await pushMetrics(buildRegistry(), { url: server.url }, logger, { EMIT_OPTIMIZER_PUSHGATEWAY_AUTH: 'ciuser:env-s3cret-pw' })
      await pushMetrics(buildRegistry(), {}, logger, { EMIT_OPTIMIZER_PUSHGATEWAY_URL: server.url, EMIT_OPTIMIZER_PUSHGATEWAY_TOKEN: 'tok-s3cret-value' })
      const closed = `http://urluser:url-s3cret-pw@127.0.0.1:${await freePort()}`
      const failure = (await pushMetrics(buildRegistry(), { url: closed, required: true }, logger, {}).catch((error: unknown) => error)) as Error
      await pushMetrics(buildRegistry(), {}, logger, { EMIT_OPTIMIZER_PUSHGATEWAY_URL: 'http://u:not a url-s3cret@[' })

      // The credentials did reach the server, in the right scheme.
      expect(seen).toEqual([
        `Basic ${Buffer.from('urluser:url-s3cret-pw').toString('base64')}`,
        `Basic ${Buffer.from('ciuser:env-s3cret-pw').toString('base64')}`,
        'Bearer tok-s3cret-value',
      ])
      expect(warnings).toHaveLength(4)
      for (const text of [...warnings, failure.message]) {
        expect(text).not.toMatch(/s3cret|urluser|ciuser|dXJsdXNlcj|Y2l1c2Vy/)
      }
      expect(warnings[0]).toMatch(/HTTP 401/)
      expect(warnings[3]).toMatch(/not a valid URL \(value hidden/)
    } finally {
      await server.close()
    }
  })

  it('honours timeoutMs against a server that never answers', async () => {
    const server = await localServer(() => {
      // never responds
    })
    try {
      const { warnings, logger } = recorder()
      const started = performance.now()
      await pushMetrics(buildRegistry(), { url: server.url, timeoutMs: 300 }, logger, {})
      const elapsed = performance.now() - started
      expect(elapsed).toBeGreaterThanOrEqual(250)
      expect(elapsed).toBeLessThan(3000)
      expect(warnings[0]).toMatch(/no answer within 300 ms/)
    } finally {
      await server.close()
    }
  })
})

describe.skipIf(!hasPushgateway)(`pushMetrics to a real prometheus-pushgateway${skipReason('prometheus-pushgateway', hasPushgateway)}`, () => {
  let gateway: RunningServer
  let gatewayUrl: string
  let prometheus: RunningServer | undefined
  let scratch: string

  beforeAll(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-push-'))
    const port = await freePort()
    gatewayUrl = `http://127.0.0.1:${port}`
    gateway = await startServer(PUSHGATEWAY, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='], `${gatewayUrl}/-/ready`)
  })

  afterAll(async () => {
    await prometheus?.stop()
    await gateway?.stop()
    fs.rmSync(scratch, { recursive: true, force: true })
  })

  it('stores the build under its job and grouping labels, including "/" and empty values', async () => {
    const { warnings, logger } = recorder()
    await pushMetrics(buildRegistry(), { url: gatewayUrl, grouping: { branch: 'feature/x', empty: '', plain: 'a b' } }, logger, { EMIT_OPTIMIZER_PUSHGATEWAY_GROUPING: 'ci=github,branch=ignored' })
    expect(warnings).toEqual([])

    const text = await (await fetch(`${gatewayUrl}/metrics`)).text()
    const line = text.split('\n').find((l) => l.startsWith('emit_optimizer_writes_total{') && l.includes('status="written"'))
    expect(line, text).toBeDefined()
    expect(line).toContain('branch="feature/x"')
    expect(line).toContain('ci="github"')
    expect(line).toContain('job="emit-optimizer"')
    expect(line).toContain('plain="a b"')
    expect(line).toContain('bundler="vite"')
    expect(line).toContain('project="demo-app"')
    expect(line).toMatch(/ 7$/)

    // The gateway's API shows the grouping key itself: the empty label is part of it.
    const api = (await (await fetch(`${gatewayUrl}/api/v1/metrics`)).json()) as { data: Array<{ labels: Record<string, string> }> }
    expect(api.data.map((group) => group.labels)).toContainEqual({ job: 'emit-optimizer', branch: 'feature/x', ci: 'github', empty: '', plain: 'a b' })
  })

  it('replaces the group on the next push (PUT), so the gateway holds the last build', async () => {
    const { logger } = recorder()
    await pushMetrics(buildRegistry(3), { url: gatewayUrl, job: 'replace-test' }, logger, {})
    await pushMetrics(buildRegistry(11), { url: gatewayUrl, job: 'replace-test' }, logger, {})
    const text = await (await fetch(`${gatewayUrl}/metrics`)).text()
    const lines = text.split('\n').filter((l) => l.startsWith('emit_optimizer_writes_total{') && l.includes('job="replace-test"') && l.includes('status="written"'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/ 11$/)
  })

  it.skipIf(!hasPrometheus)(`is queryable through a real prometheus scraping the gateway${skipReason('prometheus', hasPrometheus)}`, async () => {
    const { warnings, logger } = recorder()
    await pushMetrics(buildRegistry(), { url: gatewayUrl, job: 'ci-build', grouping: { branch: 'release/1.0' } }, logger, {})
    expect(warnings).toEqual([])

    const port = await freePort()
    const config = path.join(scratch, 'prometheus.yml')
    fs.writeFileSync(config, [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: pushgateway',
      '    honor_labels: true',
      '    static_configs:',
      `      - targets: ['${new URL(gatewayUrl).host}']`,
      '',
    ].join('\n'))
    const promUrl = `http://127.0.0.1:${port}`
    prometheus = await startServer(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(scratch, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], `${promUrl}/-/ready`, 30_000)

    // Bounded poll (≤ 60 × 500 ms) until the first scrapes have landed.
    type Sample = { metric: Record<string, string>; value: [number, string] }
    const query = `${promUrl}/api/v1/query?query=${encodeURIComponent('emit_optimizer_writes_total{job="ci-build"}')}`
    let result: Sample[] = []
    for (let attempt = 0; attempt < 60 && result.length < 2; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 500))
      const body = (await (await fetch(query)).json()) as { status: string; data: { result: Sample[] } }
      expect(body.status).toBe('success')
      result = body.data.result
    }
    const written = result.find((sample) => sample.metric.status === 'written')
    expect(written, `${JSON.stringify(result)}\n${prometheus.output()}`).toBeDefined()
    // honor_labels keeps the pushed job and grouping labels instead of the scrape job's.
    expect(written!.metric).toMatchObject({ __name__: 'emit_optimizer_writes_total', job: 'ci-build', branch: 'release/1.0', bundler: 'vite', project: 'demo-app' })
    expect(written!.value[1]).toBe('7')
  }, 60_000)
})

describe('serveMetrics', () => {
  it('serves the registry at /metrics with its content type on loopback, and close() frees the port', async () => {
    const registry = buildRegistry()
    const port = await freePort()
    const { warnings, logger } = recorder()
    const server = await serveMetrics(registry, { port, host: '127.0.0.1' }, logger)
    expect(server.url).toBe(`http://127.0.0.1:${port}/metrics`)

    const response = await fetch(server.url)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe(registry.contentType)
    expect(await response.text()).toBe(await registry.metrics())
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404)
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405)
    expect(warnings).toEqual([])

    await server.close()
    await server.close()
    await expect(fetch(server.url)).rejects.toThrow()
    // The port is free again: something else can bind it.
    const again = await serveMetrics(registry, { port, host: '127.0.0.1' }, logger)
    await again.close()
  })

  it('reports the bound port for port 0, and rejects with EO_SERVE_FAILED when the port is taken', async () => {
    const { logger } = recorder()
    const first = await serveMetrics(new Registry(), { port: 0, host: '127.0.0.1' }, logger)
    try {
      const port = Number(new URL(first.url).port)
      expect(port).toBeGreaterThan(0)
      const failure = await serveMetrics(new Registry(), { port, host: '127.0.0.1' }, logger).catch((error: unknown) => error)
      expect((failure as EmitOptimizerError).code).toBe('EO_SERVE_FAILED')
      expect((failure as Error).message).toContain('EADDRINUSE')
    } finally {
      await first.close()
    }
  })
})
