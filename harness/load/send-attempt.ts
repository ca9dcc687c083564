/**
 * Sends one attempt, legitimate or attack, to any endpoint of the target (a tool at a resource
 * server, the token endpoint…) and turns the response into an AttemptRecord. The raw token and
 * proof stay in memory for the request only; the record keeps hashes.
 */
import type { AttemptRecord, ExpectedAttribution } from '../contracts/attempt.ts'
import type { ResourceServerInfo, ToolSpec } from '../contracts/target.ts'
import { challengeSchemeOf, oauthErrorOf } from '../protocol/challenge.ts'
import { hasBase64urlHeader } from '../protocol/identity-key.ts'
import type { IdentityKey } from '../contracts/identity.ts'
import { unverifiedPayload } from '../protocol/jws.ts'
import type { HttpHeaders } from '../protocol/http.ts'
import { epochNow } from './clock.ts'
import type { HttpPools } from './http-pool.ts'
import { batchedDpopProof } from './proof-batch.ts'
import { newTraceContext } from './trace.ts'
import type { AttemptMeta, AttemptSpec, SentAttempt, SentRequest, WireRequest } from '../contracts/wire.ts'

let seq = 0

export async function sendRequest(pools: HttpPools, req: WireRequest, meta: AttemptMeta): Promise<SentRequest> {
  const tail: string[] = []
  if (req.headers) for (const [k, v] of req.headers) tail.push(k, v)
  return send(pools, req.origin, req.method, req.path, [], tail, req.body, meta, true)
}

/** The status and headers tell whether the body is needed: error codes (≥ 400) and JSON bodies. */
function wantBody(status: number, headers: HttpHeaders): boolean {
  return status >= 400 || isJson(headers)
}

function isJson(headers: HttpHeaders): boolean {
  return String(headers['content-type'] ?? '').includes('json')
}

/**
 * The one request path: trace headers first, then `own` (pairs the harness built from characters
 * that cannot break a header line: its fresh DPoP proof), then `tail` (flat name/value pairs, names
 * may repeat, checked by the pool) in order; the response becomes the AttemptRecord. `wantJson`:
 * the caller wants the parsed JSON body back (token responses); otherwise a JSON body is parsed only
 * when it could carry a token.
 */
async function send(
  pools: HttpPools,
  origin: string,
  method: string,
  path: string,
  own: string[],
  tail: string[],
  body: string | undefined,
  meta: AttemptMeta,
  wantJson: boolean,
): Promise<SentRequest> {
  const trace = newTraceContext()
  // hex ids and a UUID made here: nothing in them can break a header line, so the pool skips their check
  const trusted = ['traceparent', trace.traceparent, 'x-request-id', trace.requestId]
  for (let i = 0; i < own.length; i++) trusted.push(own[i])
  const record = newRecord(trace.traceId, trace.requestId, method, path, meta)
  let json: unknown = null
  try {
    const res = await pools.get(origin).request({
      method,
      path,
      trusted,
      headers: tail,
      body,
      signal: meta.signal,
      fresh: meta.freshConnection,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
      wantBody,
    })
    record.status = res.status
    record.challenge_scheme = challengeSchemeOf(res.headers)
    if (res.status >= 400) record.error_code = oauthErrorOf(res.headers, res.text ?? '')
    // wantBody kept the text of every JSON response and of error responses of any type
    if (res.text !== null && (res.status < 400 || isJson(res.headers)) && (wantJson || mayHoldToken(res.text))) json = parseJson(res.text)
    const issued = issuedOf(json)
    if (issued) record.issued = issued
  } catch (e) {
    record.transport_error = (e as Error).name === 'AbortError' ? 'aborted' : ((e as { code?: string }).code ?? (e as Error).message)
  }
  record.ended_at = epochNow()
  return { record, json: wantJson ? json : null }
}

/**
 * Whether JSON.parse(text) could have a string `access_token` member (what issuedOf looks for):
 * the name appears literally, or escaped, which takes a backslash. Saves parsing every tool
 * response body on the hot path; the outcome is the same as parsing.
 */
function mayHoldToken(text: string): boolean {
  return text.includes('"access_token"') || text.includes('\\')
}

/** The record before the response, members in the order the attempt log has always had them. */
function newRecord(traceId: string, requestId: string, method: string, path: string, meta: AttemptMeta): AttemptRecord {
  return {
    seq: ++seq,
    trace_id: traceId,
    request_id: requestId,
    kind: meta.kind,
    ...(meta.caseId ? { case: meta.caseId } : {}),
    ...(meta.group ? { group: meta.group } : {}),
    scenario: meta.scenario,
    scheduled_at: meta.scheduledAt,
    started_at: epochNow(),
    ended_at: 0,
    method,
    path,
    tool: meta.tool,
    expected: meta.expected,
    status: null,
    error_code: null,
    challenge_scheme: null,
    transport_error: null,
    token_hash: meta.tokenHash,
    ...(meta.ceiling ? { ceiling: meta.ceiling } : {}),
  }
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
  return {
    scope: scope.split(' ').filter(Boolean),
    aud: typeof aud === 'string' ? aud : Array.isArray(aud) ? aud.join(' ') : null,
    // the scope above may come from the token's claim; whether the response itself stated it is what RFC 6749 §5.1 asks
    scope_stated: typeof body.scope === 'string',
  }
}

export function toolPath(tool: ToolSpec, tenant: string, id = ''): string {
  return replaceFirst(replaceFirst(tool.path, '{tenant}', encodeURIComponent(tenant)), '{id}', encodeURIComponent(id))
}

/**
 * `s.replace(pattern, value)` for a string pattern, without its `$` substitutions (none can occur:
 * encodeURIComponent encodes `$`) and cheaper on the hot path.
 */
function replaceFirst(s: string, pattern: string, value: string): string {
  const at = s.indexOf(pattern)
  return at === -1 ? s : s.slice(0, at) + value + s.slice(at + pattern.length)
}

const AUTHORIZATIONS_MAX = 4_096
const authorizations = new Map<string, string>()

/**
 * `DPoP <token>`, made once per token while it is in this bounded map (cleared when full, like the
 * key cache's 4,096): the same string object then goes out on every request of that identity, so
 * the pool's header check finds it by its cached hash instead of hashing a fresh 700-char
 * concatenation per request. ~0.7 KiB per entry.
 */
function dpopAuthorization(token: string): string {
  let value = authorizations.get(token)
  if (value === undefined) {
    if (authorizations.size >= AUTHORIZATIONS_MAX) authorizations.clear()
    value = `DPoP ${token}`
    authorizations.set(token, value)
  }
  return value
}

/** A tool call with the usual DPoP credential: fresh proof unless one is given. */
export async function sendAttempt(pools: HttpPools, spec: AttemptSpec): Promise<SentAttempt> {
  const path = toolPath(spec.tool, spec.tenant, spec.resourceId)
  const tail: string[] = []
  const own: string[] = []
  let proof: string | null = null
  const credential = spec.credential
  if (credential) {
    tail.push('authorization', dpopAuthorization(credential.accessToken))
    proof = spec.proof ?? (await batchedDpopProof(credential.key, { htm: spec.tool.method, htu: spec.rs.origin + path, ath: credential.tokenHash }))
    // A proof made here from a key with a checked base64url header is base64url and dots only; a
    // proof handed in (a replay, an attack's own) or signed by another kind of key is checked.
    if (spec.proof === undefined && hasBase64urlHeader(credential.key)) own.push('dpop', proof)
    else tail.push('dpop', proof)
  }
  let body: string | undefined
  if (spec.body) {
    body = JSON.stringify(spec.body)
    tail.push('content-type', 'application/json')
  }
  const { record } = await send(
    pools,
    spec.rs.origin,
    spec.tool.method,
    path,
    own,
    tail,
    body,
    {
      kind: spec.kind,
      caseId: spec.caseId,
      group: spec.group,
      scenario: spec.scenario,
      scheduledAt: spec.scheduledAt,
      tool: spec.tool.name,
      expected: spec.expected,
      tokenHash: credential?.tokenHash ?? null,
      signal: spec.signal,
      freshConnection: spec.freshConnection,
    },
    false,
  )
  return { record, proof }
}
