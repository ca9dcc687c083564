/**
 * The AS's access-token signing key (ES256, P-256), its public JWKS, and verification of the AS's
 * own tokens when they come back as RFC 8693 subject tokens. Generated at start: a restarted AS
 * has a new key, and tokens from before the restart stop verifying.
 */
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose'

export class SigningKeys {
  readonly kid: string
  readonly #privateKey: CryptoKey
  readonly #publicJwk: JWK
  readonly verifyKey: JWTVerifyGetKey

  private constructor(kid: string, privateKey: CryptoKey, publicJwk: JWK) {
    this.kid = kid
    this.#privateKey = privateKey
    this.#publicJwk = publicJwk
    this.verifyKey = createLocalJWKSet(this.jwks())
  }

  static async generate(): Promise<SigningKeys> {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const jwk = await exportJWK(publicKey)
    const kid = await calculateJwkThumbprint(jwk)
    return new SigningKeys(kid, privateKey, { ...jwk, kid, alg: 'ES256', use: 'sig' })
  }

  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.#publicJwk }] }
  }

  /** RFC 9068 §2.1: typ at+jwt so the token cannot be mistaken for an ID token or another JWT. */
  sign(claims: JWTPayload): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: this.kid }).sign(this.#privateKey)
  }
}
