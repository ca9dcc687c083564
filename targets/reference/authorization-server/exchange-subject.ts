/**
 * RFC 8693 inputs other than the grant itself: the subject token (validated per its type, §2.1,
 * and refused once expired, revoked or issued along an offboarded client), the subject's `may_act`
 * (§4.4), and actor claims a client may try to slip in (`actor_token`, `act`): the actor is always
 * the authenticated client, never something the request says.
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, UnsecuredJWT, type JWTPayload, type JWTVerifyOptions } from 'jose'
import { Refusal } from '../shared/oauth-error.ts'
import { flawed, type AsContext } from './as-context.ts'

export const TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt'
export const TYPE_ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token'

const LEEWAY_S = 5

export interface Act {
  sub: string
  act?: Act
}

export function flattenAct(act: Act | undefined): string[] {
  const out: string[] = []
  for (let a = act; a !== undefined && out.length < 16; a = a.act) out.push(a.sub)
  return out
}

function invalidSubject(reason: string, description: string, detail: Record<string, unknown>): Refusal {
  return new Refusal(400, 'invalid_request', reason, description, detail)
}

/**
 * flaw `subject-token-signature-unchecked`: the claims are checked, the signature never is (decode
 * instead of verify). jose validates the claims of an unsecured JWT only, so the payload is
 * re-wrapped under an `alg: none` header for the same claim checks the correct path makes.
 */
function claimsOnly(token: string, options: JWTVerifyOptions): JWTPayload {
  const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')
  return UnsecuredJWT.decode(`${header}.${token.split('.')[1] ?? ''}.`, options).payload
}

/**
 * flaw `jwt-kind-unchecked`: a JWT subject token is verified against every key the AS knows: the
 * trusted IdP's, and else the registered client its `iss` names, so a client's own assertion (with
 * whatever claims it wrote) passes as a user's. The correct AS takes the IdP's keys only (RFC 8725 §3.12).
 */
async function anyKnownSigner(ctx: AsContext, token: string, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, ctx.trust.keys, options)).payload
  } catch (e) {
    const iss = decodeJwt(token).iss
    const client = typeof iss === 'string' ? ctx.clients.get(iss) : undefined
    if (client === undefined) throw e
    return (await jwtVerify(token, await ctx.clients.keyOf(client), { ...options, issuer: client.client_id })).payload
  }
}

/**
 * Validates the subject token for its type: the workforce IdP's assertion (audience = this AS) or
 * one of this AS's own access tokens (typ at+jwt, a published key, not revoked, no offboarded actor).
 */
export async function verifySubject(ctx: AsContext, token: string, type: string): Promise<JWTPayload> {
  const nowS = Math.floor(Date.now() / 1000)
  let claimedExp: unknown
  let claimedNbf: unknown
  let alg: unknown
  try {
    ;({ exp: claimedExp, nbf: claimedNbf } = decodeJwt(token))
    alg = decodeProtectedHeader(token).alg
  } catch {
    // not a JWT: jwtVerify says so below
  }
  // flaw `expired-subject-accepted`: judge the subject as of just before its own exp;
  // flaw `subject-token-nbf-unchecked`: as of its nbf, when that is still ahead
  const when = flawed(ctx, 'expired-subject-accepted') && typeof claimedExp === 'number'
    ? { currentDate: new Date(Math.min(Date.now(), (claimedExp - 1) * 1000)) }
    : flawed(ctx, 'subject-token-nbf-unchecked') && typeof claimedNbf === 'number'
      ? { currentDate: new Date(Math.max(Date.now(), claimedNbf * 1000)) }
      : {}
  let payload: JWTPayload
  try {
    if (type === TYPE_JWT) {
      const options: JWTVerifyOptions = {
        issuer: ctx.trust.issuer,
        // RFC 7519 §4.1.3: an assertion made for another AS is not ours to honour. flaw `subject-token-aud-unchecked`
        ...(flawed(ctx, 'subject-token-aud-unchecked') ? {} : { audience: ctx.issuer }),
        algorithms: ['ES256'],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: LEEWAY_S,
        ...when,
      }
      payload = flawed(ctx, 'subject-token-signature-unchecked')
        ? claimsOnly(token, options)
        : flawed(ctx, 'jwt-kind-unchecked') ? await anyKnownSigner(ctx, token, options) : (await jwtVerify(token, ctx.trust.keys, options)).payload
    } else {
      ;({ payload } = await jwtVerify(token, ctx.keys.verifyKey, { issuer: ctx.issuer, typ: 'at+jwt', algorithms: ['ES256'], requiredClaims: ['exp', 'sub', 'client_id', 'jti'], clockTolerance: LEEWAY_S, ...when }))
    }
  } catch (e) {
    if (e instanceof errors.JWTExpired) {
      throw invalidSubject('exchange.subject_expired', 'subject_token has expired', { subject_token_type: type, subject_exp: e.payload.exp ?? null, server_time: nowS })
    }
    // which check failed, never the token: the claim, or the header's alg for a signature or algorithm failure
    const why = e instanceof errors.JWTClaimValidationFailed
      ? { claim: e.claim }
      : e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JWKSNoMatchingKey
        ? { alg: typeof alg === 'string' ? alg.slice(0, 32) : null }
        : {}
    throw invalidSubject('exchange.subject_invalid', `subject_token rejected: ${e instanceof Error ? e.message : String(e)}`, { subject_token_type: type, ...why })
  }
  if (typeof payload.tenant !== 'string' || typeof payload.scope !== 'string') {
    throw invalidSubject('exchange.subject_invalid', 'subject_token rejected: tenant and scope claims are required', { subject_token_type: type })
  }
  if (type === TYPE_ACCESS_TOKEN) {
    const revokedAt = ctx.lifecycle.revokedAt(payload.jti as string)
    if (revokedAt !== null) throw invalidSubject('exchange.subject_revoked', 'subject_token was revoked', { subject_jti: payload.jti, revoked_at: revokedAt })
    for (const id of [payload.client_id as string, ...flattenAct(payload.act as Act | undefined)]) {
      const at = ctx.lifecycle.offboardedAt(id)
      if (at !== null) throw invalidSubject('exchange.subject_offboarded', 'a client in the subject token\'s delegation chain was offboarded', { offboarded_client: id, offboarded_at: at })
    }
  }
  return payload
}

/** RFC 8693 §4.4: when the subject names who may act for it, nobody else may. */
export function checkMayAct(ctx: AsContext, subject: JWTPayload, actor: string): void {
  const mayAct = subject.may_act
  if (mayAct === undefined || flawed(ctx, 'may-act-ignored')) return
  const m = mayAct !== null && typeof mayAct === 'object' && !Array.isArray(mayAct) ? (mayAct as Record<string, unknown>) : null
  const allowed = m !== null && m.sub === actor && (m.iss === undefined || m.iss === ctx.issuer)
  if (!allowed) {
    const shown = m === null ? null : { sub: typeof m.sub === 'string' ? m.sub.slice(0, 128) : null, ...(typeof m.iss === 'string' ? { iss: m.iss.slice(0, 256) } : {}) }
    throw new Refusal(400, 'invalid_request', 'exchange.may_act', 'the subject token\'s may_act does not name this client', { may_act: shown, actor })
  }
}

/** Who an actor_token claims to be: an access token's client, else its subject (nothing is verified). */
function claimedSub(actorToken: string): string | null {
  try {
    const { client_id: clientId, sub } = decodeJwt(actorToken)
    const who = typeof clientId === 'string' ? clientId : sub
    return typeof who === 'string' ? who.slice(0, 128) : null
  } catch {
    return null
  }
}

function claimedAct(act: string): string | null {
  try {
    const v: unknown = JSON.parse(act)
    if (typeof v === 'string') return v.slice(0, 128)
    const sub = (v as { sub?: unknown } | null)?.sub
    return typeof sub === 'string' ? sub.slice(0, 128) : null
  } catch {
    return act.slice(0, 128)
  }
}

/**
 * The AS derives `act` only from the authenticated client (RFC 8693 §4.1; TXN-AGENTS SC 7), so a
 * request naming an actor is refused. Returns the claimed actor only under flaw `actor-token-trusted`.
 */
export function actorClaim(ctx: AsContext, params: URLSearchParams, authenticated: string): string | null {
  const actorToken = params.get('actor_token')
  const act = params.get('act')
  if (actorToken === null && act === null && !params.has('actor_token_type')) return null
  const claimed = actorToken !== null ? claimedSub(actorToken) : act !== null ? claimedAct(act) : null
  if (flawed(ctx, 'actor-token-trusted')) return claimed
  const reason = actorToken === null && act !== null ? 'exchange.actor_claimed' : 'exchange.actor_token_unsupported'
  throw new Refusal(400, 'invalid_request', reason, 'the authenticated client is the actor; actor_token and act are not accepted', {
    claimed_actor: claimed,
    authenticated_actor: authenticated,
  })
}
