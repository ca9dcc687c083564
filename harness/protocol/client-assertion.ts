/**
 * RFC 7523 client authentication (`private_key_jwt`, OIDC Core §9): a short JWT signed with the
 * client's own key, sent as `client_assertion` with the jwt-bearer assertion type.
 *
 * `aud` is the AS's issuer identifier by default: RFC 7523 §3 accepts any value identifying the AS,
 * and draft-ietf-oauth-rfc7523bis makes the issuer the one to send, since a token endpoint URL can be
 * claimed by another AS's metadata (audience injection). `audience: 'token-endpoint'` is there for
 * an AS that still accepts only its token endpoint URL (what OIDC Core §9 recommended before).
 *
 * @example
 *   const assertion = clientAssertion(key, clientId, meta)                                  // aud = meta.issuer
 *   const legacy = clientAssertion(key, clientId, meta, { audience: 'token-endpoint' })     // aud = meta.token_endpoint
 */
import { agentClock } from './agent-clock.ts'
import { signCompactAs } from './identity-key.ts'
import type { IdentityKey } from '../contracts/identity.ts'
import { encodeSegment } from './jws.ts'
import { randomB64url } from './random-id.ts'

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** Which of the AS's own identifiers `aud` names. */
export type AssertionAudience = 'issuer' | 'token-endpoint'

/** The AS as its RFC 8414 metadata names it. */
export interface AssertionServer {
  issuer: string
  token_endpoint: string
}

export interface ClaimOptions {
  /** seconds since the epoch; defaults to the client's clock (agent-clock.ts); the expired-assertion case passes an old one */
  iat?: number
  /** lifetime in seconds; RFC 7523 §3 wants a short one. Default 60 */
  ttlS?: number
  /** defaults to random; the reused-jti case passes one twice */
  jti?: string
}

export interface ClientAssertionOptions extends ClaimOptions {
  /** default 'issuer' (rfc7523bis) */
  audience?: AssertionAudience
}

export interface ClientAssertionClaims {
  iss: string
  sub: string
  aud: string | readonly string[]
  jti: string
  iat: number
  exp: number
}

/** RFC 7523 §3: iss = sub = client_id, aud = the authorization server, exp, jti. */
export function clientAssertionClaims(clientId: string, aud: string | readonly string[], opts: ClaimOptions = {}): ClientAssertionClaims {
  const iat = opts.iat ?? Math.floor(Date.now() / 1000)
  return { iss: clientId, sub: clientId, aud, jti: opts.jti ?? randomB64url(16), iat, exp: iat + (opts.ttlS ?? 60) }
}

export function assertionAudience(server: AssertionServer, audience: AssertionAudience = 'issuer'): string {
  return audience === 'issuer' ? server.issuer : server.token_endpoint
}

/** An assertion naming `server` as its audience, the way a legitimate client does. */
export function clientAssertion(
  key: Pick<IdentityKey, 'privateKey' | 'kid'>,
  clientId: string,
  server: AssertionServer,
  opts: ClientAssertionOptions = {},
): string {
  const { audience, ...claims } = opts
  return clientAssertionFor(key, clientId, assertionAudience(server, audience), claims)
}

/** An assertion with exactly this `aud`: attack cases use it to name another party. */
export function clientAssertionFor(
  key: Pick<IdentityKey, 'privateKey' | 'kid'>,
  clientId: string,
  aud: string | readonly string[],
  opts: ClaimOptions = {},
): string {
  // `kid` lets the AS pick the right key from the registered jwks once keys rotate.
  const header = encodeSegment({ alg: 'ES256', typ: 'JWT', kid: key.kid })
  const withClock = opts.iat !== undefined || agentClock.skewed === 0 ? opts : { ...opts, iat: agentClock.nowS(key) }
  // Through the identity's key cache (identity-key.ts): a miss with the cache full makes no KeyObject.
  return signCompactAs(key, header, clientAssertionClaims(clientId, aud, withClock))
}
