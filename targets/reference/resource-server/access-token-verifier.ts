/**
 * RFC 9068 access token validation at the resource server (§4): typ, ES256 signature with the AS
 * JWKS, iss, aud, exp, plus the claims this deployment relies on (DPoP binding, tenant, actors).
 * RFC 8725 hardening: the alg is pinned (no `none`, no HMAC, so no RS→HS confusion), key-carrying
 * headers (`jku`, `x5u`, `jwk`, `x5c`) are refused and never fetched, and `kid` is only looked up
 * in the AS JWKS (sanitised in evidence). Verified tokens are cached by hash, since agents reuse a
 * token for many calls; exp is still checked on every use. A kid the replica has not cached while
 * the JWKS cannot be fetched is `system.jwks_unavailable` (503 at the caller): fail closed.
 */
import { hasFlaw } from '../flaws.ts'
import { BoundedCache } from '../shared/bounded-cache.ts'
import { parseCompactJws, verifyEs256 } from '../shared/jws.ts'
import type { JwksClient } from './jwks-client.ts'

export interface AccessClaims {
  iss: string
  sub: string
  client_id: string
  jti: string
  exp: number
  nbf: number | null
  scope: string[]
  tenant: string
  /** cnf.jkt; null only under the flaw issued-token-unbound */
  jkt: string | null
  principalType: 'user' | 'agent'
  /** act chain flattened, current actor first */
  actors: string[]
}

export type TokenCheck =
  /** `retiredKid`: signed by a key the AS has dropped from its JWKS (never to be served: see verify) */
  | { ok: true; claims: AccessClaims; retiredKid?: string }
  /** `claims` is set only when the signature verified (the token is genuine but unusable here) */
  | { ok: false; reason: string; description: string; detail: Record<string, unknown>; claims?: AccessClaims }

/** the one refusal that is the system's fault, not the token's: the caller answers 503, not 401 */
export const JWKS_UNAVAILABLE = 'system.jwks_unavailable'

const MAX_ACT_DEPTH = 16
const TYP = /^(application\/)?at\+jwt$/i
/** kids this AS issues are RFC 7638 thumbprints; anything path- or query-like is not looked up */
const KID = /^[A-Za-z0-9_-]{1,128}$/
const KEY_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const

function bad(reason: string, description: string, detail: Record<string, unknown> = {}, claims?: AccessClaims): TokenCheck {
  return { ok: false, reason, description, detail, ...(claims !== undefined ? { claims } : {}) }
}

/** A header value as evidence may show it: printable ASCII only, at most `max` characters. */
export function sanitise(value: unknown, max = 64): string | null {
  if (value === undefined || value === null) return null
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.replace(/[^\x20-\x7E]/g, '?').slice(0, max)
}

function flattenActors(act: unknown): string[] | null {
  const actors: string[] = []
  let level = act
  while (level !== undefined) {
    if (level === null || typeof level !== 'object' || actors.length >= MAX_ACT_DEPTH) return null
    const { sub, act: inner } = level as { sub?: unknown; act?: unknown }
    if (typeof sub !== 'string') return null
    actors.push(sub)
    level = inner
  }
  return actors
}

/** Claims of a signature-checked payload, or why they are unusable. */
function readClaims(p: Record<string, unknown>, unboundAllowed: boolean): AccessClaims | string {
  const cnf = p.cnf as { jkt?: unknown } | undefined
  if (typeof p.sub !== 'string' || typeof p.client_id !== 'string' || typeof p.jti !== 'string') return 'sub, client_id and jti are required'
  if (typeof p.exp !== 'number' || typeof p.iss !== 'string') return 'exp and iss are required'
  if (typeof p.scope !== 'string' || typeof p.tenant !== 'string') return 'scope and tenant are required'
  const unbound = cnf === undefined || cnf === null || typeof cnf.jkt !== 'string'
  // flaw issued-token-unbound: DPoP "optional" here, so a token without cnf is taken with any proof
  if (unbound && !unboundAllowed) return 'token is not DPoP-bound (cnf.jkt missing)'
  const actors = flattenActors(p.act)
  if (actors === null) return 'act must be nested objects with a sub'
  return {
    iss: p.iss,
    sub: p.sub,
    client_id: p.client_id,
    jti: p.jti,
    exp: p.exp,
    nbf: typeof p.nbf === 'number' ? p.nbf : null,
    scope: p.scope.split(' ').filter((s) => s.length > 0),
    tenant: p.tenant,
    jkt: unbound ? null : (cnf!.jkt as string),
    principalType: p.principal_type === 'user' ? 'user' : 'agent',
    actors,
  }
}

export class AccessTokenVerifier {
  readonly #issuer: string
  readonly #audience: string
  readonly #jwks: JwksClient
  readonly #leewayS: number
  readonly #flaws: readonly string[]
  readonly #cache = new BoundedCache<string, AccessClaims>(100_000)

  constructor(options: { issuer: string; audience: string; jwks: JwksClient; leewayS?: number; flaws?: readonly string[] }) {
    this.#issuer = options.issuer
    this.#audience = options.audience
    this.#jwks = options.jwks
    this.#leewayS = options.leewayS ?? 5
    this.#flaws = options.flaws ?? []
  }

  async verify(token: string, tokenHash: string, nowS: number): Promise<TokenCheck> {
    const cached = this.#cache.get(tokenHash)
    const result = cached !== undefined ? { ok: true as const, claims: cached } : await this.#verifyFresh(token)
    if (!result.ok) return result
    const c = result.claims
    if (nowS > c.exp + this.#leewayS && !hasFlaw(this.#flaws, 'expiry-unchecked')) {
      return bad('token.expired', 'token has expired', { exp: c.exp, server_time: Math.floor(nowS) }, c)
    }
    if (c.nbf !== null && nowS < c.nbf - this.#leewayS) return bad('token.not_yet_valid', 'token is not valid yet', { nbf: c.nbf, server_time: Math.floor(nowS) }, c)
    if (result.retiredKid !== undefined) return bad('token.key_retired', 'the token was signed with a key the AS no longer publishes', { kid: result.retiredKid }, c)
    if (cached === undefined) this.#cache.set(tokenHash, c)
    return result
  }

  async #verifyFresh(token: string): Promise<TokenCheck> {
    const jws = parseCompactJws(token)
    if (jws === null) return bad('token.malformed', 'access token is not a compact JWS')
    const { header, payload } = jws
    // every refusal below names the alg and the (sanitised) kid the token claimed
    const seen = { alg: sanitise(header.alg, 32), kid: sanitise(header.kid) }
    const refuse = (reason: string, description: string, detail: Record<string, unknown> = {}, claims?: AccessClaims): TokenCheck =>
      bad(reason, description, { ...seen, ...detail }, claims)

    if (typeof header.typ !== 'string' || !TYP.test(header.typ)) return refuse('token.typ', 'typ must be at+jwt', { received_typ: sanitise(header.typ) })
    // flaw token-alg-none-accepted: an unsigned token is taken at its word
    const unsigned = header.alg === 'none' && hasFlaw(this.#flaws, 'token-alg-none-accepted')
    if (header.alg !== 'ES256' && !unsigned) return refuse('token.alg', 'alg must be ES256')
    if (header.crit !== undefined) return refuse('token.malformed', 'crit header parameters are not supported')
    for (const name of KEY_HEADERS) {
      if (header[name] === undefined) continue
      const url = name === 'jku' || name === 'x5u' ? { blocked_url: sanitise(header[name], 256) } : {}
      return refuse('token.key_header', `the ${name} header is not accepted: keys come only from the AS JWKS`, { header: name, ...url })
    }
    // before the key lookup, so a token from another issuer is named as such (and costs no JWKS fetch)
    if (payload.iss !== this.#issuer) return refuse('token.issuer', 'iss is not the trusted AS', { iss: sanitise(payload.iss, 256) })
    let retiredKid: string | undefined
    if (!unsigned) {
      if (typeof header.kid !== 'string') return refuse('token.kid_missing', 'kid is missing')
      if (!KID.test(header.kid)) return refuse('token.kid_invalid', 'kid is not a key id this AS uses')
      const found = await this.#jwks.lookup(header.kid)
      if (found.state === 'unknown') return refuse('token.kid_unknown', 'kid is not in the AS JWKS')
      // Fail closed: an unknown kid while the JWKS cannot be fetched may be the AS's newest key or
      // an attacker's; nobody can tell, so the call is refused as unavailable (503), never served.
      // flaw jwks-fail-open: the token is taken without verifying its signature instead
      if (found.state === 'unavailable' && !hasFlaw(this.#flaws, 'jwks-fail-open')) {
        return refuse(JWKS_UNAVAILABLE, 'the AS keys cannot be fetched to verify this token; try again', { cause: found.cause })
      }
      // flaw token-signature-unchecked: the signature is not verified; every claim still is
      if (found.state === 'found' && !hasFlaw(this.#flaws, 'token-signature-unchecked') && !verifyEs256(found.key, jws.signingInput, jws.signature)) {
        return refuse('token.signature', 'signature does not verify')
      }
      if (found.state === 'former' && !verifyEs256(found.key, jws.signingInput, jws.signature)) return refuse('token.signature', 'signature does not verify')
      // A genuine token of a key the AS no longer publishes: judged like a cached one (expiry
      // first, then refused as retired, in its principal's name), never accepted (RFC 8725 §3.8)
      if (found.state === 'former') retiredKid = header.kid
    }
    const claims = readClaims(payload, hasFlaw(this.#flaws, 'issued-token-unbound'))
    if (typeof claims === 'string') return refuse('token.claims', claims)
    const aud = payload.aud
    if (!(aud === this.#audience || (Array.isArray(aud) && aud.includes(this.#audience))) && !hasFlaw(this.#flaws, 'audience-unchecked')) {
      const shown = Array.isArray(aud) ? aud.slice(0, 8).map((a) => sanitise(a, 256)) : sanitise(aud, 256)
      return refuse('token.audience', 'aud does not name this resource server', { aud: shown, expected: this.#audience }, claims)
    }
    return retiredKid === undefined ? { ok: true, claims } : { ok: true, claims, retiredKid }
  }
}
