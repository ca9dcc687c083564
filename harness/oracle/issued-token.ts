/**
 * The issued-token checks (docs/architecture.md, "Issued-token checks"): one token response judged
 * against what the harness asked for and what the client may hold, each check by its own rule
 * (attacks/catalog/issued-token-checks.ts). Pure: the same token and request give the same findings.
 * Claims are read without verifying the signature: the token came straight from the AS, and the
 * question is what the AS put in it, not whether a resource server would trust it.
 */
import type { IssuedTokenRequest, IssuedTokenResponse } from '../contracts/issued-token.ts'
import { unverifiedHeader, unverifiedPayload } from '../protocol/jws.ts'

/** Clock allowance between the AS's `exp` and what its `expires_in` said (RFC 7519 §4.1.4 "small leeway"). */
export const EXPIRY_ALLOWANCE_S = 60

/** The default maximum access-token lifetime: the common default of the field (one hour). */
export const DEFAULT_MAX_LIFETIME_S = 3600

export type IssuedCheckId = 'issued.jwt-profile' | 'issued.no-store' | 'issued.cnf-jkt' | 'issued.aud' | 'issued.act-chain' | 'issued.scope' | 'issued.lifetime'

/** `ok`: the check held; `why` set: it failed; `notJudged` set: the token does not show what the check needs. */
export type CheckFinding = { ok: true } | { ok: false; why: string } | { ok: null; notJudged: string }

const OK: CheckFinding = { ok: true }
const fail = (why: string): CheckFinding => ({ ok: false, why })
const OPAQUE: CheckFinding = { ok: null, notJudged: 'the access tokens are opaque (not JWTs): their claims cannot be read without introspection' }

/** The nested `act` chain as client ids, current actor first (RFC 8693 §4.1). */
export function actChain(act: unknown): string[] | null {
  const chain: string[] = []
  for (let a = act; a !== undefined; a = (a as { act?: unknown }).act) {
    if (a === null || typeof a !== 'object' || typeof (a as { sub?: unknown }).sub !== 'string') return null
    chain.push((a as { sub: string }).sub)
    // a chain deeper than any delegation the run makes is not one to walk further
    if (chain.length > 32) return null
  }
  return chain
}

const scopeOf = (s: unknown): string[] | null => (typeof s === 'string' ? s.split(' ').filter(Boolean) : null)

export function judgeIssuedToken(req: IssuedTokenRequest, res: IssuedTokenResponse, receivedAt: number, maxLifetimeS: number): Record<IssuedCheckId, CheckFinding> {
  const claims = unverifiedPayload(res.access_token)
  return {
    'issued.jwt-profile': claims ? jwtProfile(res.access_token, claims, req) : OPAQUE,
    'issued.no-store': noStore(res),
    'issued.cnf-jkt': claims ? cnf(claims, res, req) : OPAQUE,
    'issued.aud': claims ? audience(claims, req) : OPAQUE,
    'issued.act-chain': claims ? actors(claims, req) : OPAQUE,
    'issued.scope': scope(claims, res, req),
    'issued.lifetime': lifetime(claims, res, receivedAt, maxLifetimeS),
  }
}

/** The claims RFC 9068 §2.2 requires of a JWT access token. */
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'] as const

/** RFC 9068 §2.1, §2.2: `typ` at+jwt, signed (never `none`), the required claims, `iss` the AS. */
function jwtProfile(token: string, claims: Record<string, unknown>, req: IssuedTokenRequest): CheckFinding {
  const header = unverifiedHeader(token)
  const problems: string[] = []
  const typ = typeof header?.typ === 'string' ? header.typ.toLowerCase() : null
  if (typ !== 'at+jwt' && typ !== 'application/at+jwt') problems.push(`typ ${JSON.stringify(header?.typ ?? null)}, not at+jwt`)
  if (typeof header?.alg !== 'string' || header.alg.toLowerCase() === 'none') problems.push(`alg ${JSON.stringify(header?.alg ?? null)}: not signed`)
  const missing = REQUIRED_CLAIMS.filter((c) => claims[c] === undefined)
  if (missing.length > 0) problems.push(`no ${missing.join(', ')}`)
  if (claims.iss !== undefined && claims.iss !== req.issuer) problems.push(`iss ${JSON.stringify(claims.iss)}, not the AS (${req.issuer})`)
  return problems.length > 0 ? fail(problems.join('; ')) : OK
}

/** RFC 6749 §5.1: a response holding a token must not be cached. */
function noStore(res: IssuedTokenResponse): CheckFinding {
  if (res.cache_control === undefined) return { ok: null, notJudged: 'the token response\'s headers were not seen' }
  const directives = (res.cache_control ?? '').toLowerCase().split(',').map((d) => d.trim())
  return directives.includes('no-store') ? OK : fail(`Cache-Control ${res.cache_control === null ? 'absent' : JSON.stringify(res.cache_control)}: a response holding a token may be cached`)
}

/** RFC 9449 §6.1: a DPoP-bound token confirms the client's key by its thumbprint; §5: its token_type is DPoP. */
function cnf(claims: Record<string, unknown>, res: IssuedTokenResponse, req: IssuedTokenRequest): CheckFinding {
  const jkt = (claims.cnf as { jkt?: unknown } | undefined)?.jkt
  if (typeof jkt !== 'string') return fail('no cnf.jkt: the token is not bound to the client\'s key, so whoever holds it can use it')
  if (jkt !== req.jkt) return fail(`cnf.jkt ${jkt} is not the thumbprint of the client's key (${req.jkt})`)
  if (res.token_type.toLowerCase() !== 'dpop') return fail(`token_type ${res.token_type}, not DPoP, for a DPoP-bound token`)
  return OK
}

/** RFC 8707 §2: the token is for the resource asked for, and only for it. */
function audience(claims: Record<string, unknown>, req: IssuedTokenRequest): CheckFinding {
  const aud = claims.aud
  const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : []
  if (list.length === 0) return fail('no aud: the token is valid at any resource server that accepts the issuer')
  if (!list.includes(req.resource)) return fail(`aud ${list.join(' ')}, not the resource asked for (${req.resource})`)
  if (list.length > 1) return fail(`aud also names ${list.filter((a) => a !== req.resource).join(' ')}: the token is valid beyond the resource asked for (${req.resource})`)
  return OK
}

/** RFC 8693 §4.1, RFC 9068 §2.2: the token says for whom (`sub`) and through whom (`act`, current actor first; `client_id`). */
function actors(claims: Record<string, unknown>, req: IssuedTokenRequest): CheckFinding {
  const problems: string[] = []
  if (claims.sub !== req.principal) problems.push(`sub ${JSON.stringify(claims.sub ?? null)} instead of the principal ${req.principal}`)
  const chain = actChain(claims.act)
  if (chain === null) problems.push('act is not a chain of objects with sub')
  else if (chain.join(' ') !== req.actors.join(' ')) {
    problems.push(`act chain ${chain.length ? chain.join(' → ') : '(none)'} instead of ${req.actors.join(' → ')}${chain.length < req.actors.length ? ' (earlier actors lost)' : ''}`)
  }
  if (claims.client_id !== undefined && claims.client_id !== req.clientId) problems.push(`client_id ${JSON.stringify(claims.client_id)} instead of ${req.clientId}`)
  return problems.length > 0 ? fail(problems.join('; ')) : OK
}

/**
 * RFC 8693 §2.1, RFC 6749 §3.3: the grant lies within the client's registered scope and the subject
 * token's, at every hop, whatever the request said (also when it omitted `scope`). The token's own
 * `scope` claim (RFC 9068 §2.2.3.1) wins over the response's, which wins over the request's
 * (RFC 6749 §5.1: omitted means as requested).
 */
function scope(claims: Record<string, unknown> | null, res: IssuedTokenResponse, req: IssuedTokenRequest): CheckFinding {
  const granted = scopeOf(claims?.scope) ?? scopeOf(res.scope)
  if (granted === null) return claims ? { ok: null, notJudged: 'neither the token nor the response states the granted scope' } : OPAQUE
  const beyondRegistration = req.registeredScope === null ? [] : granted.filter((s) => !req.registeredScope!.includes(s))
  const beyondSubject = req.subjectScope === null ? [] : granted.filter((s) => !req.subjectScope!.includes(s))
  const problems: string[] = []
  if (beyondRegistration.length > 0) problems.push(`${beyondRegistration.join(' ')} beyond the client's registered scope (${req.registeredScope!.join(' ') || 'none'})`)
  if (beyondSubject.length > 0) problems.push(`${beyondSubject.join(' ')} beyond the subject token's scope (${req.subjectScope!.join(' ') || 'none'})`)
  return problems.length > 0 ? fail(`granted ${problems.join('; ')}`) : OK
}

/**
 * Policy: the lifetime is within the policy's maximum, and `exp` is no later than `expires_in` said
 * (plus a clock allowance): a token that outlives what its client was told is a token nobody tracks.
 */
function lifetime(claims: Record<string, unknown> | null, res: IssuedTokenResponse, receivedAt: number, maxS: number): CheckFinding {
  const nowS = receivedAt / 1000
  const exp = typeof claims?.exp === 'number' ? claims.exp : null
  const iat = typeof claims?.iat === 'number' ? claims.iat : null
  if (exp === null) {
    if (claims && res.expires_in === undefined) return fail('no exp and no expires_in: the token never expires')
    if (res.expires_in === undefined) return { ok: null, notJudged: 'an opaque token without expires_in: its lifetime is not stated' }
    return res.expires_in > maxS ? fail(`expires_in ${res.expires_in} s exceeds the policy's maximum of ${maxS} s`) : OK
  }
  const problems: string[] = []
  const life = Math.round(exp - (iat ?? nowS))
  if (life > maxS) problems.push(`lifetime ${life} s (exp − ${iat === null ? 'receipt' : 'iat'}) exceeds the policy's maximum of ${maxS} s`)
  if (res.expires_in !== undefined && exp > nowS + res.expires_in + EXPIRY_ALLOWANCE_S) {
    problems.push(`exp is ${Math.round(exp - nowS - res.expires_in)} s past what expires_in (${res.expires_in} s) said`)
  }
  return problems.length > 0 ? fail(problems.join('; ')) : OK
}
