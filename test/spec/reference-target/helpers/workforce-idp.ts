/** A throwaway workforce IdP: one ES256 key, short user assertions for the AS to exchange. */
import { SignJWT } from 'jose'
import type { TrustedIssuer } from '../../../../harness/contracts/target.ts'
import { newKeyPair, type KeyPair } from './client-crypto.ts'

export class WorkforceIdp {
  readonly issuer = 'https://idp.gatecrash.test'
  readonly #key: KeyPair

  private constructor(key: KeyPair) {
    this.#key = key
  }

  static async create(): Promise<WorkforceIdp> {
    return new WorkforceIdp(await newKeyPair())
  }

  get trust(): TrustedIssuer {
    return { issuer: this.issuer, jwks: { keys: [{ ...this.#key.publicJwk, kid: this.#key.jkt, alg: 'ES256', use: 'sig' }] } }
  }

  /** A user assertion; a negative lifetime makes it already expired, `extra` adds claims (e.g. may_act). */
  assertion(user: { sub: string; tenant: string; scope: string }, audience: string, lifetimeS = 300, extra: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT({ ...extra, tenant: user.tenant, scope: user.scope })
      .setProtectedHeader({ alg: 'ES256', kid: this.#key.jkt })
      .setIssuer(this.issuer)
      .setSubject(user.sub)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + lifetimeS)
      .sign(this.#key.privateKey)
  }
}
