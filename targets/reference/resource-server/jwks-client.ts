/**
 * The AS signing keys, fetched from its jwks_uri at start. An unknown kid triggers a refetch (the AS
 * may have rotated), but at most once per 30 s, so tokens with made-up kids cannot turn the resource
 * server into a JWKS-fetching amplifier.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { request } from 'undici'
import { ecPublicJwkProblem } from '../shared/jwk-keys.ts'

export class JwksClient {
  readonly #uri: string
  readonly #minRefetchMs: number
  #keys = new Map<string, KeyObject>()
  #lastFetch = 0
  #inflight: Promise<void> | null = null

  constructor(uri: string, minRefetchMs = 30_000) {
    this.#uri = uri
    this.#minRefetchMs = minRefetchMs
  }

  async refresh(): Promise<void> {
    this.#lastFetch = Date.now()
    const res = await request(this.#uri, { headersTimeout: 3_000, bodyTimeout: 3_000 })
    if (res.statusCode !== 200) {
      await res.body.dump()
      throw new Error(`JWKS fetch from ${this.#uri} answered ${res.statusCode}`)
    }
    const body = (await res.body.json()) as { keys?: unknown[] }
    const keys = new Map<string, KeyObject>()
    for (const jwk of body.keys ?? []) {
      const k = jwk as Record<string, unknown>
      if (typeof k.kid !== 'string' || ecPublicJwkProblem(k) !== null || (k.use !== undefined && k.use !== 'sig')) continue
      keys.set(k.kid, createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: k.x as string, y: k.y as string }, format: 'jwk' }))
    }
    this.#keys = keys
  }

  /** The key for `kid`, refetching the set if allowed; null when the AS does not publish it. */
  async key(kid: string): Promise<KeyObject | null> {
    const known = this.#keys.get(kid)
    if (known !== undefined) return known
    if (Date.now() - this.#lastFetch < this.#minRefetchMs) return null
    this.#inflight ??= this.refresh().finally(() => (this.#inflight = null))
    try {
      await this.#inflight
    } catch {
      return null
    }
    return this.#keys.get(kid) ?? null
  }
}
