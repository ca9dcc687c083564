/**
 * Evidence records of the authorization server: one per token request and one per registration.
 * An audit object is filled in as a request proceeds, so a refusal at any step still records
 * everything known by then (who authenticated, which key, what was asked for).
 */
import type { PrincipalType } from '../../../harness/evidence/record.ts'
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
  issued: { jti: string; hash: string } | null
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

function ruleOf(reason: string): string {
  if (reason === 'ok') return 'issue'
  if (reason === 'exchange.scope_widen') return 'scope-narrows'
  if (reason === 'exchange.not_delegate') return 'registered-delegate'
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
    policy: { id: AS_POLICY_ID, rule: ruleOf(reason) },
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
