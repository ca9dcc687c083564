/**
 * The target profile of the agent-tools example (README.md beside it): how gatecrash reaches a
 * deployment it did not write. gatecrash starts the deployment itself (the `deployment` section:
 * three processes, stopped after the run) and serves the workforce IdP's JWKS for its AS:
 *
 *   export EXAMPLE_INITIAL_ACCESS_TOKEN=$(openssl rand -hex 24)
 *   npx gatecrash target check targets/examples/agent-tools/agent-tools.target.ts
 *   npx gatecrash run scenarios/sandbox-validation.ts --target targets/examples/agent-tools/agent-tools.target.ts
 *
 * AGENT_TOOLS_PORT moves its ports (AS, support RS, kb RS, JWKS: four from there), AGENT_TOOLS_DATA_DIR
 * its data folder, AGENT_TOOLS_FLAW=<name> turns on one of its misconfigurations (README "Flaws"),
 * AGENT_TOOLS_FORM=container starts the same three components as containers of one local image
 * (a Docker engine needed) instead of processes, and AGENT_TOOLS_SUBJECTS=command has the AS trust a
 * stand-in company IdP whose CLI (idp/print-subject-token.ts) prints each principal's subject token,
 * instead of the harness's workforce IdP.
 */
import path from 'node:path'
import { defineTarget } from 'gatecrash'
import { prepareContext } from './container/build-image.ts'
import { ensureIdpKey } from './idp/signing-key.ts'

const BASE = Number(process.env.AGENT_TOOLS_PORT || 8100)
const AS = `http://127.0.0.1:${BASE}`
const SUPPORT = `http://127.0.0.1:${BASE + 1}`
const KB = `http://127.0.0.1:${BASE + 2}`
const JWKS_PORT = BASE + 9
const DATA = path.resolve(process.env.AGENT_TOOLS_DATA_DIR || path.join(import.meta.dirname, '../../../agent-tools-data'))
const SUBJECTS = process.env.AGENT_TOOLS_SUBJECTS || 'idp'
if (SUBJECTS !== 'idp' && SUBJECTS !== 'command') throw new Error(`AGENT_TOOLS_SUBJECTS is '${SUBJECTS}': 'idp' (default) or 'command'`)
/** the company IdP's signing key, kept in the data folder (never in the repository) */
const IDP_KEY = path.join(DATA, 'idp', 'signing-key.jwk')
const IDP_ISSUER = SUBJECTS === 'idp' ? 'https://workforce-idp.example.invalid' : 'https://login.agent-tools.example.invalid'
/** How the AS learns the keys of the IdP it trusts: the harness serves its JWKS by URL; the company IdP's is handed over. */
const IDP_KEYS: Record<string, string> = SUBJECTS === 'idp' ? { EXAMPLE_IDP_JWKS_URL: `http://127.0.0.1:${JWKS_PORT}/.well-known/jwks.json` } : { EXAMPLE_IDP_JWKS: JSON.stringify(ensureIdpKey(IDP_KEY).jwks) }
/** what every component is told; the initial access token comes from the environment gatecrash runs in */
const COMMON = { EXAMPLE_AS_ISSUER: AS, EXAMPLE_FLAW: process.env.AGENT_TOOLS_FLAW ?? '' }
const FORM = process.env.AGENT_TOOLS_FORM || 'processes'
if (FORM !== 'processes' && FORM !== 'container') throw new Error(`AGENT_TOOLS_FORM is '${FORM}': 'processes' (default) or 'container'`)

/**
 * The three components, told where their data goes: `data` is DATA as a process sees it, /data in a
 * container (DATA is bound there). Their ports, issuer and flaw are the same in both forms.
 */
function components(data: string) {
  return [
    {
      name: 'as',
      main: 'as/main.ts',
      env: {
        ...COMMON,
        EXAMPLE_AS_PORT: String(BASE),
        EXAMPLE_AS_DATA_DIR: `${data}/as`,
        EXAMPLE_IDP_ISSUER: IDP_ISSUER,
        ...IDP_KEYS,
        EXAMPLE_RESOURCES: JSON.stringify({ [SUPPORT]: 'tickets:read customers:read refunds:write', [KB]: 'kb:read' }),
      },
      url: AS,
    },
    { name: 'rs-support', main: 'rs/main.ts', env: { ...COMMON, EXAMPLE_RS_PORT: String(BASE + 1), EXAMPLE_RS_TOOLS: 'support', EXAMPLE_RS_AUDIT_LOG: `${data}/rs-support-audit.jsonl` }, url: SUPPORT },
    { name: 'rs-kb', main: 'rs/main.ts', env: { ...COMMON, EXAMPLE_RS_PORT: String(BASE + 2), EXAMPLE_RS_TOOLS: 'kb', EXAMPLE_RS_AUDIT_LOG: `${data}/rs-kb-audit.jsonl` }, url: KB },
  ]
}

/**
 * As processes: the harness's Node runs each main file, with the harness's environment (the
 * initial access token among it). As containers: one build context (prepared now, beside the data
 * folder) for the three, each with its main file as command; a container inherits no environment,
 * so the initial access token is handed over explicitly, and DATA is bound to /data for the audit
 * logs the evidence source reads.
 */
function deployment() {
  if (FORM === 'processes') {
    return { processes: components(DATA).map((c) => ({ name: c.name, command: ['node', c.main], env: c.env, ready: { url: `${c.url}/healthz` } })) }
  }
  const context = prepareContext(`${DATA}.image`)
  return {
    containers: components('/data').map((c) => ({
      name: c.name,
      context,
      dockerfile: `${context}/Dockerfile`,
      command: ['/usr/local/bin/node', c.main],
      env: { ...c.env, EXAMPLE_INITIAL_ACCESS_TOKEN: process.env.EXAMPLE_INITIAL_ACCESS_TOKEN ?? '' },
      mounts: [{ source: DATA, target: '/data' }],
      ready: { log: 'ready ' },
      url: c.url,
    })),
  }
}

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
  // (EXAMPLE_TOKEN_TTL_S, 300 s by default), the example's stated offboarding bound. A DPoP proof
  // is accepted up to 60 s old (EXAMPLE_DPOP_MAX_AGE_S), which the replay case resending a proof at
  // the end of that window needs to know.
  policy: { offboardingPropagationS: 300, dpopProofWindowS: 60 },
  resources: [
    {
      id: 'support',
      audience: SUPPORT,
      origin: SUPPORT,
      tools: [
        { name: 'ticket.read', method: 'GET', path: '/t/{tenant}/tickets/{id}', scope: 'tickets:read' },
        { name: 'customer.read', method: 'GET', path: '/t/{tenant}/customers/{id}', scope: 'customers:read' },
        // No `preflight` fixture: every refund this API accepts is booked (it refuses an amount of 0),
        // so `target check` leaves it alone unless called with --call-writes.
        { name: 'refund.issue', method: 'POST', path: '/t/{tenant}/refunds', scope: 'refunds:write', writes: true, limit: { field: 'amount', max: 500 } },
      ],
    },
    {
      id: 'kb',
      // RFC 9728: its audience and origin come from the metadata it serves (the support server's are stated)
      metadata: `${KB}/.well-known/oauth-protected-resource`,
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
  principals: SUBJECTS === 'idp'
    ? // the AS fetches the harness IdP's keys by URL (EXAMPLE_IDP_JWKS_URL=http://127.0.0.1:8109/.well-known/jwks.json)
      { idp: { jwksPort: JWKS_PORT, issuer: IDP_ISSUER } }
    : // the company IdP's CLI prints one token per exchange; run from this folder
      { command: { run: ['node', 'idp/print-subject-token.ts', IDP_KEY, IDP_ISSUER, '{principal}', '{tenant}', '{scope}', '{audience}'] } },
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
  deployment: deployment(),
})
