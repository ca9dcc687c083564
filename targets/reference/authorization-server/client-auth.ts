/**
 * private_key_jwt client authentication (RFC 7523 §2.2, §3; RFC 7521 §4.2). The assertion must be
 * signed with the key registered for the client (ES256 only), have iss = sub = the client (and any
 * client_id parameter name it too), name this AS as its audience (audienceNamesUs), carry exp, live
 * at most 5 minutes, and be used once.
 */
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, errors, jwtVerify, UnsecuredJWT, type CryptoKey, type JWTPayload, type JWTVerifyOptions } from 'jose'
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
  if (e instanceof errors.JOSEAlgNotAllowed) return 'client.assertion_alg'
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

/**
 * What a refusal of the assertion records: the claim that failed, the header's `alg` where the
 * algorithm or the signature failed (never the assertion itself, which may still be valid).
 */
function refusalDetail(e: unknown, alg: unknown): Record<string, unknown> {
  if (e instanceof errors.JWTExpired) return { assertion_exp: e.payload.exp, server_time: Math.floor(Date.now() / 1000) }
  if (e instanceof errors.JWTClaimValidationFailed) return { claim: e.claim }
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JWSSignatureVerificationFailed) return { alg: typeof alg === 'string' ? alg.slice(0, 32) : null }
  return {}
}

/**
 * flaw `client-assertion-signature-unchecked`: the claims are checked, the signature never is (the
 * decode-instead-of-verify bug). jose validates claims of an unsecured JWT only, so the payload is
 * re-wrapped under an `alg: none` header for the same claim checks the correct path makes.
 */
function claimsOnly(assertion: string, options: JWTVerifyOptions): JWTPayload {
  const payload = assertion.split('.')[1] ?? ''
  const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')
  return UnsecuredJWT.decode(`${header}.${payload}.`, options).payload
}

/**
 * flaw `client-assertion-key-by-kid`: the verification key is the registered key whose thumbprint
 * the header's `kid` names, whichever client it belongs to (a kid-indexed key store), and `iss`
 * is then trusted: any client can sign as any other. Without the flaw, only the client's own key.
 */
async function verificationKey(ctx: AsContext, client: RegisteredClient, kid: unknown): Promise<CryptoKey> {
  if (flawed(ctx, 'client-assertion-key-by-kid') && typeof kid === 'string') {
    for (const other of ctx.clients.all()) {
      if (await calculateJwkThumbprint(other.jwk) === kid) return ctx.clients.keyOf(other)
    }
  }
  return ctx.clients.keyOf(client)
}

/**
 * flaw `jwt-kind-unchecked`: one JWT check for every kind, so a token this AS signed itself (an
 * access token) authenticates the client it names in `client_id`. The correct AS never reaches
 * this: an assertion's `iss` must be a registered client (RFC 8725 §3.12).
 */
async function clientOfOwnToken(ctx: AsContext, assertion: string): Promise<RegisteredClient | undefined> {
  try {
    const { payload } = await jwtVerify(assertion, ctx.keys.verifyKey, { issuer: ctx.issuer, algorithms: ['ES256'], clockTolerance: LEEWAY_S })
    return typeof payload.client_id === 'string' ? ctx.clients.get(payload.client_id) : undefined
  } catch {
    return undefined
  }
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
  let header: { alg?: unknown; kid?: unknown }
  try {
    ;({ iss, exp: claimedExp } = decodeJwt(assertion))
    header = decodeProtectedHeader(assertion)
  } catch {
    throw refuse('client.assertion_invalid', 'client_assertion is not a JWT')
  }
  if (flawed(ctx, 'jwt-kind-unchecked') && iss === ctx.issuer) {
    const own = await clientOfOwnToken(ctx, assertion)
    if (own !== undefined) return own
  }
  const client = typeof iss === 'string' ? ctx.clients.get(iss) : undefined
  if (client === undefined) {
    const deletedAt = typeof iss === 'string' ? ctx.clients.deletedAt(iss) : null
    if (deletedAt !== null) throw refuse('client.deleted', 'the client was deleted', { claimed_client_id: iss, offboarded_at: deletedAt })
    throw refuse('client.unknown', 'unknown client', { claimed_client_id: typeof iss === 'string' ? iss.slice(0, 128) : null })
  }
  const claimedId = params.get('client_id')
  // RFC 7521 §4.2: a client_id sent alongside must name the assertion's client. flaw `client-id-param-ignored`
  if (claimedId !== null && claimedId !== client.client_id && !flawed(ctx, 'client-id-param-ignored')) {
    throw refuse('client.id_mismatch', 'client_id does not match the assertion issuer', { claimed_client_id: claimedId.slice(0, 128) })
  }

  const expOptional = flawed(ctx, 'client-assertion-exp-optional')
  const options: JWTVerifyOptions = {
    // the registered algorithm only (RFC 8725 §3.1): never `none`, never a MAC keyed with the public key
    algorithms: ['ES256'],
    issuer: client.client_id,
    // RFC 7523 §3 (2): sub is the client too. flaw `client-assertion-sub-unchecked`
    ...(flawed(ctx, 'client-assertion-sub-unchecked') ? {} : { subject: client.client_id }),
    // RFC 7523 §3 (4): an assertion without exp would be a standing credential. flaw `client-assertion-exp-optional`
    requiredClaims: expOptional ? ['jti', 'iat'] : ['jti', 'exp', 'iat'],
    clockTolerance: LEEWAY_S,
    // flaw `client-assertion-exp-unchecked`: judge the assertion as of just before its own exp
    ...(flawed(ctx, 'client-assertion-exp-unchecked') && typeof claimedExp === 'number' ? { currentDate: new Date(Math.min(Date.now(), (claimedExp - 1) * 1000)) } : {}),
  }
  let payload
  try {
    payload = flawed(ctx, 'client-assertion-signature-unchecked')
      ? claimsOnly(assertion, options)
      : (await jwtVerify(assertion, await verificationKey(ctx, client, header.kid), options)).payload
  } catch (e) {
    throw refuse(joseReason(e), `client_assertion rejected: ${e instanceof Error ? e.message : String(e)}`, refusalDetail(e, header.alg))
  }
  if (!audienceNamesUs(ctx, payload.aud) && !flawed(ctx, 'client-assertion-aud-unchecked')) {
    throw refuse('client.assertion_audience', 'client_assertion aud must be this server\'s issuer identifier (or its token endpoint URL)', { aud: payload.aud ?? null })
  }
  const iat = payload.iat as number
  // only under `client-assertion-exp-optional` can exp be missing: the flawed AS treats it as the longest lifetime
  const exp = typeof payload.exp === 'number' ? payload.exp : iat + MAX_LIFETIME_S
  const nowS = Date.now() / 1000
  if (exp - iat > MAX_LIFETIME_S) throw refuse('client.assertion_lifetime', `client_assertion may live at most ${MAX_LIFETIME_S} s`, { lifetime_s: exp - iat })
  if (iat > nowS + 60) throw refuse('client.assertion_claims', 'client_assertion iat is in the future')
  const ttlMs = Math.max(1, exp + LEEWAY_S - nowS) * 1000
  if (await ctx.replay.seen(`assertion ${client.client_id} ${String(payload.jti)}`, ttlMs)) {
    throw refuse('client.assertion_replay', 'client_assertion was already used')
  }
  return client
}
