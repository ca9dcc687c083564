/**
 * The target profile of the agent-tools example (README.md beside it): how gatecrash reaches a
 * deployment it did not write. Start the deployment (the README's "Start it as processes", with
 * EXAMPLE_IDP_JWKS_URL pointing at the JWKS port below), export EXAMPLE_INITIAL_ACCESS_TOKEN, then:
 *
 *   npx gatecrash target check targets/examples/agent-tools/agent-tools.target.ts
 *   npx gatecrash run scenarios/sandbox-validation.ts --target targets/examples/agent-tools/agent-tools.target.ts
 *
 * Ports, the data folder and the JWKS port can be moved with AGENT_TOOLS_* variables (the tests
 * run several deployments at once).
 */
import { defineTarget } from 'gatecrash'

const env = (name: string, fallback: string): string => process.env[name] || fallback
const AS = env('AGENT_TOOLS_AS_URL', 'http://127.0.0.1:8100')
const SUPPORT = env('AGENT_TOOLS_SUPPORT_URL', 'http://127.0.0.1:8101')
const KB = env('AGENT_TOOLS_KB_URL', 'http://127.0.0.1:8102')
const DATA = env('AGENT_TOOLS_DATA_DIR', '../../../agent-tools-data')

/** The example's audit lines in its own field names (README.md "Audit records") → the evidence record. */
const mapping = {
  fields: {
    ts: 'time',
    component: 'service',
    decision: { from: 'outcome', map: { allowed: 'allow', denied: 'deny' } },
    reason: 'why',
    status: 'http_status',
    error: 'oauth_error',
    'principal.sub': 'user',
    'principal.type': { from: 'user_kind', map: { human: 'user', agent: 'agent' }, default: 'anonymous' },
    client_id: 'client',
    actors: 'delegation',
    'key.jkt': 'key_thumbprint',
    'resource.aud': 'audience',
    'resource.method': 'method',
    'resource.path': 'path',
    'resource.tool': 'tool',
    'resource.tenant': 'tenant',
    'scope.required': 'scopes_needed',
    'scope.held': 'scopes_held',
    'correlation.trace_id': 'trace',
    'correlation.request_id': 'request_id',
    'correlation.token_jti': 'token_id',
    'correlation.token_hash': 'token_sha256',
    'correlation.parent_token_hash': 'subject_token_sha256',
    'detail.facts': 'facts',
  },
} as const

export default defineTarget({
  name: 'agent-tools',
  description: 'the third-party example: oidc-provider AS, express + express-oauth2-jwt-bearer resource servers, JSON-lines audit',
  issuer: AS,
  // RFC 7592 client deletion has no metadata member: the example supports it (README "Endpoints").
  // oidc-provider has no revocation for JWT access tokens; one process per resource server.
  capabilities: { clientDeletion: true },
  // The resource servers verify tokens offline: a deleted client's tokens work until they expire
  // (EXAMPLE_TOKEN_TTL_S, 300 s by default), the example's stated offboarding bound.
  policy: { offboardingPropagationS: 300 },
  resources: [
    {
      id: 'support',
      audience: SUPPORT,
      origin: SUPPORT,
      tools: [
        { name: 'ticket.read', method: 'GET', path: '/t/{tenant}/tickets/{id}', scope: 'tickets:read' },
        { name: 'customer.read', method: 'GET', path: '/t/{tenant}/customers/{id}', scope: 'customers:read' },
        { name: 'refund.issue', method: 'POST', path: '/t/{tenant}/refunds', scope: 'refunds:write', writes: true, limit: { field: 'amount', max: 500 } },
      ],
    },
    {
      id: 'kb',
      audience: KB,
      origin: KB,
      tools: [{ name: 'kb.read', method: 'GET', path: '/t/{tenant}/kb/{id}', scope: 'kb:read' }],
    },
  ],
  identities: {
    registration: {
      initialAccessToken: { env: 'EXAMPLE_INITIAL_ACCESS_TOKEN' },
      // the tenant travels in the subject token the harness's IdP signs; nothing proprietary at registration
      tenancy: { via: 'subject-claim', claim: 'tenant' },
      cleanup: 'delete',
    },
  },
  // the AS fetches the IdP's keys by URL (EXAMPLE_IDP_JWKS_URL=http://127.0.0.1:8109/.well-known/jwks.json)
  principals: { idp: { jwksPort: Number(env('AGENT_TOOLS_JWKS_PORT', '8109')), issuer: 'https://workforce-idp.example.invalid' } },
  evidence: {
    source: {
      kind: 'combined',
      sources: [
        { kind: 'jsonl', file: `${DATA}/as/audit.jsonl`, mapping },
        { kind: 'jsonl', file: `${DATA}/rs-support-audit.jsonl`, mapping },
        { kind: 'jsonl', file: `${DATA}/rs-kb-audit.jsonl`, mapping },
      ],
    },
  },
})
