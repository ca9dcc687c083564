/**
 * Random identifiers for the hot path (DPoP `jti`, assertion `jti`, W3C trace ids).
 *
 * `crypto.randomBytes(16)` per proof is a synchronous trip into OpenSSL each time; drawing from a
 * pooled buffer refilled with `randomFillSync` amortises that (the same trick `randomUUID` uses).
 * The bytes are CSPRNG output either way: a `jti` must not be guessable or repeat (RFC 9449 §4.2,
 * RFC 7519 §4.1.7), and keys never come from here.
 *
 * @example
 *   randomB64url(16) // 'q3Zl9m…' (22 chars)
 *   randomHex(16)    // W3C trace-id, 32 lowercase hex digits
 */
import { randomFillSync } from 'node:crypto'

const POOL_SIZE = 4096
const pool = Buffer.allocUnsafe(POOL_SIZE)
let offset = POOL_SIZE

function take(n: number): Buffer {
  if (n > POOL_SIZE) throw new TypeError(`random-id: at most ${POOL_SIZE} bytes at once`)
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const out = pool.subarray(offset, offset + n)
  offset += n
  return out
}

/** `n` random bytes as base64url without padding (16 bytes → 22 characters). */
export function randomB64url(n = 16): string {
  return take(n).toString('base64url')
}

/** `n` random bytes as lowercase hex. */
export function randomHex(n: number): string {
  const hex = take(n).toString('hex')
  // W3C Trace Context §3.2.2.3: an all-zero trace-id or parent-id is invalid; astronomically rare, but cheap to rule out.
  return /^0+$/.test(hex) ? randomHex(n) : hex
}
