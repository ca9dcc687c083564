/**
 * The AS signing keys, fetched from its jwks_uri at start (and again when the AS announces a new
 * key). An unknown kid triggers a refetch (the AS may have rotated), so a key rotated mid-run works
 * at once; refetches are rate-limited (one per `minRefetchMs`, shared by every waiting request), so
 * tokens with made-up kids cannot turn the resource server into a JWKS-fetching amplifier: a lookup
 * inside the interval waits for the next allowed fetch instead.
 *
 * Fail closed: when the JWKS cannot be fetched (AS down, the link refused or too slow), a kid
 * already cached keeps working (the key is known), while an unknown kid is `unavailable` (the
 * caller answers 503), never `unknown` (401) and never served.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { request } from 'undici'
import { ecPublicJwkProblem } from '../shared/jwk-keys.ts'

export type KeyLookup =
  | { state: 'found'; key: KeyObject }
  /**
   * the AS published this kid before and no longer does: the key still tells whether the token is
   * genuine (so a refusal can name whose token it was), never that it may be used
   */
  | { state: 'former'; key: KeyObject }
  /** the AS's current JWKS, fetched just now or within the interval, does not publish this kid */
  | { state: 'unknown' }
  /** the JWKS could not be fetched: nobody can tell whether this kid is the AS's */
  | { state: 'unavailable'; cause: string }

export interface JwksClientOptions {
  /** least time between two fetches (default 1000 ms) */
  minRefetchMs?: number
  /** bound on one fetch, connect to body (default 1000 ms) */
  timeoutMs?: number
}

const MAX_FORMER = 256

export class JwksClient {
  readonly #uri: string
  readonly #minRefetchMs: number
  readonly #timeoutMs: number
  #keys = new Map<string, KeyObject>()
  /** keys the AS published and then dropped, newest last, at most MAX_FORMER */
  #former = new Map<string, KeyObject>()
  #lastFetch = 0
  /** why the last fetch failed; null after a successful one */
  #lastError: string | null = null
  #inflight: Promise<void> | null = null

  constructor(uri: string, options: JwksClientOptions = {}) {
    this.#uri = uri
    this.#minRefetchMs = options.minRefetchMs ?? 1_000
    this.#timeoutMs = options.timeoutMs ?? 1_000
  }

  /**
   * Fetches the JWKS (at start, and when the AS pushes `key.added`); rejects when it cannot. The
   * fetch starts after this call, never earlier: one already in flight may predate the new key.
   */
  refresh(): Promise<void> {
    const before = this.#inflight
    const run = before === null ? this.#fetch() : before.catch(() => {}).then(() => this.#fetch())
    const tracked: Promise<void> = run.finally(() => {
      if (this.#inflight === tracked) this.#inflight = null
    })
    this.#inflight = tracked
    return tracked
  }

  /** The key for `kid`, refetching the set (rate-limited) when the kid is not cached. */
  async lookup(kid: string): Promise<KeyLookup> {
    const known = this.#keys.get(kid)
    if (known !== undefined) return { state: 'found', key: known }
    if (this.#inflight === null) {
      const wait = this.#lastFetch + this.#minRefetchMs - Date.now()
      // the last fetch failed moments ago: do not hammer a JWKS that is down, refuse at once
      if (wait > 0 && this.#lastError !== null) return { state: 'unavailable', cause: this.#lastError }
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    }
    try {
      await (this.#inflight ?? this.refresh())
    } catch {
      // this.#lastError says why
    }
    const key = this.#keys.get(kid)
    if (key !== undefined) return { state: 'found', key }
    const former = this.#former.get(kid)
    if (former !== undefined) return { state: 'former', key: former }
    return this.#lastError !== null ? { state: 'unavailable', cause: this.#lastError } : { state: 'unknown' }
  }

  async #fetch(): Promise<void> {
    this.#lastFetch = Date.now()
    try {
      const res = await request(this.#uri, { headersTimeout: this.#timeoutMs, bodyTimeout: this.#timeoutMs, signal: AbortSignal.timeout(this.#timeoutMs) })
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
      // A key dropped from the set is remembered apart: a replica that refetched for any reason (a
      // made-up kid, a rotation) can still tell a genuine token of a retired key from a forgery.
      for (const [kid, key] of this.#keys) if (!keys.has(kid)) this.#former.set(kid, key)
      for (const kid of keys.keys()) this.#former.delete(kid)
      while (this.#former.size > MAX_FORMER) this.#former.delete(this.#former.keys().next().value!)
      this.#keys = keys
      this.#lastError = null
    } catch (e) {
      this.#lastError = (e instanceof Error ? e.message : String(e)).slice(0, 200)
      throw e
    }
  }
}
