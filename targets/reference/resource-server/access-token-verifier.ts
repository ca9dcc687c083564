/**
 * RFC 9068 access token validation at the resource server (§4): typ, ES256 signature with the AS
 * JWKS, iss, aud, exp, plus the claims this deployment relies on (DPoP binding, tenant, actors).
 * Verified tokens are cached by hash, since agents reuse a token for many calls; exp is still
 * checked on every use.
 */
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
  jkt: string
  principalType: 'user' | 'agent'
  /** act chain flattened, current actor first */
  actors: string[]
}

export type TokenCheck =
  | { ok: true; claims: AccessClaims }
  | { ok: false; reason: string; description: string; detail: Record<string, unknown> }

const MAX_ACT_DEPTH = 16
const TYP = /^(application\/)?at\+jwt$/i

function bad(reason: string, description: string, detail: Record<string, unknown> = {}): TokenCheck {
  return { ok: false, reason, description, detail }
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
function readClaims(p: Record<string, unknown>): AccessClaims | string {
  const cnf = p.cnf as { jkt?: unknown } | undefined
  if (typeof p.sub !== 'string' || typeof p.client_id !== 'string' || typeof p.jti !== 'string') return 'sub, client_id and jti are required'
  if (typeof p.exp !== 'number' || typeof p.iss !== 'string') return 'exp and iss are required'
  if (typeof p.scope !== 'string' || typeof p.tenant !== 'string') return 'scope and tenant are required'
  if (cnf === undefined || typeof cnf.jkt !== 'string') return 'token is not DPoP-bound (cnf.jkt missing)'
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
    jkt: cnf.jkt,
    principalType: p.principal_type === 'user' ? 'user' : 'agent',
    actors,
  }
}

export class AccessTokenVerifier {
  readonly #issuer: string
  readonly #audience: string
  readonly #jwks: JwksClient
  readonly #leewayS: number
  readonly #cache = new BoundedCache<string, AccessClaims>(100_000)

  constructor(options: { issuer: string; audience: string; jwks: JwksClient; leewayS?: number }) {
    this.#issuer = options.issuer
    this.#audience = options.audience
    this.#jwks = options.jwks
    this.#leewayS = options.leewayS ?? 5
  }

  async verify(token: string, tokenHash: string, nowS: number): Promise<TokenCheck> {
    const cached = this.#cache.get(tokenHash)
    const result = cached !== undefined ? { ok: true as const, claims: cached } : await this.#verifyFresh(token)
    if (!result.ok) return result
    const c = result.claims
    if (nowS > c.exp + this.#leewayS) return bad('token.expired', 'token has expired', { exp: c.exp, server_time: nowS })
    if (c.nbf !== null && nowS < c.nbf - this.#leewayS) return bad('token.not_yet_valid', 'token is not valid yet', { nbf: c.nbf, server_time: nowS })
    if (cached === undefined) this.#cache.set(tokenHash, c)
    return result
  }

  async #verifyFresh(token: string): Promise<TokenCheck> {
    const jws = parseCompactJws(token)
    if (jws === null) return bad('token.malformed', 'access token is not a compact JWS')
    const { header, payload } = jws
    if (typeof header.typ !== 'string' || !TYP.test(header.typ)) return bad('token.typ', 'typ must be at+jwt', { received_typ: header.typ ?? null })
    if (header.alg !== 'ES256') return bad('token.alg', 'alg must be ES256', { alg: header.alg ?? null })
    if (header.crit !== undefined) return bad('token.malformed', 'crit header parameters are not supported')
    if (typeof header.kid !== 'string') return bad('token.kid_unknown', 'kid is missing')
    const key = await this.#jwks.key(header.kid)
    if (key === null) return bad('token.kid_unknown', 'kid is not in the AS JWKS', { kid: header.kid.slice(0, 64) })
    if (!verifyEs256(key, jws.signingInput, jws.signature)) return bad('token.signature', 'signature does not verify')
    if (payload.iss !== this.#issuer) return bad('token.issuer', 'iss is not the trusted AS', { iss: String(payload.iss).slice(0, 256) })
    const aud = payload.aud
    if (!(aud === this.#audience || (Array.isArray(aud) && aud.includes(this.#audience)))) {
      return bad('token.audience', 'aud does not name this resource server', { aud: Array.isArray(aud) ? aud.slice(0, 8) : (aud ?? null), expected_aud: this.#audience })
    }
    const claims = readClaims(payload)
    if (typeof claims === 'string') return bad('token.claims', claims)
    return { ok: true, claims }
  }
}
