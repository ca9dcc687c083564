/**
 * The trivial loopback server every client measurement hits: node:http, 200 with a tiny JSON body
 * for any request. Lives in its own process for the whole bench; reports its own CPU on request so
 * the bench can show it was not the bottleneck. With `{ tls: { key, cert } }` as its argument it is
 * the same server over node:https (the `gatecrash-https` row).
 */
import { createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'

const params = JSON.parse(process.argv[2] ?? '{}') as { tls?: { key: string; cert: string } }
const BODY = Buffer.from('{"ok":true}')
let served = 0
const handler = (req: IncomingMessage, res: ServerResponse) => {
  served++
  // Drain any request body, then answer; keep-alive stays on (node:http default).
  req.resume()
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length })
  res.end(BODY)
}
const server = params.tls ? createHttpsServer({ key: params.tls.key, cert: params.tls.cert }, handler) : createServer(handler)
server.keepAliveTimeout = 60_000
server.headersTimeout = 65_000

server.listen(0, '127.0.0.1', () => {
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address')
  process.send?.({ type: 'ready', origin: `${params.tls ? 'https' : 'http'}://127.0.0.1:${addr.port}` })
})

process.on('message', (m: { type: string }) => {
  if (m.type === 'stats') {
    const cpu = process.cpuUsage()
    process.send?.({ type: 'stats', cpuUs: cpu.user + cpu.system, served })
  } else if (m.type === 'stop') {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  }
})
// The parent going away must not leave the server behind.
process.on('disconnect', () => process.exit(0))
