/**
 * Starts the example resource server: `npx node targets/examples/agent-tools/rs/main.ts`
 * (environment: README.md). It binds to 127.0.0.1 only, prints one line `ready <public origin>`
 * once it serves, and answers `GET /healthz` (readiness).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AuditLog } from '../lib/audit-log.ts'
import { HOST } from '../lib/env.ts'
import { buildApp } from './app.ts'
import { rsConfigFromEnv } from './config.ts'

const config = rsConfigFromEnv()
const audit = new AuditLog(config.auditFile, { dropDenies: config.flaws.has('denies-not-logged') })

let handle: ((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void) | null = null
const server = createServer((req, res) => {
  if (handle === null) {
    res.writeHead(503).end()
    return
  }
  handle(req, res)
})
server.keepAliveTimeout = 65_000

server.listen(config.port, HOST, () => {
  const bound = (server.address() as AddressInfo).port
  const publicOrigin = config.publicOrigin ?? `http://${HOST}:${bound}`
  const audience = config.audience ?? publicOrigin
  const { app } = buildApp({ ...config, publicOrigin, audience }, audit)
  handle = app
  const flaws = [...config.flaws]
  process.stdout.write(`ready ${publicOrigin} audience=${audience}${flaws.length > 0 ? ` flaws=${flaws.join(',')}` : ''}\n`)
})

function stop(): void {
  server.close()
  server.closeAllConnections()
  audit.close()
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
