/**
 * Starts the example authorization server: `npx node targets/examples/agent-tools/as/main.ts`
 * (environment: README.md). It binds to 127.0.0.1 only, prints one line `ready <issuer>` once it
 * serves, and answers `GET /healthz` (readiness) besides oidc-provider's routes.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { AuditLog } from '../lib/audit-log.ts'
import { serve } from '../lib/serve.ts'
import { asConfigFromEnv } from './config.ts'
import { buildProvider } from './provider.ts'
import { loadOrCreateSigningKey } from './signing-key.ts'
import { SqliteStore } from './sqlite-adapter.ts'

const config = asConfigFromEnv()
mkdirSync(config.dataDir, { recursive: true })
const store = new SqliteStore(path.join(config.dataDir, 'as.sqlite'))
const signingKey = loadOrCreateSigningKey(path.join(config.dataDir, 'signing-key.json'))
const audit = new AuditLog(config.auditFile, { dropDenies: config.flaws.has('denies-not-logged') })

serve({
  port: config.port,
  healthz: () => ({ clients: store.count('Client') }),
  build: (origin) => {
    const issuer = config.issuer ?? origin
    const provider = buildProvider({ config, issuer, store, signingKey, audit })
    setInterval(() => store.sweep(), 60_000).unref()
    return { handle: provider.callback(), ready: issuer }
  },
  flaws: config.flaws,
  close: () => {
    store.close()
    audit.close()
  },
})
