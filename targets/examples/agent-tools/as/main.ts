/**
 * Starts the example authorization server: `npx node targets/examples/agent-tools/as/main.ts`
 * (environment: README.md). It binds to 127.0.0.1 only, prints one line `ready <issuer>` once it
 * serves, and answers `GET /healthz` (readiness) besides oidc-provider's routes.
 */
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { AuditLog } from '../lib/audit-log.ts'
import { HOST } from '../lib/env.ts'
import { asConfigFromEnv } from './config.ts'
import { buildProvider } from './provider.ts'
import { loadOrCreateSigningKey } from './signing-key.ts'
import { SqliteStore } from './sqlite-adapter.ts'

const config = asConfigFromEnv()
mkdirSync(config.dataDir, { recursive: true })
const store = new SqliteStore(path.join(config.dataDir, 'as.sqlite'))
const signingKey = loadOrCreateSigningKey(path.join(config.dataDir, 'signing-key.json'))
const audit = new AuditLog(config.auditFile, { dropDenies: config.flaws.has('denies-not-logged') })

let handle: ((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void) | null = null
const server = createServer((req, res) => {
  if (req.url === '/healthz' && req.method === 'GET') {
    res.writeHead(handle === null ? 503 : 200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(JSON.stringify({ ready: handle !== null, clients: handle === null ? null : store.count('Client') }))
    return
  }
  if (handle === null) {
    res.writeHead(503).end()
    return
  }
  handle(req, res)
})
server.keepAliveTimeout = 65_000

server.listen(config.port, HOST, () => {
  const bound = (server.address() as AddressInfo).port
  const issuer = config.issuer ?? `http://${HOST}:${bound}`
  const provider = buildProvider({ config, issuer, store, signingKey, audit })
  handle = provider.callback()
  const sweeper = setInterval(() => store.sweep(), 60_000)
  sweeper.unref()
  const flaws = [...config.flaws]
  process.stdout.write(`ready ${issuer}${flaws.length > 0 ? ` flaws=${flaws.join(',')}` : ''}\n`)
})

function stop(): void {
  server.close()
  server.closeAllConnections()
  store.close()
  audit.close()
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
