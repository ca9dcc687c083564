/**
 * POST /token: parse, authenticate the client (private_key_jwt), check the DPoP proof (RFC 9449
 * §5, always required), run the grant, sign a DPoP-bound RFC 9068 access token. Every request,
 * issued or refused, leaves one evidence record; an issued token is recorded before it is returned.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomUUID } from 'node:crypto'
import { calculateJwkThumbprint, decodeProtectedHeader, type JWK } from 'jose'
import { b64urlSha256 } from '../../../harness/protocol/token-hash.ts'
import { checkDpopProof, normalizeHtu } from '../shared/dpop-proof.ts'
import { readBody, requestIdOf, sendJson, singleHeader, traceIdOf } from '../shared/http-io.ts'
import { Refusal } from '../shared/oauth-error.ts'
import { ReplayStoreUnavailable } from '../shared/replay-store.ts'
import { flawed, type AsContext } from './as-context.ts'
import { asRecord, newAudit, type Audit } from './as-evidence.ts'
import type { RecordInput } from '../evidence-writer/evidence-writer.ts'
import { authenticateClient } from './client-auth.ts'
import { GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE } from './client-registry.ts'
import { anonymousExchangeGrant, clientCredentialsGrant, tokenExchangeGrant, TYPE_ACCESS_TOKEN, type Grant } from './grants.ts'

const IAT_WINDOW_S = 60
const TOOLS: Record<string, string> = {
  [GRANT_CLIENT_CREDENTIALS]: 'token.client_credentials',
  [GRANT_TOKEN_EXCHANGE]: 'token.exchange',
}

/**
 * The form body. `repeats: 'later'` leaves the RFC 6749 §3.2 repetition check to the caller
 * (refuseRepeats), so the token endpoint can first note which grant the refusal is about.
 */
export async function readForm(req: IncomingMessage, opts: { repeats?: 'now' | 'later' } = {}): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') throw new Refusal(400, 'invalid_request', 'policy.invalid_request', 'body must be application/x-www-form-urlencoded')
  const raw = await readBody(req, 64 * 1024).catch(() => {
    throw new Refusal(400, 'invalid_request', 'policy.invalid_request', 'body too large or unreadable')
  })
  const params = new URLSearchParams(raw.toString('utf8'))
  if (opts.repeats !== 'later') refuseRepeats(params)
  return params
}

/** RFC 6749 §3.2: request parameters must not repeat (resource is the RFC 8707 exception). */
export function refuseRepeats(params: URLSearchParams): void {
  for (const key of new Set(params.keys())) {
    if (key !== 'resource' && params.getAll(key).length > 1) throw new Refusal(400, 'invalid_request', 'policy.invalid_request', `parameter ${key} repeated`, { repeated_parameter: key.slice(0, 64) })
  }
}

/**
 * flaw `token-params-last-wins`: a repeated parameter is not refused, its last value is used (what
 * many form parsers do), so a check that read the first value is not what the grant runs on.
 */
function lastWins(params: URLSearchParams): void {
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key)
    if (key !== 'resource' && values.length > 1) params.set(key, values[values.length - 1])
  }
}

/**
 * flaw `token-dpop-proof-unchecked`: the token is bound to whatever key the proof's header carries,
 * with none of the RFC 9449 §4.3 checks (signature, alg, htm, htu, iat) made.
 */
async function jktOfHeader(proof: string): Promise<string | null> {
  try {
    const jwk = decodeProtectedHeader(proof).jwk
    return jwk !== undefined ? await calculateJwkThumbprint(jwk as JWK) : null
  } catch {
    return null
  }
}

/**
 * The proof's key thumbprint (RFC 9449 §5: every check of §4.3, htu = the token endpoint, htm =
 * POST), or a Refusal with invalid_dpop_proof. Every client registers with
 * dpop_bound_access_tokens (§5.2), so a request without a proof gets no token; null (an unbound
 * token) only under flaw `token-dpop-optional`.
 */
async function checkProof(ctx: AsContext, req: IncomingMessage, audit: Audit): Promise<string | null> {
  const header = singleHeader(req, 'dpop')
  if (header === null && flawed(ctx, 'token-dpop-optional')) return null
  if (header === null) throw new Refusal(400, 'invalid_dpop_proof', 'dpop.missing', 'a DPoP proof is required')
  if (header === 'multiple') throw new Refusal(400, 'invalid_dpop_proof', 'dpop.multiple', 'exactly one DPoP header is allowed')
  if (flawed(ctx, 'token-dpop-proof-unchecked')) {
    const jkt = await jktOfHeader(header)
    if (jkt !== null) {
      audit.jkt = jkt
      return jkt
    }
  }
  const htu = normalizeHtu(ctx.tokenEndpoint)!
  const nowS = Date.now() / 1000
  const proof = checkDpopProof(header, { htm: 'POST', htu, nowS, iatWindowS: IAT_WINDOW_S }, ctx.proofKeys)
  if (!proof.ok) throw new Refusal(400, 'invalid_dpop_proof', `dpop.${proof.check}`, proof.description, proof.detail)
  audit.jkt = proof.jkt
  if (await ctx.replay.seen(`${htu} ${proof.jti}`, 2 * IAT_WINDOW_S * 1000)) {
    throw new Refusal(400, 'invalid_dpop_proof', 'dpop.jti_replay', 'DPoP proof was already used', { proof_jti_hash: b64urlSha256(proof.jti) })
  }
  return proof.jkt
}

/**
 * The token request's evidence record. Flaw evidence-exchange-unlinked: an exchange's record names
 * the token the request presented (its subject token) where the issued token belongs, and no
 * subject token, as an audit layer that logs "the request's token" does. Each record still reads
 * right on its own, but no call can be traced through it back to whoever delegated.
 */
function tokenRecord(ctx: AsContext, audit: Audit, status: number, reason: string, error?: string): RecordInput {
  const record = asRecord(ctx.issuer, audit, status, reason, error)
  if (!flawed(ctx, 'evidence-exchange-unlinked') || audit.tool !== 'token.exchange') return record
  return { ...record, correlation: { ...record.correlation, token_hash: audit.parentHash, parent_token_hash: null } }
}

async function issue(ctx: AsContext, grant: Grant, jkt: string | null, audit: Audit): Promise<Record<string, unknown>> {
  const iat = Math.floor(Date.now() / 1000)
  const ttlS = ctx.tokenTtlByClient.get(grant.clientId) ?? ctx.tokenTtlS
  const jti = randomUUID()
  const token = await ctx.keys.sign({
    iss: ctx.issuer,
    sub: grant.sub,
    aud: grant.aud,
    client_id: grant.clientId,
    // flaw issued-token-no-iat: RFC 9068 §2.2 requires iat; nothing at the resource servers reads it
    ...(flawed(ctx, 'issued-token-no-iat') ? {} : { iat }),
    // flaw issued-lifetime-long: a day-long token, whatever expires_in tells the client
    exp: iat + (flawed(ctx, 'issued-lifetime-long') ? 86_400 : ttlS),
    jti,
    scope: claimedScope(ctx, grant, audit).join(' '),
    ...(flawed(ctx, 'issued-token-unbound') || jkt === null ? {} : { cnf: { jkt } }),
    tenant: grant.tenant,
    ...(grant.act !== undefined ? { act: flawed(ctx, 'issued-act-flattened') ? { sub: grant.act.sub } : grant.act } : {}),
    principal_type: grant.principalType,
  })
  audit.held = grant.scope
  audit.issued = { jti, hash: b64urlSha256(token) }
  if (!ctx.writer.append(tokenRecord(ctx, audit, 200, 'ok'))) {
    throw new Refusal(503, 'temporarily_unavailable', 'system.evidence_unavailable', 'evidence cannot be recorded')
  }
  return {
    access_token: token,
    issued_token_type: TYPE_ACCESS_TOKEN,
    // RFC 9449 §5: an unbound token is a Bearer one (only under flaw `token-dpop-optional`)
    token_type: jkt === null ? 'Bearer' : 'DPoP',
    expires_in: ttlS,
    scope: grant.scope.join(' '),
  }
}

/**
 * The token's scope claim: the grant. Flaw issued-scope-from-subject: the claim is copied from the
 * subject token (its scope, recorded as the exchange's subject_scope), while the response says the grant.
 */
function claimedScope(ctx: AsContext, grant: Grant, audit: Audit): string[] {
  const subjectScope = audit.detail.subject_scope
  return flawed(ctx, 'issued-scope-from-subject') && Array.isArray(subjectScope) ? (subjectScope as string[]) : grant.scope
}

/**
 * RFC 6749 §5.1: the response states the granted scope (REQUIRED when it differs from the request).
 * Flaw token-response-scope-omitted: `scope` is echoed only when the client sent one, as if it were
 * optional, so a client that asked for none gets the default without being told what it holds.
 */
function stated(ctx: AsContext, body: Record<string, unknown>, params: URLSearchParams): Record<string, unknown> {
  if (!flawed(ctx, 'token-response-scope-omitted') || (params.get('scope') ?? '').trim() !== '') return body
  const { scope: _omitted, ...rest } = body
  return rest
}

/** RFC 6749 §5.1: no-store (sendJson's default). Flaw token-response-cacheable: a shared cache may keep the token. */
function tokenResponseHeaders(ctx: AsContext): Record<string, string> {
  return flawed(ctx, 'token-response-cacheable') ? { 'cache-control': 'public, max-age=300' } : {}
}

/**
 * Flaw `client-credentials-unauthenticated`: a client-credentials request that does not even try to
 * authenticate (no Authorization header, no client_assertion) is taken to come from the client its
 * client_id names, as for a public client; RFC 6749 §3.2.1 requires a confidential client to
 * authenticate. Undefined (authenticate as usual) when the flaw is off or the request tries.
 */
function unauthenticatedClient(ctx: AsContext, grantType: string, params: URLSearchParams, authorization: string | null) {
  if (grantType !== GRANT_CLIENT_CREDENTIALS || authorization !== null || params.has('client_assertion') || !flawed(ctx, 'client-credentials-unauthenticated')) return undefined
  const clientId = params.get('client_id')
  return clientId !== null ? ctx.clients.get(clientId) : undefined
}

export async function handleToken(ctx: AsContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const audit = newAudit('POST', '/token', 'token.unknown', traceIdOf(req), requestIdOf(req))
  try {
    const params = await readForm(req, { repeats: 'later' })
    const grantType = params.get('grant_type') ?? ''
    audit.tool = TOOLS[grantType] ?? 'token.unsupported'
    if (flawed(ctx, 'token-params-last-wins')) lastWins(params)
    else refuseRepeats(params)
    if (TOOLS[grantType] === undefined) {
      throw new Refusal(400, 'unsupported_grant_type', 'policy.grant_unsupported', 'grant_type must be client_credentials or token exchange', { grant_type: grantType.slice(0, 128) })
    }
    const authorization = singleHeader(req, 'authorization')
    const subjectToken = grantType === GRANT_TOKEN_EXCHANGE ? params.get('subject_token') : null
    if (subjectToken !== null) audit.parentHash = b64urlSha256(subjectToken)
    // flaw `anon-exchange-allowed`: an exchange that does not even try to authenticate is served
    if (subjectToken !== null && authorization === null && !params.has('client_assertion') && flawed(ctx, 'anon-exchange-allowed')) {
      const jkt = await checkProof(ctx, req, audit)
      const grant = await anonymousExchangeGrant(ctx, params, audit)
      return sendJson(res, 200, stated(ctx, await issue(ctx, grant, jkt, audit), params), tokenResponseHeaders(ctx))
    }
    const client = unauthenticatedClient(ctx, grantType, params, authorization) ?? await authenticateClient(ctx, params, authorization).catch((e: unknown) => {
      // RFC 8693 §5: an unauthenticated exchange could launder a stolen token; record which one
      if (e instanceof Refusal && subjectToken !== null) e.detail = { ...e.detail, subject_token_hash: b64urlSha256(subjectToken) }
      throw e
    })
    audit.clientId = client.client_id
    audit.tenant = client.tenant
    const jkt = await checkProof(ctx, req, audit)
    const grant = grantType === GRANT_CLIENT_CREDENTIALS
      ? clientCredentialsGrant(ctx, client, params, audit)
      : await tokenExchangeGrant(ctx, client, params, audit)
    sendJson(res, 200, stated(ctx, await issue(ctx, grant, jkt, audit), params), tokenResponseHeaders(ctx))
  } catch (e) {
    const refusal = e instanceof Refusal ? e
      : e instanceof ReplayStoreUnavailable ? new Refusal(503, 'temporarily_unavailable', 'system.replay_store_unavailable', 'cannot check replay')
      : new Refusal(500, 'server_error', 'system.internal_error', 'internal error')
    if (!(e instanceof Refusal) && !(e instanceof ReplayStoreUnavailable)) process.stderr.write(`as: token request failed: ${e instanceof Error ? e.stack : String(e)}\n`)
    Object.assign(audit.detail, refusal.detail)
    const recorded = refusal.reason === 'system.evidence_unavailable' || ctx.writer.append(tokenRecord(ctx, audit, refusal.status, refusal.reason, refusal.error))
    if (!recorded) {
      return sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'evidence cannot be recorded', reason: 'system.evidence_unavailable' })
    }
    sendJson(res, refusal.status, { error: refusal.error, error_description: refusal.message })
  }
}
