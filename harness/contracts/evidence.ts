/**
 * Evidence record, version 1 (docs/evidence-schema.md, JSON Schema docs/schemas/evidence-record.v1.schema.json). Every target's audit
 * records are read into this shape; the reference target writes it natively.
 */
export type Decision = 'allow' | 'deny'
export type PrincipalType = 'user' | 'agent' | 'workload' | 'anonymous'
export type ReasonArea =
  | 'ok' | 'auth' | 'token' | 'dpop' | 'scope' | 'tenant' | 'limit' | 'exchange' | 'client' | 'policy' | 'system'

export interface EvidenceRecord {
  v: 1
  id: string
  ts: string
  component: string
  decision: Decision
  /** `<area>.<rule>`; an allow is `ok` */
  reason: string
  status: number
  error?: string
  principal: { sub: string | null; type: PrincipalType }
  client_id?: string | null
  /** act chain, current actor first; [] if none */
  actors: string[]
  key?: { jkt?: string | null }
  resource: { aud?: string; method?: string; path?: string; tool?: string; tenant?: string }
  scope?: { required?: string[]; held?: string[] }
  policy?: { id: string; rule: string }
  correlation: {
    trace_id?: string | null
    request_id?: string | null
    token_jti?: string | null
    token_hash?: string | null
    parent_token_hash?: string | null
  }
  detail?: Record<string, unknown>
  prev: string | null
  hash: string
}

/**
 * The part of a record the grader reads (oracle/grade-attempt.ts, attribution.ts,
 * faults/fail-closed.ts, typed to take no more). The run store keeps it beside each record, so
 * the grading of the run that wrote it parses a third of each record's text (run/run-store.ts
 * `record_views`).
 */
export type GradingRecord = Pick<EvidenceRecord, 'id' | 'decision' | 'reason' | 'principal' | 'client_id' | 'actors' | 'detail'> & {
  resource: Pick<EvidenceRecord['resource'], 'aud' | 'tool' | 'tenant'>
}

/**
 * A record's GradingRecord, each member as the record has it (absent stays absent, a malformed
 * value stays that value), so the grader judges the view exactly as it judges the record.
 */
export function gradingRecord(r: EvidenceRecord): GradingRecord {
  const res = r.resource as unknown
  const resource = typeof res === 'object' && res !== null && !Array.isArray(res) ? { aud: r.resource.aud, tool: r.resource.tool, tenant: r.resource.tenant } : r.resource
  return { id: r.id, decision: r.decision, reason: r.reason, principal: r.principal, client_id: r.client_id, actors: r.actors, resource, detail: r.detail }
}

export function reasonArea(reason: string): string {
  const dot = reason.indexOf('.')
  return dot === -1 ? reason : reason.slice(0, dot)
}

/**
 * An exchange record: the authorization server's record of an RFC 8693 token exchange, allowed or
 * refused (docs/evidence-schema.md "Token exchange links"). Its `correlation.token_hash` is the
 * issued token's hash, its `correlation.parent_token_hash` the subject token's, which is how a
 * transaction is rebuilt from the trail alone (oracle/reconstruct.ts).
 */
export function isExchangeRecord(r: Pick<EvidenceRecord, 'resource' | 'reason'>): boolean {
  return r.resource?.tool === 'token.exchange' || reasonArea(r.reason ?? '') === 'exchange'
}
