/**
 * RFC 7523 client authentication (`private_key_jwt`, OIDC Core §9): a short JWT signed with the
 * client's own key, sent as `client_assertion` with the jwt-bearer assertion type.
 *
 * `aud` is the token endpoint URL, as RFC 7523 §3 allows and the client-assertion attack cases
 * assume (the "wrong aud" case simply passes the issuer identifier as `audience`).
 *
 * @example
 *   const assertion = clientAssertion(key, clientId, meta.token_endpoint)
 */
import { agentClock } from './agent-clock.ts'
import { signCompactAs } from './identity-key.ts'
import type { IdentityKey } from '../contracts/identity.ts'
import { encodeSegment } from './jws.ts'
import { randomB64url } from './random-id.ts'

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export interface ClientAssertionOptions {
  /** seconds since the epoch; defaults to the client's clock (agent-clock.ts); the expired-assertion case passes an old one */
  iat?: number
  /** lifetime in seconds; RFC 7523 §3 wants a short one. Default 60 */
  ttlS?: number
  /** defaults to random; the reused-jti case passes one twice */
  jti?: string
}

export interface ClientAssertionClaims {
  iss: string
  sub: string
  aud: string
  jti: string
  iat: number
  exp: number
}

/** RFC 7523 §3: iss = sub = client_id, aud = the authorization server (token endpoint), exp, jti. */
export function clientAssertionClaims(clientId: string, audience: string, opts: ClientAssertionOptions = {}): ClientAssertionClaims {
  const iat = opts.iat ?? Math.floor(Date.now() / 1000)
  return { iss: clientId, sub: clientId, aud: audience, jti: opts.jti ?? randomB64url(16), iat, exp: iat + (opts.ttlS ?? 60) }
}

export function clientAssertion(
  key: Pick<IdentityKey, 'privateKey' | 'kid'>,
  clientId: string,
  audience: string,
  opts: ClientAssertionOptions = {},
): string {
  // `kid` lets the AS pick the right key from the registered jwks once keys rotate.
  const header = encodeSegment({ alg: 'ES256', typ: 'JWT', kid: key.kid })
  const withClock = opts.iat !== undefined || agentClock.skewed === 0 ? opts : { ...opts, iat: agentClock.nowS(key) }
  // Through the identity's key cache (identity-key.ts): a miss with the cache full makes no KeyObject.
  return signCompactAs(key, header, clientAssertionClaims(clientId, audience, withClock))
}
