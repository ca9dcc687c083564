/**
 * The AS's access-token signing keys (ES256, P-256), its public JWKS, and verification of the AS's
 * own tokens when they come back as RFC 8693 subject tokens. One key signs (the current one); the
 * JWKS publishes every key not retired, so tokens signed before a rotation keep verifying until the
 * old key is retired. With a journal (as-state.ts) every change is written down before it takes
 * effect, and a restarted AS restores the same keys; without one, a restarted AS has new keys.
 *
 * Rotation is two steps so no resource server ever sees a kid it cannot resolve: prepare() publishes
 * a new key, the caller tells the resource servers, then activate() makes it the signing key.
 */
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import type { KeyJournal, SavedState } from './as-state.ts'

interface SigningKey {
  kid: string
  privateKey: CryptoKey
  publicJwk: JWK
  /** the private `d`, kept only under the flaw jwks-private-members (which publishes it) */
  leakedD?: string
}

/** Flaw jwks-private-members: the JWKS is serialised from the key pairs, private halves included. */
export interface KeyOptions {
  publishPrivate?: boolean
}

export type RetireResult = 'retired' | 'unknown' | 'current'

async function keyOf(privateKey: CryptoKey, publicJwk: JWK): Promise<SigningKey> {
  const { kty, crv, x, y } = publicJwk
  const kid = await calculateJwkThumbprint({ kty, crv, x, y })
  return { kid, privateKey, publicJwk: { kty, crv, x, y, kid, alg: 'ES256', use: 'sig' } }
}

/** A fresh key; journaled (its private half sealed) before anyone can use it. */
async function newKey(journal: KeyJournal | null, options: KeyOptions): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: journal !== null || options.publishPrivate === true })
  const key = await keyOf(privateKey, await exportJWK(publicKey))
  if (journal !== null || options.publishPrivate) {
    const privateJwk = await exportJWK(privateKey)
    journal?.added(key.kid, privateJwk)
    if (options.publishPrivate) key.leakedD = privateJwk.d
  }
  return key
}

export class SigningKeys {
  readonly #keys = new Map<string, SigningKey>()
  readonly #journal: KeyJournal | null
  readonly #options: KeyOptions
  #current: SigningKey
  #localSet: JWTVerifyGetKey
  /** verifies with the published keys as they are now (a retired key no longer verifies) */
  readonly verifyKey: JWTVerifyGetKey = (header, token) => this.#localSet(header, token)

  private constructor(keys: SigningKey[], current: SigningKey, journal: KeyJournal | null, options: KeyOptions) {
    this.#journal = journal
    this.#options = options
    this.#current = current
    for (const k of keys) this.#keys.set(k.kid, k)
    this.#localSet = createLocalJWKSet(this.jwks())
  }

  /** One new key, signing at once. */
  static async generate(journal: KeyJournal | null = null, options: KeyOptions = {}): Promise<SigningKeys> {
    const first = await newKey(journal, options)
    journal?.current(first.kid)
    return new SigningKeys([first], first, journal, options)
  }

  /** The keys a journal kept (a restarted AS); a new one when it kept none. */
  static async restore(saved: Pick<SavedState, 'keys' | 'current'>, journal: KeyJournal | null, options: KeyOptions = {}): Promise<SigningKeys> {
    const keys = await Promise.all(saved.keys.map(async ({ privateJwk }) => {
      const { d, ...publicJwk } = privateJwk
      const key = await keyOf(await importJWK(privateJwk, 'ES256', { extractable: false }) as CryptoKey, publicJwk)
      if (options.publishPrivate) key.leakedD = d
      return key
    }))
    const current = keys.find((k) => k.kid === saved.current)
    if (current === undefined) return SigningKeys.generate(journal, options)
    return new SigningKeys(keys, current, journal, options)
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
    const key = await newKey(this.#journal, this.#options)
    this.#keys.set(key.kid, key)
    this.#republish()
    return key.kid
  }

  /** Makes a published key the signing key. */
  activate(kid: string): void {
    const key = this.#keys.get(kid)
    if (key === undefined) throw new TypeError(`signing key ${kid} is not published`)
    this.#journal?.current(kid)
    this.#current = key
  }

  /** Removes a key from the JWKS and forgets its private half; the signing key cannot be retired. */
  retire(kid: string): RetireResult {
    if (kid === this.#current.kid) return 'current'
    if (!this.#keys.has(kid)) return 'unknown'
    this.#journal?.retired(kid)
    this.#keys.delete(kid)
    this.#republish()
    return 'retired'
  }

  jwks(): { keys: JWK[] } {
    return { keys: [...this.#keys.values()].map((k) => ({ ...k.publicJwk })) }
  }

  /** What GET /jwks serves: the public keys (under the flaw jwks-private-members, each with its `d`). */
  published(): { keys: JWK[] } {
    return { keys: [...this.#keys.values()].map((k) => ({ ...k.publicJwk, ...(k.leakedD !== undefined ? { d: k.leakedD } : {}) })) }
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
