/**
 * Sends one attempt (a tool call, legitimate or attack) and turns the response into an
 * AttemptRecord. The raw token and proof stay in memory for the request only; the record keeps the
 * token's hash.
 */
import type { AttemptRecord, ExpectedAttribution } from '../attempt.ts'
import type { ResourceServerInfo, ToolSpec } from '../target/types.ts'
import { challengeSchemeOf, oauthErrorOf } from '../protocol/challenge.ts'
import { createDpopProof } from '../protocol/dpop-proof.ts'
import type { IdentityKey } from '../protocol/identity-key.ts'
import { epochNow } from './constant-arrival-rate.ts'
import type { HttpPools } from './http-pool.ts'
import { newTraceContext } from './trace.ts'

export interface Credential {
  accessToken: string
  tokenHash: string
  key: IdentityKey
}

export interface AttemptSpec {
  kind: 'legit' | 'attack'
  caseId?: string
  group?: string
  scenario: string
  scheduledAt: number
  rs: ResourceServerInfo
  tool: ToolSpec
  tenant: string
  resourceId?: string
  body?: Record<string, unknown>
  /** null sends no credential at all */
  credential: Credential | null
  /** a proof to send as is (a replay); otherwise a fresh one is made */
  proof?: string
  expected: ExpectedAttribution
  signal?: AbortSignal
}

export interface SentAttempt {
  record: AttemptRecord
  /** the proof that went out, kept in memory only so a replay case can resend it */
  proof: string | null
}

export function toolPath(tool: ToolSpec, tenant: string, id = ''): string {
  return tool.path.replace('{tenant}', encodeURIComponent(tenant)).replace('{id}', encodeURIComponent(id))
}

let seq = 0

export async function sendAttempt(pools: HttpPools, spec: AttemptSpec): Promise<SentAttempt> {
  const trace = newTraceContext()
  const path = toolPath(spec.tool, spec.tenant, spec.resourceId)
  const headers: Record<string, string> = { traceparent: trace.traceparent, 'x-request-id': trace.requestId }
  let proof: string | null = null
  if (spec.credential) {
    proof = spec.proof ?? createDpopProof(spec.credential.key, { htm: spec.tool.method, htu: spec.rs.origin + path, ath: spec.credential.tokenHash }).proof
    headers.authorization = `DPoP ${spec.credential.accessToken}`
    headers.dpop = proof
  }
  let payload: string | undefined
  if (spec.body) {
    payload = JSON.stringify(spec.body)
    headers['content-type'] = 'application/json'
  }
  const record: AttemptRecord = {
    seq: ++seq,
    trace_id: trace.traceId,
    request_id: trace.requestId,
    kind: spec.kind,
    ...(spec.caseId ? { case: spec.caseId } : {}),
    ...(spec.group ? { group: spec.group } : {}),
    scenario: spec.scenario,
    scheduled_at: spec.scheduledAt,
    started_at: epochNow(),
    ended_at: 0,
    method: spec.tool.method,
    path,
    tool: spec.tool.name,
    expected: spec.expected,
    status: null,
    error_code: null,
    challenge_scheme: null,
    transport_error: null,
    token_hash: spec.credential?.tokenHash ?? null,
  }
  try {
    const res = await pools.get(spec.rs.origin).request({
      method: spec.tool.method,
      path,
      headers,
      body: payload,
      signal: spec.signal,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    })
    const text = await res.body.text()
    record.status = res.statusCode
    record.challenge_scheme = challengeSchemeOf(res.headers)
    record.error_code = res.statusCode >= 400 ? oauthErrorOf(res.headers, text) : null
  } catch (e) {
    record.transport_error = (e as Error).name === 'AbortError' ? 'aborted' : ((e as { code?: string }).code ?? (e as Error).message)
  }
  record.ended_at = epochNow()
  return { record, proof }
}
