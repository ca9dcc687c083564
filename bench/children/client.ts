/**
 * A saturated closed loop against the trivial server, CPU µs per completed request of this process:
 *   gatecrash: the harness hot path per attempt (fresh DPoP proof + undici + AttemptRecord);
 *   gatecrash-miss: the same with a key cache of 16 KeyObjects for the rotation of identities, so
 *              every proof imports its key first (harness/protocol/identity-key.ts): what a
 *              population far larger than the key cache costs per attempt;
 *   proposed:  the same with the proposed signer (bench/lib/proposed-jws.ts);
 *   minimal:   the floor for a DPoP attempt: a hand-written client (proof assembled inline with the
 *              cheapest signing form, undici Pool, same headers as gatecrash, body read, no record);
 *   undici:    a bare undici Pool GET with the same connections (what the HTTP part alone costs).
 * Warm-up first (JIT, connections), then a measured window taken by timer at both ends.
 */
import { randomUUID, sign } from 'node:crypto'
import { Pool } from 'undici'
import { HttpPools } from '../../harness/load/http-pool.ts'
import { exportIdentityKey, identityKeyFrom, setKeyCacheSize } from '../../harness/protocol/identity-key.ts'
import { childMain, cpuSinceUs, sleep } from '../lib/child.ts'
import { derToJose } from '../../harness/protocol/der-to-jose.ts'
import { attemptFn, attemptFnProposed, benchIdentities, closedLoop, trivialResource, type Attempt } from '../lib/fixtures.ts'

interface Params {
  mode: 'gatecrash' | 'gatecrash-miss' | 'proposed' | 'minimal' | 'undici'
  origin: string
  connections: number
  warmMs: number
  measureMs: number
  identities: number
}

await childMain<Params, unknown>(async (p) => {
  let attempt: Attempt
  let close: () => Promise<void>
  if (p.mode === 'gatecrash' || p.mode === 'gatecrash-miss' || p.mode === 'proposed') {
    const rs = trivialResource(p.origin)
    const pools = new HttpPools(p.connections)
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
    attempt = (p.mode === 'proposed' ? attemptFnProposed : attemptFn)(pools, rs, identities)
    close = () => pools.close()
  } else if (p.mode === 'minimal') {
    const rs = trivialResource(p.origin)
    const ids = benchIdentities(p.identities, rs)
    const pool = new Pool(p.origin, { connections: p.connections, pipelining: 1, keepAliveTimeout: 30_000 })
    attempt = async (i) => {
      const { key, accessToken, tokenHash } = ids[i % ids.length].credential
      const path = `/t/t_1/tickets/T-${i % 100_000}`
      const payload = Buffer.from(JSON.stringify({ jti: randomUUID(), htm: 'GET', htu: p.origin + path, iat: Math.floor(Date.now() / 1000), ath: tokenHash })).toString('base64url')
      const input = `${key.dpopHeaderB64}.${payload}`
      const proof = `${input}.${derToJose(sign('sha256', Buffer.from(input, 'latin1'), key.privateKey)).toString('base64url')}`
      const res = await pool.request({ method: 'GET', path, headers: ['authorization', `DPoP ${accessToken}`, 'dpop', proof] })
      await res.body.text()
      return { status: res.statusCode } as never
    }
    close = () => pool.close()
  } else {
    const pool = new Pool(p.origin, { connections: p.connections, pipelining: 1, keepAliveTimeout: 30_000 })
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
