import type { Credential, IdentityKey } from '../contracts/identity.ts'
import { tokenHash } from './token-hash.ts'

/**
 * A Credential that stores its token once and hashes it (`ath`, RFC 9449 §4.2) on first use: 48 B
 * besides the token string and the 43-char hash.
 */
export class TokenCredential implements Credential {
  readonly accessToken: string
  readonly key: IdentityKey
  #hash: string | undefined = undefined

  constructor(accessToken: string, key: IdentityKey) {
    this.accessToken = accessToken
    this.key = key
  }

  get tokenHash(): string {
    return (this.#hash ??= tokenHash(this.accessToken))
  }
}
