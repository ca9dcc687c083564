/**
 * One keep-alive HTTP/1.1 pool per origin for the hot path (http1-pool.ts; docs/platform.md: global
 * fetch costs ~6× more CPU per request, undici's dispatch ~25–30 µs more than a plain socket
 * client). Origins go through the host policy when their pool is made (HostPolicy.checkUrl) and
 * every connection at connect time (its lookup); `https:` origins speak TLS with the target
 * profile's CA.
 *
 * @example
 *   new HttpPools(64)   // loopback only, as always
 *   new HttpPools(64, { hosts: HostPolicy.fromProfile(profile.hosts), tls: profile.tls })
 */
import type { TargetConnectionOptions, TargetTlsOptions } from '../contracts/target.ts'
import { HostPolicy } from '../protocol/host-policy.ts'
import { Http1Pool } from './http1-pool.ts'

export interface HttpPoolsOptions {
  /** the host allowlist; HostPolicy.LOOPBACK by default */
  hosts?: HostPolicy
  /** the target profile's TLS option for https origins: `{ ca: '<path>' }` */
  tls?: TargetTlsOptions
}

export class HttpPools {
  private pools = new Map<string, Http1Pool>()
  private connections: number
  private hosts: HostPolicy
  private tls: TargetTlsOptions | undefined

  constructor(connections: number, options: HttpPoolsOptions = {}) {
    this.connections = connections
    this.hosts = options.hosts ?? HostPolicy.LOOPBACK
    this.tls = options.tls
  }

  /** the options as data, for a worker thread to make the same pools from */
  get connection(): TargetConnectionOptions {
    return { hosts: [...this.hosts.allowances], ...(this.tls ? { tls: this.tls } : {}) }
  }

  get(origin: string): Http1Pool {
    let pool = this.pools.get(origin)
    if (!pool) {
      this.hosts.checkUrl(origin)
      pool = new Http1Pool(origin, { connections: this.connections, keepAliveTimeout: 30_000, lookup: this.hosts.lookup, tls: this.tls })
      this.pools.set(origin, pool)
    }
    return pool
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pools.values()].map((p) => p.close()))
    this.pools.clear()
  }
}
