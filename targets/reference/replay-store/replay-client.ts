/**
 * The resource server's side of the shared replay store: a keep-alive undici pool speaking
 * `POST /check-and-set`. Any failure (refused, timed out, non-200, odd body) throws, and the
 * resource server answers 503 rather than serve a proof it could not check (fail closed).
 *
 * Every check is bounded as a whole (default 1000 ms), queueing for a pool connection included: a
 * store that is paused, blackholed or slowed by a latency fault makes calls fail within the bound,
 * rather than pile up behind it. Tighter bounds (250 ms) refuse legitimate calls on a busy machine
 * (measured on 2 cores with a second target starting: 250 ms and 500 ms both did, 1000 ms did not),
 * so the adapter's `replayStoreTimeoutMs` lowers it where the machine allows.
 */
import { Pool } from 'undici'
import { BoundedCache } from '../shared/bounded-cache.ts'
import { ReplayStoreUnavailable, type ReplayStore } from '../shared/replay-store.ts'
import { CHECK_AND_SET_PATH } from './replay-server.ts'

export interface HttpReplayStoreOptions {
  connections?: number
  timeoutMs?: number
}

export class HttpReplayStore implements ReplayStore {
  readonly #pool: Pool
  readonly #timeoutMs: number
  /** first-seen times the store reported for replayed keys, for the deny record */
  readonly #firstSeen = new BoundedCache<string, number>(10_000)

  constructor(url: string, options: HttpReplayStoreOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 1_000
    this.#pool = new Pool(url, { connections: options.connections ?? 32, connect: { timeout: this.#timeoutMs } })
  }

  async seen(key: string, ttlMs: number): Promise<boolean> {
    let status: number
    let body: { seen?: unknown; first_seen?: unknown }
    try {
      const res = await this.#pool.request({
        path: CHECK_AND_SET_PATH,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key, ttl_ms: Math.round(ttlMs) }),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      status = res.statusCode
      body = (await res.body.json()) as typeof body
    } catch (e) {
      throw new ReplayStoreUnavailable(`replay store unreachable: ${e instanceof Error ? e.message : String(e)}`)
    }
    if (status !== 200 || typeof body.seen !== 'boolean') throw new ReplayStoreUnavailable(`replay store answered ${status}`)
    if (body.seen && typeof body.first_seen === 'number') this.#firstSeen.set(key, body.first_seen)
    return body.seen
  }

  firstSeen(key: string): number | null {
    return this.#firstSeen.get(key) ?? null
  }

  close(): Promise<void> {
    return this.#pool.close()
  }
}
