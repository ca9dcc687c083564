/**
 * DPoP proof checks of RFC 9449 §4.3, shared by the authorization server (token endpoint, §5) and
 * the resource server (§7). Replay (jti) and key binding (cnf.jkt) need state or the access token,
 * so the callers do those; this returns the facts they need (jkt, jti, iat).
 */
import { parseCompactJws, verifyEs256 } from './jws.ts'
import { ecPublicJwkProblem, hasPrivateMembers, type PublicKeyCache } from './jwk-keys.ts'

/** Proof checks a resource-server flaw switch can turn off (never the authorization server's). */
export type ProofCheck = 'htu' | 'htm' | 'iat' | 'signature' | 'alg' | 'ath'

export interface ProofExpectation {
  htm: string
  /** the expected htu, already normalised with normalizeHtu */
  htu: string
  /** base64url SHA-256 of the access token; set at the resource server only */
  ath?: string
  nowS: number
  iatWindowS: number
  /** checks disabled by flaw switches (mutation self-test only) */
  unchecked?: ReadonlySet<ProofCheck>
  /**
   * flaw dpop-htu-path-only (mutation self-test only): htu is compared by its path alone, so a
   * proof made for the same path at another scheme, host or port passes
   */
  htuPathOnly?: boolean
}

export type ProofResult =
  | { ok: true; jkt: string; jti: string; iat: number }
  | { ok: false; check: string; description: string; detail: Record<string, unknown> }

const MAX_JTI = 256
const NONE: ReadonlySet<ProofCheck> = new Set()

/**
 * RFC 9449 §4.3 (9): scheme and host are compared case-insensitively and a default port is the same
 * as none (RFC 3986 §6.2.2–6.2.3; the URL parser does both). The query and fragment of the REQUEST
 * URI are dropped here; an htu claim that carries either is refused by checkDpopProof (§4.2: htu is
 * the URI "without query and fragment parts").
 */
export function normalizeHtu(value: string): string | null {
  try {
    const u = new URL(value)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null
    return `${u.protocol}//${u.host}${u.pathname}`
  } catch {
    return null
  }
}

/** The normalised htu claim, or null when it is not an http(s) URI without query and fragment. */
function claimedHtu(value: unknown): string | null {
  if (typeof value !== 'string' || value.includes('?') || value.includes('#')) return null
  return normalizeHtu(value)
}

/** §4.3 (9): the whole normalised URI must match; the flawed variant looks at the path only. */
function htuMatches(claimed: string | null, expect: ProofExpectation): boolean {
  if (claimed === expect.htu) return true
  if (claimed === null || expect.htuPathOnly !== true) return false
  return new URL(claimed).pathname === new URL(expect.htu).pathname
}

function fail(check: string, description: string, detail: Record<string, unknown> = {}): ProofResult {
  return { ok: false, check, description, detail: { check, ...detail } }
}

export function checkDpopProof(proof: string, expect: ProofExpectation, keys: PublicKeyCache): ProofResult {
  const off = expect.unchecked ?? NONE
  const jws = parseCompactJws(proof)
  if (jws === null) return fail('malformed', 'DPoP proof is not a compact JWS')
  const { header, payload } = jws
  if (header.typ !== 'dpop+jwt') return fail('typ', 'typ must be dpop+jwt', { received_typ: header.typ ?? null })
  // flaw dpop-alg-unchecked: any alg passes, and a non-ES256 proof is not verified at all
  const unverifiedAlg = header.alg !== 'ES256' && off.has('alg')
  if (header.alg !== 'ES256' && !unverifiedAlg) return fail('alg', 'alg must be ES256', { alg: typeof header.alg === 'string' ? header.alg.slice(0, 32) : null })
  if (header.crit !== undefined) return fail('crit', 'crit header parameters are not supported')
  const jwk = header.jwk
  if (jwk !== null && typeof jwk === 'object' && hasPrivateMembers(jwk as Record<string, unknown>)) {
    return fail('jwk_private', 'jwk must not contain a private key')
  }
  const problem = ecPublicJwkProblem(jwk)
  if (problem !== null) return fail('jwk', problem)
  const imported = keys.import(jwk as { crv: string; x: string; y: string })
  if (imported === null) return fail('jwk', 'jwk is not a valid P-256 public key')
  if (!unverifiedAlg && !off.has('signature') && !verifyEs256(imported.key, jws.signingInput, jws.signature)) {
    return fail('signature', 'signature does not verify')
  }

  const missing = ['jti', 'htm', 'htu', 'iat'].filter((c) => payload[c] === undefined)
  if (expect.ath !== undefined && payload.ath === undefined && !off.has('ath')) missing.push('ath')
  if (missing.length > 0) return fail('claims', `missing claims: ${missing.join(', ')}`, { missing })
  const { jti, htm, htu, iat, ath } = payload
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI) return fail('claims', 'jti must be a string of 1-256 characters')
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return fail('claims', 'iat must be a number')
  if (htm !== expect.htm && !off.has('htm')) {
    return fail('htm_mismatch', 'htm does not match the request method', { claimed_htm: typeof htm === 'string' ? htm.slice(0, 16) : null, actual_htm: expect.htm })
  }
  if (!htuMatches(claimedHtu(htu), expect) && !off.has('htu')) {
    return fail('htu_mismatch', 'htu does not match the request URI (scheme, host, port and path; no query or fragment)', {
      claimed_htu: typeof htu === 'string' ? htu.slice(0, 512) : null,
      actual_htu: expect.htu,
    })
  }
  const skew = Math.round(iat - expect.nowS)
  if (Math.abs(iat - expect.nowS) > expect.iatWindowS && !off.has('iat')) {
    return fail('iat_window', 'iat is outside the accepted window', { iat, iat_skew_s: skew, server_time: Math.floor(expect.nowS), window_s: expect.iatWindowS })
  }
  if (expect.ath !== undefined && ath !== expect.ath && !off.has('ath')) {
    return fail('ath_mismatch', 'ath does not match the access token', { claimed_ath: typeof ath === 'string' ? ath.slice(0, 64) : null, token_hash: expect.ath })
  }
  return { ok: true, jkt: imported.jkt, jti, iat }
}
