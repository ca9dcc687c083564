/**
 * Starts the example authorization server: `npx node targets/examples/agent-tools/as/main.ts`
 * (environment: README.md). It binds to 127.0.0.1 only, prints one line `ready <issuer>` once it
 * serves, and answers `GET /healthz` (readiness) besides oidc-provider's routes. Its audit records go
 * where EXAMPLE_AUDIT_SINK says (README.md, "Audit sinks").
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { openAuditLog } from '../lib/audit-sink.ts'
import { serve } from '../lib/serve.ts'
import { asConfigFromEnv } from './config.ts'
import { buildProvider, SERVICE } from './provider.ts'
import { loadOrCreateSigningKey } from './signing-key.ts'
import { SqliteStore } from './sqlite-adapter.ts'

const config = asConfigFromEnv()
mkdirSync(config.dataDir, { recursive: true })
const store = new SqliteStore(path.join(config.dataDir, 'as.sqlite'))
const signingKey = loadOrCreateSigningKey(path.join(config.dataDir, 'signing-key.json'))
const audit = await openAuditLog(process.env, { service: SERVICE, file: config.auditFile, dropDenies: config.flaws.has('denies-not-logged'), say: (line) => process.stdout.write(`${line}\n`) })

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
  close: async () => {
    // the audit log first: a queued record may still be on its way out
    await audit.close()
    store.close()
  },
})
