/**
 * Evidence sink and writers: hash chains that verify (RFC 8785 JCS + SHA-256), all-or-nothing
 * ingest, cursor reads, chain heads, and failing closed when evidence cannot be written.
 */
import { Client, request } from 'undici'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { recordHash } from '../../../harness/evidence/chain.ts'
import { checkChain } from '../../../harness/evidence/integrity.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { EvidenceWriter } from '../../../targets/reference/evidence-writer/evidence-writer.ts'
import { populate, TENANT, type Population } from './helpers/population.ts'
import { World } from './helpers/world.ts'

let world: World
let pop: Population

beforeAll(async () => {
  world = await World.start()
  pop = await populate(world)
})
afterAll(async () => {
  await world?.stop()
})

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  // as the target's own writers do: the sink takes appends only with their secret
  const res = await request(`${world.target.evidence.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${world.evidenceSecret}` }, body: JSON.stringify(body) })
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> }
}

async function heads(): Promise<Record<string, string | null>> {
  const res = await request(`${world.target.evidence.url}/heads`)
  return ((await res.body.json()) as { heads: Record<string, string | null> }).heads
}

describe('hash chain', () => {
  test('every component chain (the AS and each replica) verifies with checkChain and ends at the sink head', async () => {
    // one connection per call, so the front spreads them over both replicas
    const clients = Array.from({ length: 20 }, () => new Client(world.rs.origin))
    const calls = await Promise.all(clients.map((dispatcher, i) => world.call(pop.sub, pop.subToken, 'GET', `/t/${TENANT}/tickets/C-${i}`, { dispatcher })))
    await Promise.all(clients.map((c) => c.close()))
    expect(calls.every((c) => c.status === 200)).toBe(true)
    await world.recordsFor(calls[19].traceId)
    await new Promise((r) => setTimeout(r, 100))
    const records = await world.records()
    const h = await heads()
    for (const component of ['as', 'rs-1/0', 'rs-1/1']) {
      const chain = records.filter((r) => r.component === component)
      expect(chain.length).toBeGreaterThan(0)
      const check = checkChain(component, chain)
      expect(check.problem).toBeNull()
      expect(chain[0].prev).toBeNull()
      expect(check.head).toBe(h[component])
    }
  })

  test('cursor pages cover the log once, in order', async () => {
    const all = await world.records()
    const seen: EvidenceRecord[] = []
    let after: string | null = null
    for (let i = 0; i < 1_000; i++) {
      const q: string = after === null ? '?limit=7' : `?limit=7&after=${after}`
      const res = await request(`${world.target.evidence.url}/records${q}`)
      const page = (await res.body.json()) as { records: EvidenceRecord[]; cursor: string }
      if (page.records.length === 0) break
      seen.push(...page.records)
      after = page.cursor
    }
    expect(seen.slice(0, all.length).map((r) => r.id)).toEqual(all.map((r) => r.id))
    const bad = await request(`${world.target.evidence.url}/records?limit=5001`)
    expect(bad.statusCode).toBe(400)
    await bad.body.dump()
  })
})

describe('sink ingest is all-or-nothing', () => {
  function forged(component: string, prev: string | null, n: number): EvidenceRecord[] {
    const out: EvidenceRecord[] = []
    for (let i = 0; i < n; i++) {
      const base = {
        v: 1 as const, id: `ev_test${i}`, ts: new Date().toISOString(), component, decision: 'allow' as const, reason: 'ok', status: 200,
        principal: { sub: 'x', type: 'agent' as const }, actors: [], resource: {}, correlation: {}, prev,
      }
      const r = { ...base, hash: recordHash(base) }
      out.push(r)
      prev = r.hash
    }
    return out
  }

  test('a batch whose prev does not link to the head → 409, nothing kept', async () => {
    const before = (await world.records()).length
    const res = await post('/ingest', forged('rs-1', 'not-the-head', 3))
    expect(res.status).toBe(409)
    expect((await world.records()).length).toBe(before)
  })

  test('a batch with one bad hash in the middle → 409, nothing kept; a good batch → 200 and a new head', async () => {
    const batch = forged('spec-writer', null, 3)
    batch[1] = { ...batch[1], reason: 'tampered' }
    expect((await post('/ingest', batch)).status).toBe(409)
    expect((await heads())['spec-writer']).toBeUndefined()
    const good = forged('spec-writer', null, 3)
    expect((await post('/ingest', good)).status).toBe(200)
    expect((await heads())['spec-writer']).toBe(good[2].hash)
  })
})

describe('R-GC-internal-3: only the target\'s writers append', () => {
  test('a forged allow record linking to the AS chain\'s head, posted to the started target\'s sink without the writers\' secret → 401, not stored; the target\'s own writers keep appending', async () => {
    const head = (await heads()).as
    expect(head).toEqual(expect.any(String))
    const base = {
      v: 1 as const, id: 'ev_forged0', ts: new Date().toISOString(), component: 'as', decision: 'allow' as const, reason: 'ok', status: 200,
      principal: { sub: 'user_forged', type: 'user' as const }, actors: [], resource: {}, correlation: { trace_id: 'forged' }, prev: head,
    }
    const forged = [{ ...base, hash: recordHash(base) }]
    const res = await request(`${world.target.evidence.url}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(forged) })
    expect(res.statusCode).toBe(401)
    await res.body.dump()
    expect((await world.records()).some((r) => r.id === 'ev_forged0')).toBe(false)
    // the AS still writes: a registration refused for want of the initial access token is recorded
    const refused = await world.http('POST', `${world.target.issuer}/register`, { 'content-type': 'application/json' }, '{}')
    expect(await world.recordFor(refused.traceId)).toMatchObject({ component: 'as', reason: 'client.registration_unauthorized' })
  })
})

describe('writers fail closed', () => {
  test('a full evidence buffer refuses new records (the component then answers 503)', async () => {
    const writer = new EvidenceWriter({ component: 'spec', sinkUrl: 'http://127.0.0.1:9', sinkSecret: 'unused: the sink is unreachable', maxBuffer: 3, log: () => {} })
    const input = { decision: 'allow' as const, reason: 'ok', status: 200, principal: { sub: null, type: 'anonymous' as const }, actors: [], resource: {}, correlation: {} }
    expect([writer.append(input), writer.append(input), writer.append(input)]).toEqual([true, true, true])
    expect(writer.full).toBe(true)
    expect(writer.append(input)).toBe(false)
    await writer.close(50)
  })
})
