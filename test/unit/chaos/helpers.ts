/**
 * A trivial loopback HTTP server to put behind the fault proxy, and small request helpers that
 * measure what a client sees through it.
 */
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { Client } from 'undici'

export interface Upstream {
  url: string
  /** request paths with the client port the server saw and when */
  seen: Array<{ path: string; remotePort: number; at: number }>
  close(): Promise<void>
}

export const BIG_BODY = 200_000

/** GET /big → 200 KB; anything else → `ok <path>` */
export async function startUpstream(): Promise<Upstream> {
  const seen: Upstream['seen'] = []
  const server: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', remotePort: req.socket.remotePort ?? 0, at: performance.now() })
    const body = req.url === '/big' ? Buffer.alloc(BIG_BODY, 0x61) : Buffer.from(`ok ${req.url}`)
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
    res.end(body)
  })
  server.keepAliveTimeout = 10_000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}

export interface Timed {
  status?: number
  body?: string
  error?: { code?: string; message: string }
  ms: number
}

/** one request on a fresh connection (so per-connection toxicity is rolled for it) */
export async function fetchFresh(url: string, path = '/', timeoutMs = 5_000): Promise<Timed> {
  const client = new Client(new URL(url).origin)
  try {
    return await timedRequest(client, path, timeoutMs)
  } finally {
    await client.destroy()
  }
}

/** one request on `client`, which may reuse a kept-alive connection */
export async function timedRequest(client: Client, path: string, timeoutMs = 5_000): Promise<Timed> {
  const start = performance.now()
  try {
    const res = await client.request({ path, method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
    const body = await res.body.text()
    return { status: res.statusCode, body, ms: performance.now() - start }
  } catch (e) {
    const err = e as { code?: string; message: string }
    return { error: { code: err.code, message: err.message }, ms: performance.now() - start }
  }
}

/** a raw HTTP/1.1 request with `Connection: close`: when the first byte came and when the stream ended */
export function rawCloseTiming(origin: string, path = '/'): Promise<{ firstData: number; end: number; bytes: number }> {
  const { hostname, port } = new URL(origin)
  return new Promise((resolve, reject) => {
    const start = performance.now()
    let firstData = -1
    let bytes = 0
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`)
    })
    socket.on('data', (c: Buffer) => {
      if (firstData < 0) firstData = performance.now() - start
      bytes += c.length
    })
    socket.on('end', () => {
      resolve({ firstData, end: performance.now() - start, bytes })
      socket.destroy()
    })
    socket.on('error', reject)
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')))
  })
}
