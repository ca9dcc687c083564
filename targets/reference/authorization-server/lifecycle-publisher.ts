/**
 * The AS's record of token lifecycle (revoked jtis, offboarded clients, retired kids) and its push
 * to every replica of every resource server. publish() resolves only after each replica answered
 * (or failed): the revocation, deletion or retirement endpoint answers success only when every
 * replica has the event, so "stops working" means at once. A replica that failed is marked stale
 * and gets the whole snapshot pushed again until it takes it; a replica that (re)starts pulls the
 * snapshot itself (GET /internal/lifecycle) and is pushed it again when the adapter lists it.
 * The replica URLs are each replica's internal listener (resource-server/internal-server.ts), never
 * a front: the public listeners do not route the push.
 */
import { request } from 'undici'
import { LIFECYCLE_PATH, type LifecycleEvent } from '../shared/lifecycle-events.ts'

export interface PublishResult {
  /** replicas the event was meant for */
  replicas: number
  /** replica URLs that did not take it (they are retried in the background) */
  failed: string[]
  /** false when a flaw kept the event on the AS */
  propagated: boolean
}

export interface LifecyclePublisherOptions {
  secret: string
  /** the signing kid now, sent with snapshot pushes so a replica that missed a rotation refetches */
  currentKid: () => string
  pushTimeoutMs?: number
  retryIntervalMs?: number
  /** writes each event down before it takes effect (as-state.ts), so a restarted AS keeps it */
  persist?: ((event: LifecycleEvent, propagate: boolean) => void) | null
  /** seconds a revoked jti is remembered after its token's exp */
  keepAfterExpS?: number
  log?: (line: string) => void
}

function keyOf(e: LifecycleEvent): string | null {
  switch (e.type) {
    case 'token.revoked': return `jti ${e.jti}`
    case 'client.offboarded': return `client ${e.client_id}`
    case 'key.retired': return `kid ${e.kid}`
    default: return null
  }
}

export class LifecyclePublisher {
  readonly #o: Required<LifecyclePublisherOptions>
  /** events every replica must hold (the snapshot) */
  readonly #state = new Map<string, LifecycleEvent>()
  /** events the AS enforces itself but, under a propagation flaw, never pushes */
  readonly #localOnly = new Map<string, LifecycleEvent>()
  readonly #replicas = new Map<string, string[]>()
  readonly #stale = new Set<string>()
  #retryTimer: NodeJS.Timeout | null = null
  #lastSweep = 0

  constructor(options: LifecyclePublisherOptions) {
    this.#o = { pushTimeoutMs: 2_000, retryIntervalMs: 250, keepAfterExpS: 60, log: (l) => process.stderr.write(`${l}\n`), persist: null, ...options }
  }

  /** Takes back an event a journal kept (a restarted AS), without pushing it anywhere. */
  restore(event: LifecycleEvent, propagate: boolean): void {
    const key = keyOf(event)
    if (key !== null) (propagate ? this.#state : this.#localOnly).set(key, event)
  }

  /** When the token with this jti was revoked, or null. */
  revokedAt(jti: string): string | null {
    const e = this.#state.get(`jti ${jti}`) ?? this.#localOnly.get(`jti ${jti}`)
    return e?.at ?? null
  }

  /** When this client was offboarded (RFC 7592 deletion), or null. */
  offboardedAt(clientId: string): string | null {
    const e = this.#state.get(`client ${clientId}`) ?? this.#localOnly.get(`client ${clientId}`)
    return e?.at ?? null
  }

  get replicaUrls(): string[] {
    return [...new Set([...this.#replicas.values()].flat())]
  }

  snapshot(): LifecycleEvent[] {
    this.#sweep()
    return [...this.#state.values()]
  }

  /** Records the event and, unless `propagate` is false, pushes it to every replica. */
  async publish(event: LifecycleEvent, propagate = true): Promise<PublishResult> {
    this.#sweep()
    const key = keyOf(event)
    if (key !== null) this.#o.persist?.(event, propagate)
    if (!propagate) {
      if (key !== null) this.#localOnly.set(key, event)
      return { replicas: 0, failed: [], propagated: false }
    }
    if (key !== null) this.#state.set(key, event)
    const urls = this.replicaUrls
    const failed = await this.#pushAll(urls, [event])
    return { replicas: urls.length, failed, propagated: true }
  }

  /** The replicas of one resource server (the adapter calls this again after any replica restarts). */
  async setReplicas(audience: string, urls: readonly string[]): Promise<PublishResult> {
    const known = new Set(this.replicaUrls)
    this.#replicas.set(audience, [...new Set(urls)])
    const listed = new Set(this.replicaUrls)
    for (const u of this.#stale) if (!listed.has(u)) this.#stale.delete(u)
    const fresh = [...listed].filter((u) => !known.has(u))
    const failed = await this.#pushAll(fresh, this.#snapshotPush())
    return { replicas: fresh.length, failed, propagated: true }
  }

  close(): void {
    if (this.#retryTimer !== null) clearInterval(this.#retryTimer)
    this.#retryTimer = null
  }

  #snapshotPush(): LifecycleEvent[] {
    return [...this.snapshot(), { type: 'key.added', kid: this.#o.currentKid(), at: new Date().toISOString() }]
  }

  async #pushAll(urls: readonly string[], events: LifecycleEvent[]): Promise<string[]> {
    if (urls.length === 0) return []
    const body = JSON.stringify({ events })
    const results = await Promise.all(urls.map(async (u) => ((await this.#push(u, body)) || (await this.#push(u, body)) ? null : u)))
    const failed = results.filter((u): u is string => u !== null)
    for (const u of failed) this.#stale.add(u)
    if (failed.length > 0) this.#scheduleRetry()
    return failed
  }

  async #push(url: string, body: string): Promise<boolean> {
    try {
      const res = await request(`${url}${LIFECYCLE_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.#o.secret}`, 'content-type': 'application/json' },
        body,
        headersTimeout: this.#o.pushTimeoutMs,
        bodyTimeout: this.#o.pushTimeoutMs,
      })
      await res.body.dump()
      if (res.statusCode === 204) return true
      this.#o.log(`as: lifecycle push to ${url} answered ${res.statusCode}`)
    } catch (e) {
      this.#o.log(`as: lifecycle push to ${url} failed: ${e instanceof Error ? e.message : String(e)}`)
    }
    return false
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== null) return
    let running = false
    this.#retryTimer = setInterval(() => {
      if (running) return
      if (this.#stale.size === 0) return this.close()
      running = true
      const body = JSON.stringify({ events: this.#snapshotPush() })
      void Promise.all([...this.#stale].map(async (u) => {
        if (await this.#push(u, body)) this.#stale.delete(u)
      })).finally(() => (running = false))
    }, this.#o.retryIntervalMs)
    this.#retryTimer.unref()
  }

  /** Revoked jtis whose tokens have expired anyway are dropped (at most every few seconds). */
  #sweep(): void {
    const now = Date.now()
    if (now - this.#lastSweep < 5_000) return
    this.#lastSweep = now
    const limit = now / 1000 - this.#o.keepAfterExpS
    for (const map of [this.#state, this.#localOnly]) {
      for (const [k, e] of map) if (e.type === 'token.revoked' && e.exp < limit) map.delete(k)
    }
  }
}
