/** Turns a resource-server decision into its evidence record (docs: docs/evidence-schema.md). */
import type { RecordInput } from '../evidence-writer/evidence-writer.ts'
import { hasFlaw } from '../flaws.ts'
import type { Outcome } from './authorize-request.ts'
import { POLICY_ID, type ToolRoute } from './tools.ts'

export interface CallFacts {
  audience: string
  method: string
  pathname: string
  /** the tool called; null for a request to a path the public listener does not route */
  route: ToolRoute | null
  traceId: string | null
  requestId: string | null
  /** the request's Authorization header as sent: only the flaw evidence-logs-credentials reads it */
  authorization?: string | null
}

/**
 * A path no tool matched is whatever the caller sent (up to Node's header limit): the record keeps
 * its start only, so one request cannot put kilobytes into the audit trail.
 */
const MAX_UNROUTED_PATH = 256

/** The policy rule each reason area (or specific reason) falls under. */
function ruleOf(reason: string): string {
  switch (reason) {
    case 'ok': return 'allow'
    case 'dpop.jti_replay': return 'dpop-jti-unique'
    case 'dpop.key_mismatch': return 'dpop-key-binding'
    case 'dpop.bearer_downgrade': return 'dpop-scheme-required'
    case 'dpop.dual_scheme': return 'one-credential'
    case 'policy.delegation_required': return 'delegation-required'
    case 'policy.not_routed': return 'public-routes-only'
  }
  switch (reason.slice(0, reason.indexOf('.'))) {
    case 'auth': return 'credential-required'
    case 'token': return 'token-valid'
    case 'dpop': return 'dpop-proof-valid'
    case 'scope': return 'scope-required'
    case 'tenant': return 'tenant-match'
    case 'limit': return 'refund-ceiling'
    case 'client': return 'client-active'
    case 'system': return 'fail-closed'
    default: return 'request-valid'
  }
}

export type RecordMaker = (o: Outcome, f: CallFacts) => RecordInput

/** The record maker for a replica; the evidence flaws bend it (mutation self-test only). */
export function recordMaker(flaws: readonly string[]): RecordMaker {
  const omitActors = hasFlaw(flaws, 'evidence-omits-actors')
  const clientAsPrincipal = hasFlaw(flaws, 'evidence-wrong-principal')
  // flaw evidence-logs-credentials: every record logs the request's Authorization header "for debugging"
  const logsCredentials = hasFlaw(flaws, 'evidence-logs-credentials')
  return (o, f) => {
    const c = o.claims
    return {
      decision: o.decision,
      reason: o.reason,
      status: o.status,
      error: o.error,
      principal: c === null ? { sub: null, type: 'anonymous' } : { sub: clientAsPrincipal ? c.client_id : c.sub, type: c.principalType },
      client_id: c?.client_id ?? null,
      actors: omitActors ? [] : (c?.actors ?? []),
      key: { jkt: o.proofJkt },
      resource: { aud: f.audience, method: f.method, path: f.route === null ? f.pathname.slice(0, MAX_UNROUTED_PATH) : f.pathname, tool: f.route?.tool.name, tenant: f.route?.tenant },
      scope: { required: f.route === null ? [] : [f.route.tool.scope], held: c?.scope ?? [] },
      policy: { id: POLICY_ID, rule: ruleOf(o.reason) },
      correlation: { trace_id: f.traceId, request_id: f.requestId, token_jti: c?.jti ?? null, token_hash: o.tokenHash },
      detail: logsCredentials && f.authorization ? { ...o.detail, authorization: f.authorization } : o.detail,
    }
  }
}

/** The faithful record (no flaws). */
export const rsRecord: RecordMaker = recordMaker([])
