/**
 * RFC 8693 §2.1: "the authorization server MUST perform the appropriate validation procedures for
 * the indicated token type". Two types are accepted:
 *
 * - `urn:ietf:params:oauth:token-type:jwt`: a user assertion of the trusted workforce IdP (its issuer
 *   and keys from the configuration), audience = this AS's issuer, ES256, with `sub`, `exp`, the
 *   tenant claim and `scope` (the user's entitlements, the ceiling of any exchange for them);
 * - `urn:ietf:params:oauth:token-type:access_token`: a JWT access token this AS issued (typ at+jwt,
 *   its own key, its own issuer).
 *
 * Anything else, or a token that fails a check, is refused before it is trusted: the caller then
 * attributes the refusal to the authenticated client only, never to the claims of an unverified token.
 */
import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { errors } from 'oidc-provider'
import { actorChain } from '../lib/correlation.ts'
import { refuse } from './refusal.ts'

export const TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt'
export const TYPE_ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token'

const LEEWAY_S = 5

export interface Act {
  sub: string
  act?: Act
}

export interface Subject {
  type: typeof TYPE_JWT | typeof TYPE_ACCESS_TOKEN
  sub: string
  /** 'user' for a person of the workforce IdP; 'client' when an agent acts for itself (client credentials) */
  subType: 'user' | 'client'
  tenant: string
  scope: string[]
  exp: number
  /** access tokens: the token's own `act` */
  act: Act | undefined
  /** access tokens: the current actor (act.sub, else the client the token was issued to); null for a user assertion */
  currentActor: string | null
  /** access tokens: every client in the token's delegation (its client_id and each act level) */
  clients: string[]
  aud: string | null
  mayAct: unknown
}

export interface SubjectVerifierOptions {
  asIssuer: string
  idpIssuer: string
  idpKeys: JWTVerifyGetKey
  ownKeys: JWTVerifyGetKey
  tenantClaim: string
}

/** RFC 8693 §2.2.2: an invalid subject token is `invalid_request` (not RFC 6749's invalid_grant). */
const invalid = (why: string, description: string, facts: Record<string, unknown>) => refuse(new errors.InvalidRequest(description), why, facts)

export function subjectVerifier(o: SubjectVerifierOptions): (token: string, type: string) => Promise<Subject> {
  return async (token, type) => {
    let payload: JWTPayload
    try {
      ;({ payload } =
        type === TYPE_JWT
          ? await jwtVerify(token, o.idpKeys, { issuer: o.idpIssuer, audience: o.asIssuer, algorithms: ['ES256'], requiredClaims: ['sub', 'exp'], clockTolerance: LEEWAY_S })
          : await jwtVerify(token, o.ownKeys, { issuer: o.asIssuer, typ: 'at+jwt', algorithms: ['ES256'], requiredClaims: ['sub', 'exp', 'client_id', 'jti'], clockTolerance: LEEWAY_S }))
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) {
        throw invalid('exchange.subject_expired', 'subject_token has expired', { subject_token_type: type, subject_exp: e.payload.exp ?? null, server_time: Math.floor(Date.now() / 1000) })
      }
      throw invalid('exchange.subject_invalid', 'subject_token is not valid', { subject_token_type: type, cause: e instanceof Error ? e.message.slice(0, 200) : String(e) })
    }
    const tenant = payload[o.tenantClaim]
    if (typeof tenant !== 'string' || typeof payload.scope !== 'string') {
      throw invalid('exchange.subject_invalid', `subject_token must carry ${o.tenantClaim} and scope claims`, { subject_token_type: type })
    }
    const scope = payload.scope.split(' ').filter(Boolean)
    if (type === TYPE_JWT) {
      return { type, sub: payload.sub!, subType: 'user', tenant, scope, exp: payload.exp!, act: undefined, currentActor: null, clients: [], aud: null, mayAct: payload.may_act }
    }
    const act = payload.act as Act | undefined
    const actors = actorChain(act)
    const clientId = payload.client_id as string
    return {
      type: TYPE_ACCESS_TOKEN,
      sub: payload.sub!,
      subType: payload.sub_type === 'client' ? 'client' : 'user',
      tenant,
      scope,
      exp: payload.exp!,
      act,
      currentActor: actors[0] ?? clientId,
      clients: [...new Set([clientId, ...actors])],
      aud: typeof payload.aud === 'string' ? payload.aud : Array.isArray(payload.aud) && payload.aud.length === 1 ? payload.aud[0] : null,
      mayAct: payload.may_act,
    }
  }
}
