/**
 * Each toxic acting on real HTTP traffic through the built-in fault proxy, with Toxiproxy's
 * semantics (Shopify/toxiproxy README "Toxics"). Timing assertions are lower bounds only (the box
 * is noisy), except where healing must beat a long toxic by seconds.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFaultProxy, type StartedFaultProxy } from '../../../harness/chaos/start-fault-proxy.ts'
import { BIG_BODY, fetchFresh, rawCloseTiming, startUpstream, timedRequest, type Upstream } from './helpers.ts'

let faults: StartedFaultProxy
let upstream: Upstream
let stateDir: string
let n = 0

/** a fresh proxy in front of the upstream server: its name and URL */
async function link(): Promise<{ name: string; url: string }> {
  const name = `toxics_${++n}`
  return { name, url: await faults.client.proxyUrl(name, upstream.url) }
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'gatecrash-chaos-'))
  upstream = await startUpstream()
  faults = await startFaultProxy({ stateDir })
})

afterAll(async () => {
  await faults?.stop()
  await upstream?.close()
  await rm(stateDir, { recursive: true, force: true })
})

describe('Toxiproxy latency toxic: each chunk delayed latency ± jitter ms', () => {
  it('adds at least `latency` ms to a response (stream downstream)', async () => {
    const { name, url } = await link()
    await faults.client.addToxic(name, { type: 'latency', attributes: { latency: 300 } })
    const r = await fetchFresh(url, '/slow')
    expect(r.body).toBe('ok /slow')
    expect(r.ms).toBeGreaterThanOrEqual(300)
  })

  it('with jitter adds at least latency − jitter ms', async () => {
    const { name, url } = await link()
    await faults.client.addToxic(name, { type: 'latency', attributes: { latency: 250, jitter: 100 } })
    for (let i = 0; i < 3; i++) expect((await fetchFresh(url)).ms).toBeGreaterThanOrEqual(150)
  })

  it('applies to a kept-alive connection opened before the toxic was added, and removal heals at once', async () => {
    const { name, url } = await link()
    const client = new Client(new URL(url).origin) // one connection, kept alive
    try {
      expect((await timedRequest(client, '/warm')).status).toBe(200)
      await faults.client.addToxic(name, { type: 'latency', attributes: { latency: 3_000 } })
      const slow = timedRequest(client, '/queued')
      await sleep(200)
      await faults.client.removeToxic(name, 'latency_downstream')
      const r = await slow
      expect(r.body).toBe('ok /queued')
      // the held response left when the toxic was removed, not 3 s after it arrived
      expect(r.ms).toBeGreaterThanOrEqual(200)
      expect(r.ms).toBeLessThan(2_500)
      const ports = upstream.seen.filter((s) => s.path === '/warm' || s.path === '/queued').map((s) => s.remotePort)
      expect(new Set(ports).size).toBe(1) // one upstream connection: the toxic joined a live link
    } finally {
      await client.destroy()
    }
  })
})

describe('Toxiproxy bandwidth toxic: rate KB/s', () => {
  it('slows a 200 KB body to at most `rate` KB/s', async () => {
    const { name, url } = await link()
    await faults.client.addToxic(name, { type: 'bandwidth', attributes: { rate: 400 } })
    const r = await fetchFresh(url, '/big')
    expect(r.body?.length).toBe(BIG_BODY)
    expect(r.ms).toBeGreaterThanOrEqual((BIG_BODY / 400) * 0.98) // 200 000 B at 400 000 B/s = 500 ms
  })
})

describe('Toxiproxy reset_peer toxic: TCP RST after `timeout` ms', () => {
  it('timeout 0: the client sees ECONNRESET', async () => {
    const { name, url } = await link()
    await faults.client.addToxic(name, { type: 'reset_peer', attributes: { timeout: 0 } })
    const r = await fetchFresh(url)
    expect(r.error?.code).toBe('ECONNRESET')
  })

  it('timeout 300: ECONNRESET no sooner than 300 ms after the data arrived', async () => {
    const { name, url } = await link()
    await faults.client.addToxic(name, { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 300 } })
    const r = await fetchFresh(url, '/never-arrives')
    expect(r.error?.code).toBe('ECONNRESET')
    expect(r.ms).toBeGreaterThanOrEqual(300)
    expect(upstream.seen.some((s) => s.path === '/never-arrives')).toBe(false) // upstream stream: the request was dropped
  })
})

describe('Toxiproxy timeout toxic: data stops; closed after `timeout` ms, never when 0', () => {
  it('timeout 0: no response until the toxic is removed, which closes the held connection (Toxiproxy Cleanup)', async () => {
    const { name, url } = await link()
    await faults.client.addToxic(name, { type: 'timeout', attributes: { timeout: 0 } })
    let settled = false
    const held = fetchFresh(url, '/held', 10_000).finally(() => (settled = true))
    await sleep(600)
    expect(settled).toBe(false)
    await faults.client.removeToxic(name, 'timeout_downstream')
    const r = await held
    expect(r.ms).toBeGreaterThanOrEqual(600)
    expect(r.error?.code).toBe('UND_ERR_SOCKET') // closed (FIN), not reset: "other side closed"
    expect((await fetchFresh(url, '/after')).body).toBe('ok /after') // healed for new connections
  })

  it('timeout 300: the connection is closed after 300 ms without a response', async () => {
    const { name, url } = await link()
    await faults.client.addToxic(name, { type: 'timeout', attributes: { timeout: 300 } })
    const r = await fetchFresh(url)
    expect(r.error?.code).toBe('UND_ERR_SOCKET')
    expect(r.ms).toBeGreaterThanOrEqual(300)
  })
})

describe('Toxiproxy slow_close toxic: the close is delayed `delay` ms', () => {
  it('the response arrives, the end of the stream only `delay` ms later', async () => {
    const { name, url } = await link()
    const plain = await rawCloseTiming(url, '/close')
    await faults.client.addToxic(name, { type: 'slow_close', attributes: { delay: 600 } })
    const slow = await rawCloseTiming(url, '/close')
    expect(slow.bytes).toBe(plain.bytes)
    expect(slow.end).toBeGreaterThanOrEqual(600)
    expect(slow.end - slow.firstData).toBeGreaterThanOrEqual(400)
  })
})

describe('Toxiproxy toxicity: probability that a toxic applies, rolled per connection', () => {
  it('toxicity 0 never applies, 1 always does', async () => {
    const { name, url } = await link()
    await faults.client.addToxic(name, { type: 'reset_peer', toxicity: 0, attributes: { timeout: 0 } })
    for (let i = 0; i < 10; i++) expect((await fetchFresh(url)).status).toBe(200)
    await faults.client.updateToxic(name, 'reset_peer_downstream', { toxicity: 1 })
    for (let i = 0; i < 10; i++) expect((await fetchFresh(url)).error?.code).toBe('ECONNRESET')
  })

  it('toxicity 0.5 hits some connections and spares others', async () => {
    const { name, url } = await link()
    await faults.client.addToxic(name, { type: 'reset_peer', toxicity: 0.5, attributes: { timeout: 0 } })
    const results = await Promise.all(Array.from({ length: 40 }, () => fetchFresh(url)))
    const reset = results.filter((r) => r.error?.code === 'ECONNRESET').length
    const ok = results.filter((r) => r.status === 200).length
    expect(reset + ok).toBe(40)
    expect(reset).toBeGreaterThan(0) // P(all 40 spared or all hit) ≈ 2e-12
    expect(ok).toBeGreaterThan(0)
  })
})

describe('Toxiproxy proxy state: enabled false takes the proxy down, POST /reset heals everything', () => {
  it('disabling closes live connections and refuses new ones; reset re-enables and removes toxics', async () => {
    const { name, url } = await link()
    const client = new Client(new URL(url).origin) // one connection, kept alive
    try {
      expect((await timedRequest(client, '/before')).status).toBe(200)
      await faults.client.addToxic(name, { type: 'latency', attributes: { latency: 5_000 } })
      await faults.client.updateProxy(name, { enabled: false })
      expect((await fetchFresh(url)).error?.code).toBe('ECONNREFUSED')
      await faults.client.reset()
      const after = await faults.client.get(name)
      expect(after.enabled).toBe(true)
      expect(after.toxics).toEqual([])
      expect((await timedRequest(client, '/after')).status).toBe(200) // a new connection, same port
    } finally {
      await client.destroy()
    }
  })
})
