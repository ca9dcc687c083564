/**
 * undici Pools per origin for the hot path (platform.md: global fetch costs ~6× more CPU per
 * request). Origins are checked against the loopback allowlist once, when the pool is made.
 * Requests go out through `Pool.dispatch` (dispatch-request.ts), not `Pool.request`.
 */
import { Pool } from 'undici'
import { assertLoopback } from '../protocol/http.ts'

export class HttpPools {
  private pools = new Map<string, Pool>()
  private connections: number

  constructor(connections: number) {
    this.connections = connections
  }

  get(origin: string): Pool {
    let pool = this.pools.get(origin)
    if (!pool) {
      assertLoopback(origin)
      pool = new Pool(origin, { connections: this.connections, pipelining: 1, keepAliveTimeout: 30_000 })
      this.pools.set(origin, pool)
    }
    return pool
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pools.values()].map((p) => p.close()))
    this.pools.clear()
  }
}
