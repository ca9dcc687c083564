/**
 * Compact JWS parsing and ES256 verification with node:crypto. The resource server verifies one
 * access token and one DPoP proof per request; jose costs several times more per call (docs/platform.md),
 * so the hot path uses these, and jose is kept for the authorization server.
 */
import { verify, type KeyObject } from 'node:crypto'

const B64URL = /^[A-Za-z0-9_-]+$/

export interface CompactJws {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  signingInput: string
  signature: Buffer
}

function decodeJsonObject(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/**
 * Splits and decodes a compact JWS; null when it is not three base64url parts with JSON objects.
 * The signature part may be empty (an `alg: none` JWT), so that callers can name the real problem
 * (the alg) in their refusal; an empty signature never verifies.
 */
export function parseCompactJws(token: string): CompactJws | null {
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) !== -1) return null
  const h = token.slice(0, first)
  const p = token.slice(first + 1, second)
  const s = token.slice(second + 1)
  if (!B64URL.test(h) || !B64URL.test(p) || (s !== '' && !B64URL.test(s))) return null
  const header = decodeJsonObject(h)
  const payload = decodeJsonObject(p)
  if (header === null || payload === null) return null
  return { header, payload, signingInput: token.slice(0, second), signature: Buffer.from(s, 'base64url') }
}

/** ES256 signatures in JWS are the 64-byte r||s form (RFC 7518 §3.4), not DER. */
export function verifyEs256(key: KeyObject, signingInput: string, signature: Buffer): boolean {
  if (signature.length !== 64) return false
  try {
    return verify('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }, signature)
  } catch {
    return false
  }
}
