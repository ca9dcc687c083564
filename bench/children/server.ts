/**
 * The trivial loopback server every client measurement hits: node:http, 200 with a tiny JSON body
 * for any request. Lives in its own process for the whole bench; reports its own CPU on request so
 * the bench can show it was not the bottleneck.
 */
import { createServer } from 'node:http'

const BODY = Buffer.from('{"ok":true}')
let served = 0
const server = createServer((req, res) => {
  served++
  // Drain any request body, then answer; keep-alive stays on (node:http default).
  req.resume()
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length })
  res.end(BODY)
})
server.keepAliveTimeout = 60_000
server.headersTimeout = 65_000

server.listen(0, '127.0.0.1', () => {
  const addr = server.address()
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address')
  process.send?.({ type: 'ready', origin: `http://127.0.0.1:${addr.port}` })
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
