/**
 * DPoP proof checks of RFC 9449 §4.3, shared by the authorization server (token endpoint, §5) and
 * the resource server (§7). Replay (jti) and key binding (cnf.jkt) need state or the access token,
 * so the callers do those; this returns the facts they need (jkt, jti, iat).
 */
import { parseCompactJws, verifyEs256 } from './jws.ts'
import { ecPublicJwkProblem, hasPrivateMembers, type PublicKeyCache } from './jwk-keys.ts'

export interface ProofExpectation {
  htm: string
  /** the expected htu, already normalised with normalizeHtu */
  htu: string
  /** base64url SHA-256 of the access token; set at the resource server only */
  ath?: string
  nowS: number
  iatWindowS: number
}

export type ProofResult =
  | { ok: true; jkt: string; jti: string; iat: number }
  | { ok: false; check: string; description: string; detail: Record<string, unknown> }

const MAX_JTI = 256

/**
 * RFC 9449 §4.3 (9): compare htu without query and fragment; scheme and host are case-insensitive
 * and a default port is the same as none (the URL parser does both).
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

function fail(check: string, description: string, detail: Record<string, unknown> = {}): ProofResult {
  return { ok: false, check, description, detail: { check, ...detail } }
}

export function checkDpopProof(proof: string, expect: ProofExpectation, keys: PublicKeyCache): ProofResult {
  const jws = parseCompactJws(proof)
  if (jws === null) return fail('malformed', 'DPoP proof is not a compact JWS')
  const { header, payload } = jws
  if (header.typ !== 'dpop+jwt') return fail('typ', 'typ must be dpop+jwt', { received_typ: header.typ ?? null })
  if (header.alg !== 'ES256') return fail('alg', 'alg must be ES256', { alg: header.alg ?? null })
  if (header.crit !== undefined) return fail('crit', 'crit header parameters are not supported')
  const jwk = header.jwk
  if (jwk !== null && typeof jwk === 'object' && hasPrivateMembers(jwk as Record<string, unknown>)) {
    return fail('jwk_private', 'jwk must not contain a private key')
  }
  const problem = ecPublicJwkProblem(jwk)
  if (problem !== null) return fail('jwk', problem)
  const imported = keys.import(jwk as { crv: string; x: string; y: string })
  if (imported === null) return fail('jwk', 'jwk is not a valid P-256 public key')
  if (!verifyEs256(imported.key, jws.signingInput, jws.signature)) return fail('signature', 'signature does not verify')

  const missing = ['jti', 'htm', 'htu', 'iat'].filter((c) => payload[c] === undefined)
  if (expect.ath !== undefined && payload.ath === undefined) missing.push('ath')
  if (missing.length > 0) return fail('claims', `missing claims: ${missing.join(', ')}`, { missing })
  const { jti, htm, htu, iat, ath } = payload
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI) return fail('claims', 'jti must be a string of 1-256 characters')
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return fail('claims', 'iat must be a number')
  if (htm !== expect.htm) return fail('htm_mismatch', 'htm does not match the request method', { claimed_htm: htm, actual_htm: expect.htm })
  const claimedHtu = typeof htu === 'string' ? normalizeHtu(htu) : null
  if (claimedHtu !== expect.htu) {
    return fail('htu_mismatch', 'htu does not match the request URI', { claimed_htu: typeof htu === 'string' ? htu.slice(0, 512) : null, actual_htu: expect.htu })
  }
  const skew = Math.round(iat - expect.nowS)
  if (Math.abs(iat - expect.nowS) > expect.iatWindowS) return fail('iat_window', 'iat is outside the accepted window', { iat_skew_s: skew, server_time: expect.nowS })
  if (expect.ath !== undefined && ath !== expect.ath) {
    return fail('ath_mismatch', 'ath does not match the access token', { claimed_ath: typeof ath === 'string' ? ath.slice(0, 64) : null })
  }
  return { ok: true, jkt: imported.jkt, jti, iat }
}
