/**
 * The agent-tools example serving its audit trail through a paged log API (README.md "Audit
 * sinks"), the way identity providers' system logs are read: each component answers
 * `GET /audit/events?limit=N&after=<cursor>` on a loopback port of its own (base+3..+5) behind a
 * bearer token, with an RFC 8288 `Link: …; rel="next"` to the next page. gatecrash polls the three.
 *
 *   export EXAMPLE_INITIAL_ACCESS_TOKEN=$(openssl rand -hex 24) AGENT_TOOLS_AUDIT_API_TOKEN=$(openssl rand -hex 24)
 *   npx gatecrash run scenarios/sandbox-validation.ts --target targets/examples/agent-tools/agent-tools.http-log-api.target.ts
 *
 * Processes only.
 */
import { httpLogApiMapping } from './evidence-mappings.ts'
import { AUDIT_API_PORTS, agentToolsProfile, requiredEnv, type ComponentName } from './profile-parts.ts'

const TOKEN_ENV = 'AGENT_TOOLS_AUDIT_API_TOKEN'
const COMPONENTS: ComponentName[] = ['as', 'rs-support', 'rs-kb']
const api = (c: ComponentName) => `http://127.0.0.1:${AUDIT_API_PORTS[c]}/audit/events?limit={limit}`

export default agentToolsProfile({
  name: 'agent-tools-http-log-api',
  description: 'the third-party example: oidc-provider AS, express resource servers, audit trail served by a paged log API per component',
  sink: 'http-api',
  // the same token gatecrash presents (auth.env below): the components get it as theirs
  auditEnv: (c) => ({ EXAMPLE_AUDIT_API_PORT: String(AUDIT_API_PORTS[c]), EXAMPLE_AUDIT_API_TOKEN: requiredEnv(TOKEN_ENV, 'the bearer token of the components\' log APIs, e.g. $(openssl rand -hex 24)') }),
  evidence: {
    kind: 'combined',
    sources: COMPONENTS.map((c) => ({
      kind: 'http-log-api' as const,
      url: api(c),
      next: 'link' as const,
      records: '',
      auth: { header: 'Authorization', env: TOKEN_ENV, prefix: 'Bearer ' },
      mapping: httpLogApiMapping,
    })),
  },
})
