/**
 * Starts the example resource server: `npx node targets/examples/agent-tools/rs/main.ts`
 * (environment: README.md). It binds to 127.0.0.1 only, prints one line `ready <public origin>`
 * once it serves, and answers `GET /healthz` (readiness).
 */
import { AuditLog } from '../lib/audit-log.ts'
import { serve } from '../lib/serve.ts'
import { buildApp } from './app.ts'
import { rsConfigFromEnv } from './config.ts'

const config = rsConfigFromEnv()
const audit = new AuditLog(config.auditFile, { dropDenies: config.flaws.has('denies-not-logged') })

serve({
  port: config.port,
  build: (origin) => {
    const publicOrigin = config.publicOrigin ?? origin
    const audience = config.audience ?? publicOrigin
    const { app } = buildApp({ ...config, publicOrigin, audience }, audit)
    return { handle: app, ready: `${publicOrigin} audience=${audience}` }
  },
  flaws: config.flaws,
  close: () => audit.close(),
})
