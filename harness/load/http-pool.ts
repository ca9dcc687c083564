/**
 * One keep-alive HTTP/1.1 pool per origin for the hot path (http1-pool.ts; docs/platform.md: global
 * fetch costs ~6× more CPU per request, undici's dispatch ~25–30 µs more than a plain socket
 * client). Origins are checked against the loopback allowlist once, when the pool is made.
 */
import { assertLoopback } from '../protocol/http.ts'
import { Http1Pool } from './http1-pool.ts'

export class HttpPools {
  private pools = new Map<string, Http1Pool>()
  private connections: number

  constructor(connections: number) {
    this.connections = connections
  }

  get(origin: string): Http1Pool {
    let pool = this.pools.get(origin)
    if (!pool) {
      assertLoopback(origin)
      pool = new Http1Pool(origin, { connections: this.connections, keepAliveTimeout: 30_000 })
      this.pools.set(origin, pool)
    }
    return pool
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pools.values()].map((p) => p.close()))
    this.pools.clear()
  }
}
