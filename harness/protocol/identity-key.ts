/**
 * One identity's ES256 key: the private KeyObject for signing, and everything derived from the
 * public half that the hot path would otherwise recompute per request.
 *
 * Only the private KeyObject is kept (its public half is derivable with `createPublicKey`), plus a
 * few short strings: ~4 KB per identity, under the 5 KB budget, so 100k identities fit easily.
 * Keys are random, never derived from the run seed (the seed is published in run.json).
 *
 * @example
 *   const key = generateIdentityKey()
 *   key.jkt          // RFC 7638 thumbprint, the `cnf.jkt` a DPoP-bound token must carry
 *   key.dpopHeaderB64 // pre-encoded DPoP proof header; a proof is then one signature
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto'
import type { JsonWebKey, KeyObject } from 'node:crypto'

/** A public EC P-256 JWK with only the members RFC 7638 §3.2 hashes (never `d`). */
export interface PublicEcJwk {
  kty: 'EC'
  crv: 'P-256'
  x: string
  y: string
}

export interface IdentityKey {
  privateKey: KeyObject
  publicJwk: PublicEcJwk
  /** RFC 7638 SHA-256 thumbprint, base64url (RFC 9449 §6.1 `jkt`) */
  jkt: string
  /** JWS `kid` for client assertions and the registered jwks; equal to `jkt` so it is stable and unique */
  kid: string
  /** base64url of `{"typ":"dpop+jwt","alg":"ES256","jwk":{crv,kty,x,y}}`, encoded once per identity */
  dpopHeaderB64: string
}

/** RFC 7638 §3: SHA-256 over the required members in lexicographic order, no whitespace. */
export function jwkThumbprint(jwk: PublicEcJwk): string {
  // Sync SHA-256 of a hand-built string: ~2.4 µs vs ~131 µs for jose's async thumbprint (platform.md).
  const canonical = `{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}","y":"${jwk.y}"}`
  return createHash('sha256').update(canonical).digest('base64url')
}

/** The pre-encoded DPoP header (RFC 9449 §4.2). Member order is fixed so tests can compare bytes. */
export function dpopHeaderFor(jwk: PublicEcJwk): string {
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } }
  return Buffer.from(JSON.stringify(header)).toString('base64url')
}

function fromKeyObjects(privateKey: KeyObject, exported: JsonWebKey): IdentityKey {
  if (exported.kty !== 'EC' || exported.crv !== 'P-256' || !exported.x || !exported.y) {
    throw new TypeError('identity keys must be EC P-256 (ES256)')
  }
  const publicJwk: PublicEcJwk = { kty: 'EC', crv: 'P-256', x: exported.x, y: exported.y }
  const jkt = jwkThumbprint(publicJwk)
  return { privateKey, publicJwk, jkt, kid: jkt, dpopHeaderB64: dpopHeaderFor(publicJwk) }
}

/** A fresh P-256 key pair (~76 µs, platform.md). */
export function generateIdentityKey(): IdentityKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  // Only the JWK of the public half is kept; the public KeyObject is dropped (memory budget).
  return fromKeyObjects(privateKey, publicKey.export({ format: 'jwk' }))
}

/** Rebuilds an identity key from a private JWK (pre-provisioned identities imported from a file). */
export function importIdentityKey(privateJwk: JsonWebKey): IdentityKey {
  const privateKey = createPrivateKey({ key: privateJwk, format: 'jwk' })
  return fromKeyObjects(privateKey, createPublicKey(privateKey).export({ format: 'jwk' }))
}

/** The public half as a KeyObject (for verifying our own signatures in tests and self-checks). */
export function publicKeyOf(key: Pick<IdentityKey, 'privateKey'>): KeyObject {
  return createPublicKey(key.privateKey)
}
