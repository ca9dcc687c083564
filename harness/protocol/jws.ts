/**
 * Hand-assembled compact ES256 JWS (RFC 7515 §3.1, §7.1), for the hot path.
 *
 * jose signs through WebCrypto, where every operation is a libuv job (~400 µs per DPoP proof on
 * these machines); synchronous `crypto.sign` with a bare KeyObject is ~55 µs. The header arrives
 * pre-encoded so each call only serialises the payload and signs; the DER signature is turned into
 * the raw r||s JWS requires (RFC 7518 §3.4) in JS, which is cheaper than asking Node for
 * `ieee-p1363` (see der-to-jose.ts).
 *
 * @example
 *   const jwt = signCompact(key.privateKey, encodeSegment({ alg: 'ES256', typ: 'JWT' }), { iss: 'x' })
 */
import { sign } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { derToJoseB64url } from './der-to-jose.ts'

// A scratch for encodeSegment: every proof payload is encoded on the hot path, and writing into it
// saves a Buffer per call. The string leaves it before anything else can run.
const SEGMENT_SCRATCH = Buffer.allocUnsafe(4096)

/** base64url(UTF-8(JSON)) of a header or payload. */
export function encodeSegment(value: object): string {
  const json = JSON.stringify(value)
  // a UTF-16 code unit is at most 3 bytes of UTF-8
  if (json.length * 3 > SEGMENT_SCRATCH.length) return Buffer.from(json).toString('base64url')
  return SEGMENT_SCRATCH.toString('base64url', 0, SEGMENT_SCRATCH.write(json, 0, 'utf8'))
}

/** Signs `headerB64.base64url(JSON(payload))` with ES256 and returns the compact serialisation. */
export function signCompact(privateKey: KeyObject, headerB64: string, payload: object): string {
  const signingInput = `${headerB64}.${encodeSegment(payload)}`
  // The signing input is base64url text (ASCII), so latin1 is an exact and cheaper encoding than utf8.
  const der = sign('sha256', Buffer.from(signingInput, 'latin1'), privateKey)
  return `${signingInput}.${derToJoseB64url(der)}`
}

/**
 * Decodes a compact JWS's payload WITHOUT verifying it. Only for reading our own or the target's
 * tokens for correlation (e.g. an access token's `jti`); never for a trust decision.
 */
export function unverifiedPayload(compact: string): Record<string, unknown> | null {
  return unverifiedSegment(compact, 1)
}

/** The same for the protected header (the issued-token checks read `typ` and `alg`). */
export function unverifiedHeader(compact: string): Record<string, unknown> | null {
  return unverifiedSegment(compact, 0)
}

function unverifiedSegment(compact: string, i: 0 | 1): Record<string, unknown> | null {
  const parts = compact.split('.')
  if (parts.length !== 3) return null
  try {
    const value: unknown = JSON.parse(Buffer.from(parts[i], 'base64url').toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}
