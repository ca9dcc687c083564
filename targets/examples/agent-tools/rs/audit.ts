/** The resource server's audit record for one decision, in this application's field names (README.md). */
import type { Request } from 'express'
import type { AuditRecord } from '../lib/audit-log.ts'
import { actorChain, requestIdOf, sha256b64url, traceIdOf } from '../lib/correlation.ts'
import type { TokenClaims } from './attribution.ts'
import type { Presented } from './refusals.ts'

export const SERVICE = 'agent-tools-rs'

/** What one call established so far (res.locals.call). */
export interface Call {
  presented: Presented
  tool: string | null
  tenant: string | null
  scopeNeeded: string | null
  /** claims of a token the library accepted */
  claims: TokenClaims | null
  facts: Record<string, unknown>
}

export function recordOf(
  req: Request,
  call: Call,
  decision: { status: number; error: string | null; why: string },
  claims: TokenClaims | null,
  opts: { audience: string; tenantClaim: string; service: string },
): AuditRecord {
  const allowed = decision.status >= 200 && decision.status < 300
  const trusted = claims !== null
  return {
    time: new Date().toISOString(),
    service: opts.service,
    outcome: allowed ? 'allowed' : 'denied',
    why: allowed ? 'ok' : decision.why,
    http_status: decision.status,
    oauth_error: decision.error,
    user: trusted ? (claims.sub ?? null) : null,
    user_kind: trusted ? (claims.sub_type === 'client' ? 'agent' : 'human') : null,
    client: trusted ? (claims.client_id ?? null) : null,
    delegation: trusted ? actorChain(claims.act) : [],
    key_thumbprint: trusted ? (claims.cnf?.jkt ?? null) : null,
    audience: opts.audience,
    method: req.method,
    path: req.path,
    tool: call.tool,
    tenant: call.tenant,
    scopes_needed: call.scopeNeeded !== null ? [call.scopeNeeded] : [],
    scopes_held: trusted && typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [],
    trace: traceIdOf(req.headers.traceparent),
    request_id: requestIdOf(req.headers['x-request-id']),
    token_id: trusted && typeof claims.jti === 'string' ? claims.jti : null,
    token_sha256: call.presented.token !== null ? sha256b64url(call.presented.token) : null,
    facts: { ...call.facts, ...(trusted && typeof claims[opts.tenantClaim] === 'string' ? { token_tenant: claims[opts.tenantClaim] } : {}) },
  }
}
