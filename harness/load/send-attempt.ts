/**
 * Sends one attempt, legitimate or attack, to any endpoint of the target (a tool at a resource
 * server, the token endpoint…) and turns the response into an AttemptRecord. The raw token and
 * proof stay in memory for the request only; the record keeps hashes.
 */
import type { AttemptRecord, ExpectedAttribution } from '../attempt.ts'
import type { ResourceServerInfo, ToolSpec } from '../target/types.ts'
import { challengeSchemeOf, oauthErrorOf } from '../protocol/challenge.ts'
import { createDpopProof } from '../protocol/dpop-proof.ts'
import type { IdentityKey } from '../protocol/identity-key.ts'
import { unverifiedPayload } from '../protocol/jws.ts'
import { epochNow } from './clock.ts'
import type { HttpPools } from './http-pool.ts'
import { newTraceContext } from './trace.ts'

export interface Credential {
  accessToken: string
  tokenHash: string
  key: IdentityKey
}

/** A request exactly as it goes on the wire; header values may repeat (two DPoP headers…). */
export interface WireRequest {
  origin: string
  method: string
  path: string
  headers?: [string, string][]
  body?: string
}

export interface AttemptMeta {
  kind: 'legit' | 'attack'
  caseId?: string
  group?: string
  scenario: string
  scheduledAt: number
  tool: string
  expected: ExpectedAttribution
  tokenHash: string | null
  ceiling?: AttemptRecord['ceiling']
  signal?: AbortSignal
}

export interface SentRequest {
  record: AttemptRecord
  /** parsed JSON body, if any (token responses); never written anywhere */
  json: unknown
}

let seq = 0

export async function sendRequest(pools: HttpPools, req: WireRequest, meta: AttemptMeta): Promise<SentRequest> {
  const trace = newTraceContext()
  const flat: string[] = ['traceparent', trace.traceparent, 'x-request-id', trace.requestId]
  for (const [k, v] of req.headers ?? []) flat.push(k, v)
  const record: AttemptRecord = {
    seq: ++seq,
    trace_id: trace.traceId,
    request_id: trace.requestId,
    kind: meta.kind,
    ...(meta.caseId ? { case: meta.caseId } : {}),
    ...(meta.group ? { group: meta.group } : {}),
    scenario: meta.scenario,
    scheduled_at: meta.scheduledAt,
    started_at: epochNow(),
    ended_at: 0,
    method: req.method,
    path: req.path,
    tool: meta.tool,
    expected: meta.expected,
    status: null,
    error_code: null,
    challenge_scheme: null,
    transport_error: null,
    token_hash: meta.tokenHash,
    ...(meta.ceiling ? { ceiling: meta.ceiling } : {}),
  }
  let json: unknown = null
  try {
    const res = await pools.get(req.origin).request({
      method: req.method as 'GET',
      path: req.path,
      headers: flat,
      body: req.body,
      signal: meta.signal,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    })
    const text = await res.body.text()
    record.status = res.statusCode
    record.challenge_scheme = challengeSchemeOf(res.headers)
    if (res.statusCode >= 400) record.error_code = oauthErrorOf(res.headers, text)
    if (String(res.headers['content-type'] ?? '').includes('json')) json = parseJson(text)
    const issued = issuedOf(json)
    if (issued) record.issued = issued
  } catch (e) {
    record.transport_error = (e as Error).name === 'AbortError' ? 'aborted' : ((e as { code?: string }).code ?? (e as Error).message)
  }
  record.ended_at = epochNow()
  return { record, json }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/** What a token response granted (scope and audience), read without keeping the token. */
function issuedOf(json: unknown): AttemptRecord['issued'] | undefined {
  const body = json as { access_token?: unknown; scope?: unknown } | null
  if (!body || typeof body.access_token !== 'string') return undefined
  const claims = unverifiedPayload(body.access_token)
  const scope = typeof body.scope === 'string' ? body.scope : typeof claims?.scope === 'string' ? claims.scope : ''
  const aud = claims?.aud
  return { scope: scope.split(' ').filter(Boolean), aud: typeof aud === 'string' ? aud : Array.isArray(aud) ? aud.join(' ') : null }
}

export function toolPath(tool: ToolSpec, tenant: string, id = ''): string {
  return tool.path.replace('{tenant}', encodeURIComponent(tenant)).replace('{id}', encodeURIComponent(id))
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

/** A tool call with the usual DPoP credential: fresh proof unless one is given. */
export async function sendAttempt(pools: HttpPools, spec: AttemptSpec): Promise<SentAttempt> {
  const path = toolPath(spec.tool, spec.tenant, spec.resourceId)
  const headers: [string, string][] = []
  let proof: string | null = null
  if (spec.credential) {
    proof = spec.proof ?? createDpopProof(spec.credential.key, { htm: spec.tool.method, htu: spec.rs.origin + path, ath: spec.credential.tokenHash }).proof
    headers.push(['authorization', `DPoP ${spec.credential.accessToken}`], ['dpop', proof])
  }
  let body: string | undefined
  if (spec.body) {
    body = JSON.stringify(spec.body)
    headers.push(['content-type', 'application/json'])
  }
  const { record } = await sendRequest(
    pools,
    { origin: spec.rs.origin, method: spec.tool.method, path, headers, body },
    {
      kind: spec.kind,
      caseId: spec.caseId,
      group: spec.group,
      scenario: spec.scenario,
      scheduledAt: spec.scheduledAt,
      tool: spec.tool.name,
      expected: spec.expected,
      tokenHash: spec.credential?.tokenHash ?? null,
      signal: spec.signal,
    },
  )
  return { record, proof }
}
