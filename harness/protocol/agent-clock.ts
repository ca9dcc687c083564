/**
 * The agents' clocks, as the harness simulates them. Each identity signs its DPoP proofs and client
 * assertions with `iat` from its own clock; normally that is the harness's clock, but a clock-skew
 * fault (harness/chaos/injectors/clock-skew.ts) moves some identities' clocks for a while. Keyed by
 * the identity's key (protocol/identity-key.ts IdentityKey, the object, not its KeyObject: reading
 * `privateKey` would import and pin a signing key per skewed identity), so every proof and assertion
 * that key signs follows its clock, and nothing is kept once the key is gone.
 *
 * On the hot path this costs one integer compare while no clock is off.
 *
 * @example
 * ```ts
 * agentClock.skew(identity.credential.key, 300_000)   // 5 min ahead
 * agentClock.nowS(identity.credential.key)             // what that agent writes as iat
 * agentClock.reset(identity.credential.key)
 * ```
 */
export class AgentClock {
  #offsets = new WeakMap<object, number>()
  #skewed = 0

  /** Moves one identity's clock by `offsetMs` (negative: behind), replacing any earlier skew. */
  skew(key: object, offsetMs: number): void {
    if (!this.#offsets.has(key)) this.#skewed++
    this.#offsets.set(key, offsetMs)
  }

  /** Puts one identity's clock back on the harness's time. */
  reset(key: object): void {
    if (this.#offsets.delete(key)) this.#skewed--
  }

  /** How many identities' clocks are off right now. */
  get skewed(): number {
    return this.#skewed
  }

  offsetMs(key: object): number {
    return this.#skewed === 0 ? 0 : (this.#offsets.get(key) ?? 0)
  }

  /** The identity's idea of now, in seconds since the epoch (JWT NumericDate). */
  nowS(key: object): number {
    return Math.floor((Date.now() + this.offsetMs(key)) / 1000)
  }
}

/** The clocks of this process's agents: proofs and assertions consult it when no `iat` is given. */
export const agentClock = new AgentClock()
