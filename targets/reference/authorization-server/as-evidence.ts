/**
 * Evidence records of the authorization server: one per token request, registration, revocation,
 * client deletion and admin action.
 * An audit object is filled in as a request proceeds, so a refusal at any step still records
 * everything known by then (who authenticated, which key, what was asked for).
 */
import type { PrincipalType } from '../../../harness/contracts/evidence.ts'
import type { RecordInput } from '../evidence-writer/evidence-writer.ts'
import { AS_POLICY_ID } from './as-context.ts'

export interface Audit {
  method: string
  path: string
  tool: string
  tenant: string | null
  clientId: string | null
  principal: { sub: string | null; type: PrincipalType }
  actors: string[]
  jkt: string | null
  requested: string[] | null
  held: string[]
  /** the token issued, or the one acted on (revocation): correlation.token_jti / token_hash */
  issued: { jti: string | null; hash: string } | null
  parentHash: string | null
  traceId: string | null
  requestId: string | null
  detail: Record<string, unknown>
}

export function newAudit(method: string, path: string, tool: string, traceId: string | null, requestId: string | null): Audit {
  return {
    method, path, tool, traceId, requestId,
    tenant: null,
    clientId: null,
    principal: { sub: null, type: 'anonymous' },
    actors: [],
    jkt: null,
    requested: null,
    held: [],
    issued: null,
    parentHash: null,
    detail: {},
  }
}

function ruleOf(reason: string, tool: string): string {
  if (reason === 'ok') {
    if (tool === 'token.revoke') return 'revoke'
    if (tool === 'client.delete') return 'offboard'
    if (tool === 'client.read') return 'read-registration'
    if (tool.startsWith('admin.')) return 'admin-action'
    return 'issue'
  }
  switch (reason) {
    case 'exchange.scope_widen': return 'scope-narrows'
    case 'exchange.not_delegate': return 'registered-delegate'
    case 'exchange.may_act': return 'may-act'
    case 'exchange.actor_token_unsupported':
    case 'exchange.actor_claimed': return 'actor-is-authenticated-client'
    case 'exchange.target_unknown':
    case 'exchange.target_widen': return 'target-allowed'
    case 'exchange.subject_expired':
    case 'exchange.subject_revoked':
    case 'exchange.subject_offboarded':
    case 'exchange.subject_invalid': return 'subject-valid'
    case 'client.deleted': return 'client-not-offboarded'
  }
  const area = reason.slice(0, reason.indexOf('.'))
  switch (area) {
    case 'client': return 'client-authenticated'
    case 'dpop': return 'dpop-proof-valid'
    case 'scope': return 'scope-registered'
    case 'tenant': return 'tenant-match'
    case 'exchange': return 'delegation-valid'
    case 'system': return 'fail-closed'
    default: return 'request-valid'
  }
}

export function asRecord(issuer: string, a: Audit, status: number, reason: string, error?: string): RecordInput {
  return {
    decision: reason === 'ok' ? 'allow' : 'deny',
    reason,
    status,
    error,
    principal: a.principal,
    client_id: a.clientId,
    actors: a.actors,
    key: { jkt: a.jkt },
    resource: { aud: issuer, method: a.method, path: a.path, tool: a.tool, ...(a.tenant !== null ? { tenant: a.tenant } : {}) },
    scope: { required: a.requested ?? a.held, held: a.held },
    policy: { id: AS_POLICY_ID, rule: ruleOf(reason, a.tool) },
    correlation: {
      trace_id: a.traceId,
      request_id: a.requestId,
      token_jti: a.issued?.jti ?? null,
      token_hash: a.issued?.hash ?? null,
      parent_token_hash: a.parentHash,
    },
    detail: Object.keys(a.detail).length > 0 ? a.detail : undefined,
  }
}
