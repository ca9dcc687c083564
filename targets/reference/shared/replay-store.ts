/**
 * Remembers DPoP proof (and client assertion) jtis for as long as a proof could still pass the iat
 * window. The interface may be asynchronous so that a store shared by replicas over the network can
 * implement it later; a store that cannot answer throws, and callers fail closed.
 */
export interface ReplayStore {
  /** true when `key` was already recorded and has not expired; otherwise records it */
  seen(key: string, ttlMs: number): boolean | Promise<boolean>
  /** epoch ms when `key` was first recorded, for evidence; null when unknown */
  firstSeen?(key: string): number | null
}

export class ReplayStoreUnavailable extends Error {}

interface Entry {
  first: number
  expires: number
}

export class MemoryReplayStore implements ReplayStore {
  readonly #entries = new Map<string, Entry>()
  readonly #max: number
  readonly #now: () => number

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#max = options.maxEntries ?? 2_000_000
    this.#now = options.now ?? Date.now
  }

  seen(key: string, ttlMs: number): boolean {
    const now = this.#now()
    this.#sweep(now)
    const entry = this.#entries.get(key)
    if (entry !== undefined && entry.expires > now) return true
    // Full means we could no longer tell a replay from a fresh proof: refuse rather than forget.
    if (this.#entries.size >= this.#max) throw new ReplayStoreUnavailable('replay store is full')
    this.#entries.set(key, { first: now, expires: now + ttlMs })
    return false
  }

  firstSeen(key: string): number | null {
    return this.#entries.get(key)?.first ?? null
  }

  get size(): number {
    return this.#entries.size
  }

  /** Entries go in roughly in expiry order, so expired ones sit at the front of the Map. */
  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expires > now) break
      this.#entries.delete(key)
    }
  }
}
