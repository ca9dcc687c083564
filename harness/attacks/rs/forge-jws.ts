/**
 * Hand-made compact JWS for attack cases: any header, any payload, and a signature that is right,
 * wrong, missing or made with the wrong kind of key. Shared by the malformed-proof and forged-token
 * modules (jwt_tool `-X a|n|b|p|k|i|s`, PortSwigger's JWT labs).
 */
import { createHmac, type KeyObject } from 'node:crypto'
import { encodeSegment, signCompact } from '../../protocol/jws.ts'

export type Signer =
  /** ES256 with this private key (a real signature) */
  | { es256: KeyObject }
  /** HMAC-SHA256 keyed with these bytes (an empty key for the blank-secret and /dev/null cases) */
  | { hs256: string | Buffer }
  /** these signature bytes as they are: empty (null signature, alg none) or all zero (psychic signature) */
  | { raw: Buffer }

export function compactJws(header: object, payload: object, signer: Signer): string {
  const headerB64 = encodeSegment(header)
  if ('es256' in signer) return signCompact(signer.es256, headerB64, payload)
  const signingInput = `${headerB64}.${encodeSegment(payload)}`
  const signature = 'hs256' in signer ? createHmac('sha256', signer.hs256).update(signingInput, 'latin1').digest() : signer.raw
  return `${signingInput}.${signature.toString('base64url')}`
}

/** `header.payload` of a compact JWS with another signature in place of its own. */
export function withSignatureOf(jws: string, donor: string): string {
  const cut = jws.lastIndexOf('.')
  return `${jws.slice(0, cut)}.${donor.slice(donor.lastIndexOf('.') + 1)}`
}

/** Decodes the header of a compact JWS without verifying anything (to copy a real token's `kid`). */
export function unverifiedHeader(compact: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(compact.split('.')[0], 'base64url').toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}
