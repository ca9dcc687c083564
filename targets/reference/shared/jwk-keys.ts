/**
 * EC P-256 public JWK handling: shape checks, RFC 7638 thumbprints and a bounded import cache.
 * Importing a JWK and hashing its thumbprint are the expensive parts of checking a DPoP proof
 * (docs/platform.md), and agents reuse one key for many proofs, so imports are cached by thumbprint.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto'
import { BoundedCache } from './bounded-cache.ts'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
const COORD = /^[A-Za-z0-9_-]{43}$/

export function hasPrivateMembers(jwk: Record<string, unknown>): boolean {
  return PRIVATE_MEMBERS.some((m) => m in jwk)
}

/** Why `jwk` is not a usable EC P-256 public key, or null when it is. */
export function ecPublicJwkProblem(jwk: unknown): string | null {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return 'jwk is not an object'
  const k = jwk as Record<string, unknown>
  if (hasPrivateMembers(k)) return 'jwk contains private key members'
  if (k.kty !== 'EC' || k.crv !== 'P-256') return 'jwk must be kty EC, crv P-256'
  if (typeof k.x !== 'string' || typeof k.y !== 'string' || !COORD.test(k.x) || !COORD.test(k.y)) {
    return 'jwk x/y must be 32-byte base64url coordinates'
  }
  if (k.alg !== undefined && k.alg !== 'ES256') return 'jwk alg must be ES256'
  return null
}

/** RFC 7638 §3.2: required members only, lexicographic order, no whitespace. */
export function ecThumbprint(jwk: { crv: string; x: string; y: string }): string {
  const json = `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`
  return createHash('sha256').update(json).digest('base64url')
}

export interface ImportedKey {
  key: KeyObject
  jkt: string
}

export class PublicKeyCache {
  readonly #cache: BoundedCache<string, KeyObject>

  constructor(max = 50_000) {
    this.#cache = new BoundedCache(max)
  }

  /** Imports a P-256 public JWK (already shape-checked), or returns null when the point is invalid. */
  import(jwk: { crv: string; x: string; y: string }): ImportedKey | null {
    const jkt = ecThumbprint(jwk)
    const cached = this.#cache.get(jkt)
    if (cached !== undefined) return { key: cached, jkt }
    try {
      const key = createPublicKey({ key: { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' })
      this.#cache.set(jkt, key)
      return { key, jkt }
    } catch {
      return null
    }
  }
}
