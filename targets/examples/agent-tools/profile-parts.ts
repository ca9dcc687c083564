/**
 * What the agent-tools profiles share (README.md beside it): the three components and how they are
 * started, the resources, identities and principals. The profiles differ only in where the
 * deployment's audit trail goes and how gatecrash reads it (README "Audit sinks"), so each one is
 * `agentToolsProfile({ name, evidence, auditEnv })` and nothing of this is copied.
 *
 * AGENT_TOOLS_PORT moves the ports (AS, support RS, kb RS, three log APIs, JWKS: base, +1, +2,
 * +3..+5, +9), AGENT_TOOLS_DATA_DIR the data folder, AGENT_TOOLS_FLAW=<name> turns on one of the
 * example's misconfigurations (README "Flaws"), AGENT_TOOLS_FORM=container starts the components
 * as containers of one local image (a Docker engine needed; JSON-lines audit only) instead of
 * processes, and AGENT_TOOLS_SUBJECTS=command has the AS trust a stand-in company IdP whose CLI
 * (idp/print-subject-token.ts) prints each principal's subject token, instead of the harness's
 * workforce IdP.
 */
import path from 'node:path'
import type { EvidenceSourceSpec } from 'gatecrash'
import { defineTarget } from 'gatecrash'
import { prepareContext } from './container/build-image.ts'
import { ensureIdpKey } from './idp/signing-key.ts'

export const BASE = Number(process.env.AGENT_TOOLS_PORT || 8100)
export const AS = `http://127.0.0.1:${BASE}`
export const SUPPORT = `http://127.0.0.1:${BASE + 1}`
export const KB = `http://127.0.0.1:${BASE + 2}`
const JWKS_PORT = BASE + 9
export const DATA = path.resolve(process.env.AGENT_TOOLS_DATA_DIR || path.join(import.meta.dirname, '../../../agent-tools-data'))
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

export type ComponentName = 'as' | 'rs-support' | 'rs-kb'

/** Each component's audit log API port (EXAMPLE_AUDIT_SINK=http-api): the log API is not the tool API. */
export const AUDIT_API_PORTS: Record<ComponentName, number> = { as: BASE + 3, 'rs-support': BASE + 4, 'rs-kb': BASE + 5 }

/** The JSON-lines audit files as a process sees them (a container sees DATA at /data). */
export const AUDIT_FILES: Record<ComponentName, string> = { as: `${DATA}/as/audit.jsonl`, 'rs-support': `${DATA}/rs-support-audit.jsonl`, 'rs-kb': `${DATA}/rs-kb-audit.jsonl` }

/** The value of a variable the profile needs from the environment gatecrash runs in; never echoed. */
export function requiredEnv(name: string, why: string): string {
  const v = process.env[name]
  if (v === undefined || v === '') throw new Error(`${name} is not set: ${why}`)
  return v
}

/**
 * The three components, told where their data goes: `data` is DATA as a process sees it, /data in a
 * container (DATA is bound there). Their ports, issuer and flaw are the same in both forms.
 */
function components(data: string, auditEnv: (c: ComponentName) => Record<string, string>) {
  return [
    {
      name: 'as' as const,
      main: 'as/main.ts',
      env: {
        ...COMMON,
        EXAMPLE_AS_PORT: String(BASE),
        EXAMPLE_AS_DATA_DIR: `${data}/as`,
        EXAMPLE_IDP_ISSUER: IDP_ISSUER,
        ...IDP_KEYS,
        EXAMPLE_RESOURCES: JSON.stringify({ [SUPPORT]: 'tickets:read customers:read refunds:write', [KB]: 'kb:read' }),
        ...auditEnv('as'),
      },
      url: AS,
    },
    { name: 'rs-support' as const, main: 'rs/main.ts', env: { ...COMMON, EXAMPLE_RS_PORT: String(BASE + 1), EXAMPLE_RS_TOOLS: 'support', EXAMPLE_RS_AUDIT_LOG: `${data}/rs-support-audit.jsonl`, ...auditEnv('rs-support') }, url: SUPPORT },
    { name: 'rs-kb' as const, main: 'rs/main.ts', env: { ...COMMON, EXAMPLE_RS_PORT: String(BASE + 2), EXAMPLE_RS_TOOLS: 'kb', EXAMPLE_RS_AUDIT_LOG: `${data}/rs-kb-audit.jsonl`, ...auditEnv('rs-kb') }, url: KB },
  ]
}

/**
 * As processes: the harness's Node runs each main file, with the harness's environment (the
 * initial access token among it, and what an evidence source that is sent to adds: the OTLP
 * receiver's endpoint and secret header). As containers: one build context (prepared now, beside
 * the data folder) for the three, each with its main file as command; a container inherits no
 * environment, so the initial access token is handed over explicitly, and DATA is bound to /data
 * for the audit logs the evidence source reads.
 */
function deployment(sink: string, auditEnv: (c: ComponentName) => Record<string, string>) {
  if (FORM === 'processes') {
    return { processes: components(DATA, auditEnv).map((c) => ({ name: c.name, command: ['node', c.main], env: c.env, ready: { url: `${c.url}/healthz` } })) }
  }
  if (sink !== 'jsonl') throw new Error(`AGENT_TOOLS_FORM=container writes its audit trail as JSON lines only: use agent-tools.target.ts, or the ${sink} profile as processes`)
  const context = prepareContext(`${DATA}.image`)
  return {
    containers: components('/data', auditEnv).map((c) => ({
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

export interface AgentToolsProfileOptions {
  name: string
  description: string
  /** the EXAMPLE_AUDIT_SINK the components are started with */
  sink: 'jsonl' | 'postgres' | 'otlp' | 'http-api'
  /** where gatecrash reads the trail */
  evidence: EvidenceSourceSpec
  /** what each component is told about its audit sink, beyond EXAMPLE_AUDIT_SINK */
  auditEnv?: (c: ComponentName) => Record<string, string>
}

export function agentToolsProfile(o: AgentToolsProfileOptions) {
  const auditEnv = (c: ComponentName): Record<string, string> => ({ EXAMPLE_AUDIT_SINK: o.sink, ...o.auditEnv?.(c) })
  return defineTarget({
    name: o.name,
    description: o.description,
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
    evidence: { source: o.evidence },
    deployment: deployment(o.sink, auditEnv),
  })
}
