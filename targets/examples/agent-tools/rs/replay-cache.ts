/**
 * DPoP proof replay cache (RFC 9449 §11.1): express-oauth2-jwt-bearer checks each proof's
 * signature, htm, htu, iat and ath but keeps no record of proofs it has seen, so a captured
 * request can be replayed within the proof-age window. This cache remembers each proof's jti for
 * that window, per target URI.
 *
 * It is an in-process Map: correct for one process. Replicas behind a load balancer need one shared
 * store (Redis SET NX PX, a database unique key), or a proof refused by one replica is accepted by
 * another.
 */
export class ReplayCache {
  readonly #seen = new Map<string, number>()
  readonly #ttlMs: number
  #nextSweep = 0

  /** `ttlS`: how long a proof can be accepted at all (past age + future skew). */
  constructor(ttlS: number) {
    this.#ttlMs = Math.max(1, ttlS) * 1000
  }

  /** Records `key`; returns when it was first seen if it was already there (a replay), else null. */
  check(key: string, nowMs = Date.now()): number | null {
    if (nowMs >= this.#nextSweep) this.#sweep(nowMs)
    const first = this.#seen.get(key)
    if (first !== undefined && nowMs - first < this.#ttlMs) return first
    this.#seen.set(key, nowMs)
    return null
  }

  get size(): number {
    return this.#seen.size
  }

  #sweep(nowMs: number): void {
    for (const [k, t] of this.#seen) if (nowMs - t >= this.#ttlMs) this.#seen.delete(k)
    this.#nextSweep = nowMs + Math.min(this.#ttlMs, 10_000)
  }
}
