/**
 * Starts the example resource server: `npx node targets/examples/agent-tools/rs/main.ts`
 * (environment: README.md). It binds to 127.0.0.1 only, prints one line `ready <public origin>`
 * once it serves, and answers `GET /healthz` (readiness). Its audit records go where
 * EXAMPLE_AUDIT_SINK says (README.md, "Audit sinks").
 */
import { openAuditLog } from '../lib/audit-sink.ts'
import { serve } from '../lib/serve.ts'
import { buildApp } from './app.ts'
import { SERVICE } from './audit.ts'
import { rsConfigFromEnv } from './config.ts'

const config = rsConfigFromEnv()
const audit = await openAuditLog(process.env, { service: SERVICE, file: config.auditFile, dropDenies: config.flaws.has('denies-not-logged'), say: (line) => process.stdout.write(`${line}\n`) })

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
