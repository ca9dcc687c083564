/**
 * A saturated closed loop against the trivial server, CPU µs per completed request of this process:
 *   gatecrash:        the harness hot path per attempt (sendAttempt: fresh DPoP proof signed in a
 *                     batch per event-loop turn, the keep-alive HTTP/1.1 pool, AttemptRecord);
 *   gatecrash-miss:   the same with a key cache of 16 KeyObjects for the rotation of identities, so
 *                     every proof imports its key first (harness/protocol/identity-key.ts): what a
 *                     population far larger than the key cache costs per attempt;
 *   gatecrash-inline: the same as gatecrash, each proof signed inline (createDpopProof) as its
 *                     attempt starts and handed to sendAttempt: what proof batching saves;
 *   gatecrash-undici: the same as gatecrash, sent through undici Pool.dispatch (the previous client,
 *                     bench/lib/undici-dispatch.ts): what the HTTP/1.1 pool saves;
 *   gatecrash-https:  the same as gatecrash against the same trivial server over TLS (`origin` is
 *                     https, `caFile` the bench's CA): what TLS adds per attempt on kept-alive
 *                     connections;
 *   undici:           a bare undici Pool GET with the same connections (what the HTTP part alone costs).
 * Warm-up first (JIT, connections), then a measured window taken by timer at both ends.
 */
import { Pool } from 'undici'
import { HttpPools } from '../../harness/load/http-pool.ts'
import { exportIdentityKey, identityKeyFrom, setKeyCacheSize } from '../../harness/protocol/identity-key.ts'
import { childMain, cpuSinceUs, sleep } from '../lib/child.ts'
import { attemptFn, benchIdentities, closedLoop, trivialResource, undiciPools, type Attempt } from '../lib/fixtures.ts'

interface Params {
  mode: 'gatecrash' | 'gatecrash-miss' | 'gatecrash-inline' | 'gatecrash-undici' | 'gatecrash-https' | 'undici'
  origin: string
  /** gatecrash-https: the PEM file of the CA that signed the server's certificate */
  caFile?: string
  connections: number
  warmMs: number
  measureMs: number
  identities: number
}

/** undici Pool options as the harness's HttpPools had them before http1-pool.ts. */
const poolOptions = (connections: number) => ({ connections, pipelining: 1, keepAliveTimeout: 30_000 })

await childMain<Params, unknown>(async (p) => {
  let attempt: Attempt
  let close: () => Promise<void>
  if (p.mode !== 'undici') {
    const rs = trivialResource(p.origin)
    const pools = p.mode === 'gatecrash-undici' ? undiciPools(new Pool(p.origin, poolOptions(p.connections))) : new HttpPools(p.connections, p.mode === 'gatecrash-https' ? { tls: { ca: p.caFile } } : {})
    const identities = benchIdentities(p.identities, rs)
    // Every proof misses: each attempt reads a key rebuilt from its exported form (~2 µs), which has
    // no cached or still-live KeyObject, so it is imported, as after an eviction and a GC.
    if (p.mode === 'gatecrash-miss') {
      setKeyCacheSize(16)
      for (const i of identities) {
        const { accessToken, tokenHash } = i.credential
        const wire = exportIdentityKey(i.credential.key)
        i.credential = { accessToken, tokenHash, get key() { return identityKeyFrom(wire) } }
      }
    }
    attempt = attemptFn(pools, rs, identities, { inlineProof: p.mode === 'gatecrash-inline' })
    close = () => pools.close()
  } else {
    const pool = new Pool(p.origin, poolOptions(p.connections))
    attempt = async (i) => {
      const res = await pool.request({ method: 'GET', path: `/t/t_1/tickets/T-${i % 100_000}` })
      await res.body.text()
      return { status: res.statusCode } as never
    }
    close = () => pool.close()
  }
  const counters = { done: 0, ok: 0 }
  const loop = closedLoop(attempt, p.connections, Date.now() + p.warmMs + p.measureMs + 50, counters)
  await sleep(p.warmMs)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const done0 = counters.done
  const ok0 = counters.ok
  await sleep(p.measureMs)
  const cpuUs = cpuSinceUs(cpu0)
  const elapsed = performance.now() - t0
  const done = counters.done - done0
  const ok = counters.ok - ok0
  await loop
  await close()
  return { mode: p.mode, requests: done, ok, cpuUsPerRequest: cpuUs / done, rps: (done * 1000) / elapsed, cpuShare: cpuUs / 1000 / elapsed }
})
