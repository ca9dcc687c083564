/**
 * How both example servers start: bind 127.0.0.1 first (the port may be 0), answer 503 until the
 * handler built from the bound origin is in place, then print one `ready …` line; on SIGTERM or
 * SIGINT close the server, then whatever the caller registered (the store, the audit log: an
 * async sink flushes what it queued first), then exit, within a bounded time.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HOST } from './env.ts'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

export interface ServeOptions {
  port: number
  /** answers `GET /healthz` itself with these members (the RS's app has its own route) */
  healthz?: () => Record<string, unknown>
  /** builds the handler once the origin is known; answers it and the text after `ready ` */
  build(origin: string): { handle: Handler; ready: string }
  flaws: ReadonlySet<string>
  close(): void | Promise<void>
}

/** a flush that takes longer is abandoned: a stopped deployment must not hang its supervisor */
const SHUTDOWN_TIMEOUT_MS = 8_000

export function serve(opts: ServeOptions): void {
  let handle: Handler | null = null
  const server = createServer((req, res) => {
    if (opts.healthz && req.url === '/healthz' && req.method === 'GET') {
      res.writeHead(handle === null ? 503 : 200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(JSON.stringify({ ready: handle !== null, ...(handle === null ? {} : opts.healthz()) }))
      return
    }
    if (handle === null) {
      res.writeHead(503).end()
      return
    }
    handle(req, res)
  })
  server.keepAliveTimeout = 65_000

  server.listen(opts.port, HOST, () => {
    const built = opts.build(`http://${HOST}:${(server.address() as AddressInfo).port}`)
    handle = built.handle
    const flaws = [...opts.flaws]
    process.stdout.write(`ready ${built.ready}${flaws.length > 0 ? ` flaws=${flaws.join(',')}` : ''}\n`)
  })

  const stop = (): void => {
    server.close()
    server.closeAllConnections()
    const timer = setTimeout(() => {
      process.stderr.write(`shutdown did not finish within ${SHUTDOWN_TIMEOUT_MS} ms: exiting\n`)
      process.exit(1)
    }, SHUTDOWN_TIMEOUT_MS)
    Promise.resolve()
      .then(() => opts.close())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          clearTimeout(timer)
          process.stderr.write(`shutdown failed: ${String((e as Error)?.message ?? e).slice(0, 200)}\n`)
          process.exit(1)
        },
      )
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
