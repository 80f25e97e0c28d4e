/**
 * A `/metrics` endpoint for watch mode, where the process lives long enough to be scraped.
 *
 * Binds loopback unless told otherwise (build metrics are nobody else's business), and never keeps
 * the process alive by itself: the server is unref'd, so when the bundler's watcher ends the process
 * exits and the socket with it; an `exit` listener closes it explicitly too.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import { EmitOptimizerError } from '../errors.js'

export interface MetricsServer {
  /** `http://<host>:<port>/metrics`, with the port actually bound (useful with port 0). */
  url: string
  /** Stops listening and drops open (keep-alive) connections; safe to call twice. */
  close(): Promise<void>
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

export async function serveMetrics(registry: Registry, serve: { port: number; host: string }, logger: { warn(message: string): void }): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const pathname = (request.url ?? '/').split('?')[0]
    if (pathname !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: the metrics are at /metrics\n')
      return
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n')
      return
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' })
        response.end(request.method === 'HEAD' ? undefined : text)
      },
      (error: unknown) => {
        logger.warn(`[emit-optimizer] collecting metrics for /metrics failed: ${error instanceof Error ? error.message : String(error)}`)
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Collecting metrics failed\n')
      },
    )
  })

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new EmitOptimizerError(
          'EO_SERVE_FAILED',
          `cannot serve /metrics on "${serve.host}:${serve.port}" (${error.code ?? error.message}). Pick another metrics.serve port, or 0 for any free one.`,
          { cause: error },
        ),
      )
    }
    server.once('error', onError)
    server.listen(serve.port, serve.host, () => {
      server.off('error', onError)
      resolve()
    })
  })
  server.unref()
  // A listener-less 'error' after listening would crash the process; a metrics endpoint must not.
  server.on('error', (error) => logger.warn(`[emit-optimizer] /metrics server error: ${error.message}`))
  if (!LOOPBACK.has(serve.host))
    logger.warn(`[emit-optimizer] /metrics is listening on ${serve.host}, not loopback: anyone who can reach this port can read the build metrics.`)

  const onExit = () => {
    server.close()
    server.closeAllConnections()
  }
  process.once('exit', onExit)

  const { port } = server.address() as AddressInfo
  const host = serve.host.includes(':') ? `[${serve.host}]` : serve.host
  let closing: Promise<void> | undefined
  return {
    url: `http://${host}:${port}/metrics`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        process.off('exit', onExit)
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}
