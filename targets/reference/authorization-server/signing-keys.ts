/**
 * The AS's access-token signing keys (ES256, P-256), its public JWKS, and verification of the AS's
 * own tokens when they come back as RFC 8693 subject tokens. One key signs (the current one); the
 * JWKS publishes every key not retired, so tokens signed before a rotation keep verifying until the
 * old key is retired. Generated at start: a restarted AS has new keys, and older tokens stop verifying.
 *
 * Rotation is two steps so no resource server ever sees a kid it cannot resolve: prepare() publishes
 * a new key, the caller tells the resource servers, then activate() makes it the signing key.
 */
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose'

interface SigningKey {
  kid: string
  privateKey: CryptoKey
  publicJwk: JWK
}

export type RetireResult = 'retired' | 'unknown' | 'current'

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(jwk)
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: 'ES256', use: 'sig' } }
}

export class SigningKeys {
  readonly #keys = new Map<string, SigningKey>()
  #current: SigningKey
  #localSet: JWTVerifyGetKey
  /** verifies with the published keys as they are now (a retired key no longer verifies) */
  readonly verifyKey: JWTVerifyGetKey = (header, token) => this.#localSet(header, token)

  private constructor(first: SigningKey) {
    this.#current = first
    this.#keys.set(first.kid, first)
    this.#localSet = createLocalJWKSet(this.jwks())
  }

  static async generate(): Promise<SigningKeys> {
    return new SigningKeys(await newKey())
  }

  /** kid new tokens are signed with */
  get kid(): string {
    return this.#current.kid
  }

  has(kid: string): boolean {
    return this.#keys.has(kid)
  }

  /** Generates and publishes a new key without signing with it yet; returns its kid. */
  async prepare(): Promise<string> {
    const key = await newKey()
    this.#keys.set(key.kid, key)
    this.#republish()
    return key.kid
  }

  /** Makes a published key the signing key. */
  activate(kid: string): void {
    const key = this.#keys.get(kid)
    if (key === undefined) throw new TypeError(`signing key ${kid} is not published`)
    this.#current = key
  }

  /** Removes a key from the JWKS and forgets its private half; the signing key cannot be retired. */
  retire(kid: string): RetireResult {
    if (kid === this.#current.kid) return 'current'
    if (!this.#keys.delete(kid)) return 'unknown'
    this.#republish()
    return 'retired'
  }

  jwks(): { keys: JWK[] } {
    return { keys: [...this.#keys.values()].map((k) => ({ ...k.publicJwk })) }
  }

  /** RFC 9068 §2.1: typ at+jwt so the token cannot be mistaken for an ID token or another JWT. */
  sign(claims: JWTPayload): Promise<string> {
    const key = this.#current
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid }).sign(key.privateKey)
  }

  #republish(): void {
    this.#localSet = createLocalJWKSet(this.jwks())
  }
}
