/**
 * The built-in fault proxy speaks Toxiproxy's HTTP API (Shopify/toxiproxy README "HTTP API" and
 * api.go): same paths, JSON shapes (key order included) and status codes, checked with raw HTTP so
 * nothing of gatecrash's driver hides a difference; then the driver itself.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fault } from '../../../harness/chaos/fault.ts'
import { startFaultProxy, type StartedFaultProxy } from '../../../harness/chaos/start-fault-proxy.ts'
import { FaultInjectionFailed, ToxiproxyClient, toxicForFault } from '../../../harness/chaos/toxiproxy-client.ts'
import { HarnessError } from '../../../harness/contracts/errors.ts'
import { startUpstream, type Upstream } from './helpers.ts'

let faults: StartedFaultProxy
let upstream: Upstream
let upstreamAddr: string
let stateDir: string

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; text: string }> {
  const res = await request(`${faults.url}${path}`, {
    method: method as 'GET',
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.body.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.statusCode, json, text }
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'gatecrash-chaos-'))
  upstream = await startUpstream()
  upstreamAddr = new URL(upstream.url).host
  faults = await startFaultProxy({ stateDir })
})

afterAll(async () => {
  await faults?.stop()
  await upstream?.close()
  await rm(stateDir, { recursive: true, force: true })
})

describe('Toxiproxy HTTP API: proxies', () => {
  it('GET /version → 200 {"version"}', async () => {
    const r = await api('GET', '/version')
    expect(r.status).toBe(200)
    expect(typeof r.json.version).toBe('string')
  })

  it('POST /proxies → 201 {name, listen, upstream, enabled, toxics}; listen port 0 becomes the real port', async () => {
    const r = await api('POST', '/proxies', { name: 'shape', listen: '127.0.0.1:0', upstream: upstreamAddr })
    expect(r.status).toBe(201)
    expect(Object.keys(r.json)).toEqual(['name', 'listen', 'upstream', 'enabled', 'toxics'])
    expect(r.json).toMatchObject({ name: 'shape', upstream: upstreamAddr, enabled: true, toxics: [] })
    expect(r.json.listen).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(r.json.listen).not.toBe('127.0.0.1:0')
  })

  it('GET /proxies → 200 map of name → proxy; GET /proxies/{proxy} → 200 proxy', async () => {
    const all = await api('GET', '/proxies')
    expect(all.status).toBe(200)
    const one = await api('GET', '/proxies/shape')
    expect(one.status).toBe(200)
    expect(all.json.shape).toEqual(one.json)
  })

  it('answers errors as {"error", "status"}: 404 unknown, 409 exists, 400 missing field or not loopback', async () => {
    expect(await api('GET', '/proxies/nope')).toMatchObject({ status: 404, json: { error: 'proxy not found', status: 404 } })
    const dup = await api('POST', '/proxies', { name: 'shape', upstream: upstreamAddr })
    expect(dup).toMatchObject({ status: 409, json: { error: 'proxy already exists', status: 409 } })
    const missing = await api('POST', '/proxies', { name: 'x' })
    expect(missing).toMatchObject({ status: 400, json: { error: 'missing required field: upstream', status: 400 } })
    expect((await api('POST', '/proxies', '{nope')).status).toBe(400)
    expect((await api('POST', '/proxies', { name: 'far', upstream: '192.0.2.1:80' })).status).toBe(400)
    expect((await api('POST', '/proxies', { name: 'wide', listen: '0.0.0.0:0', upstream: upstreamAddr })).status).toBe(400)
  })

  it('refuses browsers (User-Agent Mozilla/…) with 403, as Toxiproxy does', async () => {
    expect((await api('GET', '/proxies', undefined, { 'user-agent': 'Mozilla/5.0' })).status).toBe(403)
  })

  it('POST /proxies/{proxy} {enabled:false} → 200 disabled; POST /reset → 204 re-enables on the same port', async () => {
    const before = (await api('GET', '/proxies/shape')).json
    const off = await api('POST', '/proxies/shape', { enabled: false })
    expect(off).toMatchObject({ status: 200, json: { name: 'shape', enabled: false } })
    const reset = await api('POST', '/reset')
    expect(reset.status).toBe(204)
    expect(reset.text).toBe('')
    expect((await api('GET', '/proxies/shape')).json).toEqual(before)
  })
})

describe('Toxiproxy HTTP API: toxics', () => {
  it('POST /proxies/{proxy}/toxics → 200 {attributes, name, type, stream, toxicity} with Toxiproxy defaults', async () => {
    const r = await api('POST', '/proxies/shape/toxics', { type: 'latency', attributes: { latency: 10 } })
    expect(r.status).toBe(200)
    expect(Object.keys(r.json)).toEqual(['attributes', 'name', 'type', 'stream', 'toxicity'])
    expect(r.json).toEqual({ attributes: { latency: 10, jitter: 0 }, name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1 })
  })

  it('lists, shows and updates toxics; the proxy shows them too', async () => {
    await api('POST', '/proxies/shape/toxics', { name: 'up', type: 'bandwidth', stream: 'upstream', toxicity: 0.25, attributes: { rate: 50 } })
    const list = await api('GET', '/proxies/shape/toxics')
    expect(list.status).toBe(200)
    expect(list.json.map((t: { name: string }) => t.name)).toEqual(['up', 'latency_downstream']) // upstream chain first
    expect((await api('GET', '/proxies/shape/toxics/up')).json).toMatchObject({ type: 'bandwidth', stream: 'upstream', toxicity: 0.25 })
    const upd = await api('POST', '/proxies/shape/toxics/latency_downstream', { toxicity: 0.5, attributes: { jitter: 5 } })
    expect(upd).toMatchObject({ status: 200, json: { toxicity: 0.5, attributes: { latency: 10, jitter: 5 } } })
    const patched = await api('PATCH', '/proxies/shape/toxics/latency_downstream', { attributes: { latency: 20 } })
    expect(patched.json.attributes).toEqual({ latency: 20, jitter: 5 })
    expect((await api('GET', '/proxies/shape')).json.toxics).toEqual(list.json.map((t: { name: string }) => (t.name === 'up' ? t : patched.json)))
  })

  it('rejects bad toxics like Toxiproxy: 409 name taken, 400 unknown type or stream, 404 unknown toxic', async () => {
    expect(await api('POST', '/proxies/shape/toxics', { type: 'latency' })).toMatchObject({ status: 409, json: { error: 'toxic already exists' } })
    expect(await api('POST', '/proxies/shape/toxics', { type: 'slicer' })).toMatchObject({ status: 400, json: { error: 'invalid toxic type' } })
    expect((await api('POST', '/proxies/shape/toxics', { type: 'latency', stream: 'sideways' })).status).toBe(400)
    expect((await api('POST', '/proxies/shape/toxics', { type: 'timeout', attributes: { timeout: -1 } })).status).toBe(400)
    expect((await api('POST', '/proxies/nope/toxics', { type: 'latency' })).status).toBe(404)
    expect(await api('GET', '/proxies/shape/toxics/nope')).toMatchObject({ status: 404, json: { error: 'toxic not found', status: 404 } })
  })

  it('DELETE /proxies/{proxy}/toxics/{toxic} → 204, then 404; DELETE /proxies/{proxy} → 204, then 404', async () => {
    expect((await api('DELETE', '/proxies/shape/toxics/up')).status).toBe(204)
    expect((await api('DELETE', '/proxies/shape/toxics/up')).status).toBe(404)
    expect((await api('POST', '/reset')).status).toBe(204)
    expect((await api('GET', '/proxies/shape/toxics')).json).toEqual([])
    expect((await api('DELETE', '/proxies/shape')).status).toBe(204)
    expect((await api('GET', '/proxies/shape')).status).toBe(404)
  })
})

describe('ToxiproxyClient (the driver)', () => {
  it('round-trips proxies and toxics', async () => {
    const { client } = faults
    expect(await client.version()).toMatch(/gatecrash/)
    const p = await client.createProxy({ name: 'driver', upstream: upstream.url })
    expect(p.listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/)
    expect(p.upstream).toBe(upstreamAddr)
    const t = await client.addToxic('driver', { type: 'slow_close', attributes: { delay: 5 } })
    expect(t).toEqual({ attributes: { delay: 5 }, name: 'slow_close_downstream', type: 'slow_close', stream: 'downstream', toxicity: 1 })
    expect((await client.list()).driver.toxics).toEqual([t])
    expect(await client.toxics('driver')).toEqual([t])
    await client.removeToxic('driver', t.name)
    await client.reset()
    expect(await client.removeProxies('driv')).toEqual(['driver'])
    expect(Object.keys(await client.list())).not.toContain('driver')
  })

  it('proxyUrl puts a proxy in front of a URL and replaces a leftover of the same name', async () => {
    const first = await faults.client.proxyUrl('gatecrash_link', `${upstream.url}/base`)
    expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/base$/)
    const again = await faults.client.proxyUrl('gatecrash_link', upstream.url)
    expect(again).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    await faults.client.deleteProxy('gatecrash_link')
  })

  it('fails with ERR_FAULT_INJECTION_FAILED carrying the API status', async () => {
    const err = await faults.client.removeToxic('nope', 'nope').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FaultInjectionFailed)
    expect(err).toBeInstanceOf(HarnessError)
    expect(err).toMatchObject({ code: 'ERR_FAULT_INJECTION_FAILED', status: 404, message: expect.stringContaining('proxy not found') })
    const down = new ToxiproxyClient('http://127.0.0.1:1', { timeoutMs: 2_000 })
    await expect(down.version()).rejects.toMatchObject({ code: 'ERR_FAULT_INJECTION_FAILED' })
    await down.close()
  })

  it('refuses anything off loopback before sending (ERR_TARGET_UNSAFE)', async () => {
    expect(() => new ToxiproxyClient('http://192.0.2.10:8474')).toThrow(expect.objectContaining({ code: 'ERR_TARGET_UNSAFE' }))
    await expect(faults.client.createProxy({ name: 'x', upstream: '192.0.2.10:80' })).rejects.toMatchObject({ code: 'ERR_TARGET_UNSAFE' })
    await expect(faults.client.createProxy({ name: 'x', listen: '0.0.0.0:0', upstream: upstreamAddr })).rejects.toMatchObject({ code: 'ERR_TARGET_UNSAFE' })
  })

  it('maps scenario link faults (harness/chaos/fault.ts) to Toxiproxy toxics', () => {
    const w = { component: 'jwks', at: '1s', for: '1s' }
    expect(toxicForFault(Fault.latency({ ...w, ms: 800, jitterMs: 50, probability: 0.5 }))).toEqual({
      type: 'latency', stream: 'downstream', toxicity: 0.5, attributes: { latency: 800, jitter: 50 },
    })
    expect(toxicForFault(Fault.bandwidth({ ...w, rate: 64, stream: 'upstream' }))).toEqual({ type: 'bandwidth', stream: 'upstream', toxicity: 1, attributes: { rate: 64 } })
    expect(toxicForFault(Fault.reset({ ...w }))).toMatchObject({ type: 'reset_peer', attributes: { timeout: 0 } })
    expect(toxicForFault(Fault.blackhole({ ...w, closeAfterMs: 2_000 }))).toMatchObject({ type: 'timeout', attributes: { timeout: 2_000 } })
    expect(toxicForFault(Fault.slowClose({ ...w, delayMs: 300 }))).toMatchObject({ type: 'slow_close', attributes: { delay: 300 } })
  })
})
