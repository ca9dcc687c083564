/**
 * private_key_jwt client authentication (RFC 7523 §2.2, §3; RFC 7521 §4.2). The assertion must be
 * signed with the key registered for the client, name this AS as its audience (audienceNamesUs),
 * live at most 5 minutes, and be used once.
 */
import { decodeJwt, errors, jwtVerify } from 'jose'
import { Refusal } from '../shared/oauth-error.ts'
import { flawed, type AsContext } from './as-context.ts'
import type { RegisteredClient } from './client-registry.ts'

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const MAX_LIFETIME_S = 300
const LEEWAY_S = 5

function refuse(reason: string, description: string, detail: Record<string, unknown> = {}): Refusal {
  return new Refusal(401, 'invalid_client', reason, description, detail)
}

function joseReason(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'client.assertion_expired'
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'client.assertion_signature'
  if (e instanceof errors.JWTClaimValidationFailed) return 'client.assertion_claims'
  return 'client.assertion_invalid'
}

/**
 * RFC 7523 §3 accepts any value that identifies the AS; draft-ietf-oauth-rfc7523bis (-11 §4, item 3
 * b) makes the issuer identifier the sole value to send and to accept, and the token endpoint URL
 * stays accepted here for clients written to RFC 7523's "MAY" (compared as exact strings, RFC 3986
 * §6.2.1). Since -03 the draft lets `aud` be an array (RFC 7519 §4.1.3); one that also names another
 * party is refused: that party received the same assertion and could replay it here (the 2025
 * audience-injection advisories). Any other endpoint of this AS (registration, revocation) is refused
 * too: RFC 7523 names only the token endpoint, and the draft not even that.
 */
function audienceNamesUs(ctx: AsContext, aud: unknown): boolean {
  const ours = (v: unknown): boolean => v === ctx.issuer || v === ctx.tokenEndpoint || (typeof v === 'string' && looselyOurs(ctx, v))
  if (Array.isArray(aud)) {
    // flaw `client-assertion-aud-any-member`: one member naming us is enough (what a JWT library's
    // "audience includes" check does), so an assertion also made for another party passes
    return aud.length > 0 && (flawed(ctx, 'client-assertion-aud-any-member') ? aud.some(ours) : aud.every(ours))
  }
  return ours(aud)
}

/**
 * Audience checks as they go wrong in practice, each a flaw switch; false on the correct target.
 * `client-assertion-aud-prefix`: the aud only has to start with the issuer (a realm or tenant path
 * below it, another AS on the same origin, passes). `client-assertion-aud-path-only`: only the URL
 * path is compared with the token endpoint's (an AS behind a proxy that does not know its public
 * origin), so another host's URL with the same path passes.
 */
function looselyOurs(ctx: AsContext, v: string): boolean {
  if (flawed(ctx, 'client-assertion-aud-prefix') && v.startsWith(ctx.issuer)) return true
  if (flawed(ctx, 'client-assertion-aud-path-only') && URL.canParse(v)) return new URL(v).pathname === new URL(ctx.tokenEndpoint).pathname
  return false
}

/** Returns the authenticated client, or throws a Refusal (401 invalid_client). */
export async function authenticateClient(ctx: AsContext, params: URLSearchParams, authorization: string | null | 'multiple'): Promise<RegisteredClient> {
  if (authorization !== null) throw refuse('client.auth_method', 'only private_key_jwt client authentication is supported')
  if (params.has('client_secret')) throw refuse('client.auth_method', 'only private_key_jwt client authentication is supported')
  const assertion = params.get('client_assertion')
  if (params.get('client_assertion_type') !== ASSERTION_TYPE || assertion === null) {
    throw refuse('client.auth_missing', `client_assertion with client_assertion_type ${ASSERTION_TYPE} is required`)
  }
  let iss: unknown
  let claimedExp: unknown
  try {
    ;({ iss, exp: claimedExp } = decodeJwt(assertion))
  } catch {
    throw refuse('client.assertion_invalid', 'client_assertion is not a JWT')
  }
  const client = typeof iss === 'string' ? ctx.clients.get(iss) : undefined
  if (client === undefined) {
    const deletedAt = typeof iss === 'string' ? ctx.clients.deletedAt(iss) : null
    if (deletedAt !== null) throw refuse('client.deleted', 'the client was deleted', { claimed_client_id: iss, offboarded_at: deletedAt })
    throw refuse('client.unknown', 'unknown client', { claimed_client_id: typeof iss === 'string' ? iss.slice(0, 128) : null })
  }
  const claimedId = params.get('client_id')
  if (claimedId !== null && claimedId !== client.client_id) throw refuse('client.id_mismatch', 'client_id does not match the assertion issuer')

  let payload
  try {
    ;({ payload } = await jwtVerify(assertion, await ctx.clients.keyOf(client), {
      algorithms: ['ES256'],
      issuer: client.client_id,
      subject: client.client_id,
      requiredClaims: ['jti', 'exp', 'iat'],
      clockTolerance: LEEWAY_S,
      // flaw `client-assertion-exp-unchecked`: judge the assertion as of just before its own exp
      ...(flawed(ctx, 'client-assertion-exp-unchecked') && typeof claimedExp === 'number' ? { currentDate: new Date(Math.min(Date.now(), (claimedExp - 1) * 1000)) } : {}),
    }))
  } catch (e) {
    const exp = e instanceof errors.JWTExpired ? e.payload.exp : undefined
    const detail = exp !== undefined ? { assertion_exp: exp, server_time: Math.floor(Date.now() / 1000) } : {}
    throw refuse(joseReason(e), `client_assertion rejected: ${e instanceof Error ? e.message : String(e)}`, detail)
  }
  if (!audienceNamesUs(ctx, payload.aud) && !flawed(ctx, 'client-assertion-aud-unchecked')) {
    throw refuse('client.assertion_audience', 'client_assertion aud must be this server\'s issuer identifier (or its token endpoint URL)', { aud: payload.aud ?? null })
  }
  const exp = payload.exp as number
  const iat = payload.iat as number
  const nowS = Date.now() / 1000
  if (exp - iat > MAX_LIFETIME_S) throw refuse('client.assertion_lifetime', `client_assertion may live at most ${MAX_LIFETIME_S} s`)
  if (iat > nowS + 60) throw refuse('client.assertion_claims', 'client_assertion iat is in the future')
  const ttlMs = Math.max(1, exp + LEEWAY_S - nowS) * 1000
  if (await ctx.replay.seen(`assertion ${client.client_id} ${String(payload.jti)}`, ttlMs)) {
    throw refuse('client.assertion_replay', 'client_assertion was already used')
  }
  return client
}
