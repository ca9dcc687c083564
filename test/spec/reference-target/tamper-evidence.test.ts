/**
 * The test-only tamper plugin (test/helpers/tamper-evidence.ts) against a started reference target:
 * each mode changes the target's own evidence store exactly as it says (the sink is killed, its log
 * edited, the sink restarted on its address), and the writers carry on: a moved head is recorded
 * as a `sink_head_moved` gap, an untouched head takes the next record as before. The e2e runs
 * (test/e2e/evidence-integrity.test.ts) show the harness's integrity gate catching each mode.
 */
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { Fault } from '../../../harness/chaos/fault.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { recordHash } from '../../../harness/evidence/chain.ts'
import { checkChain } from '../../../harness/evidence/integrity.ts'
import { tamperEvidence, tamperLog, type TamperMode } from '../../helpers/tamper-evidence.ts'
import { until } from './helpers/chaos-link.ts'
import { populate, TENANT, USER, type Population } from './helpers/population.ts'
import { TYPE_JWT, World, type HttpResult } from './helpers/world.ts'

let world: World
let pop: Population
const logged: string[] = []

const ticket = (id: string): string => `/t/${TENANT}/tickets/${id}`
/** a read (allowed) or a refund by the read-only sub-agent (refused 403) straight at one replica */
const callAt = (node: string, id: string, refused = false): Promise<HttpResult> =>
  refused
    ? world.call(pop.sub, pop.subToken, 'POST', `/t/${TENANT}/refunds`, { body: { ticket_id: id, amount: 5 }, via: world.component(node).url })
    : world.call(pop.agent, pop.agentToken, 'GET', ticket(id), { via: world.component(node).url })
const chainOf = (records: EvidenceRecord[], component: string): EvidenceRecord[] => records.filter((r) => r.component === component)
const heads = async (): Promise<Record<string, string | null>> => ((await (await request(`${world.target.evidence.url}/heads`)).body.json()) as { heads: Record<string, string | null> }).heads

async function tamper(params: Record<string, string | number>): Promise<string> {
  const spec = Fault.custom({ injector: 'tamper-evidence', component: 'evidence-sink', params, at: '0s', for: '1s' })
  const fault = await tamperEvidence.inject(spec, { target: world.target, identities: [], seed: 1, index: 0, log: (l) => logged.push(l) })
  await fault.heal()
  return fault.detail ?? ''
}

beforeAll(async () => {
  world = await World.start()
  pop = await populate(world)
  const calls: HttpResult[] = []
  for (const node of ['rs-1/0', 'rs-1/1']) {
    for (let i = 0; i < 4; i++) calls.push(await callAt(node, `T-${node.replace('/', '-')}-${i}`, i === 1))
  }
  expect(calls.map((c) => c.status)).toEqual([200, 403, 200, 200, 200, 403, 200, 200])
  await world.recordFor(calls.at(-1)!.traceId)
  await world.recordFor(calls[3].traceId)
})
afterAll(async () => {
  await world?.stop()
})

describe('tamper-evidence plugin on the reference target', () => {
  test('truncate (default chain: the most idle, here the AS\'s): its last 3 records cut from the log, /heads rolls back; the AS\'s next record follows a sink_head_moved gap', async () => {
    const before = await world.records()
    const as = chainOf(before, 'as')
    expect((await heads()).as).toBe(as.at(-1)!.hash)
    const detail = await tamper({ mode: 'truncate', olderThanMs: 0 })
    const cut = as.slice(-3)
    expect(detail).toBe(`truncate on chain as: last 3 record(s) cut (${cut[0].id} … ${cut[2].id}), head rolled back ${as.at(-1)!.hash.slice(0, 10)}… → ${as.at(-4)!.hash.slice(0, 10)}…`)
    expect(await world.records()).toEqual(before.filter((r) => !cut.includes(r)))
    expect((await heads()).as).toBe(as.at(-4)!.hash)
    expect(world.component('evidence-sink').url).toBe(world.target.evidence.url)
    // the AS writes again: its writer acknowledged a head the sink no longer has
    const exchanged = await world.exchange(pop.agent, await world.idp.assertion(USER, world.target.issuer), TYPE_JWT, 'tickets:read')
    expect(exchanged.status).toBe(200)
    await world.recordFor(exchanged.traceId)
    const after = chainOf(await world.records(), 'as')
    expect(after.slice(0, -2)).toEqual(as.slice(0, -3))
    const [gap, next] = after.slice(-2)
    expect(gap).toMatchObject({ reason: 'system.evidence_gap', prev: as.at(-4)!.hash, detail: { cause: 'sink_head_moved', expected_head: as.at(-1)!.hash, sink_head: as.at(-4)!.hash, rechained: 1 } })
    expect(next).toMatchObject({ prev: gap.hash, correlation: { trace_id: exchanged.traceId } })
    expect(checkChain('as', after).problem).toBeNull()
  })

  test('edit-rehash on rs-1/1 from its 2nd record: that record\'s decision flipped, it and every later record rehashed, the chain verifies and its head moved; the replica\'s next record follows a sink_head_moved gap', async () => {
    const before = await world.records()
    const chain = chainOf(before, 'rs-1/1')
    expect(chain.length).toBeGreaterThanOrEqual(4)
    const detail = await tamper({ mode: 'edit-rehash', chain: 'rs-1/1', record: chain[1].id })
    // recomputed here, independently of the plugin
    const expected = new Map<string, EvidenceRecord>()
    let prev = chain[0].hash
    for (const [k, r] of chain.entries()) {
      if (k === 0) continue
      const { hash: _h, ...body } = { ...r, prev, ...(k === 1 ? { decision: r.decision === 'deny' ? 'allow' as const : 'deny' as const } : {}) }
      prev = recordHash(body)
      expected.set(r.id, { ...body, hash: prev })
    }
    expect(detail).toMatch(new RegExp(`^edit-rehash on chain rs-1/1: record ${chain[1].id} decision (deny → allow|allow → deny), it and ${chain.length - 2} later record\\(s\\) rehashed`))
    const after = await world.records()
    expect(after).toEqual(before.map((r) => expected.get(r.id) ?? r))
    expect(chainOf(after, 'rs-1/1')[1].decision).not.toBe(chain[1].decision)
    expect(checkChain('rs-1/1', chainOf(after, 'rs-1/1')).problem).toBeNull()
    expect((await heads())['rs-1/1']).toBe(prev)
    const call = await callAt('rs-1/1', 'after-rehash')
    await world.recordFor(call.traceId)
    const [gap, next] = chainOf(await world.records(), 'rs-1/1').slice(-2)
    expect(gap).toMatchObject({ reason: 'system.evidence_gap', prev, detail: { cause: 'sink_head_moved', expected_head: chain.at(-1)!.hash, sink_head: prev } })
    expect(next).toMatchObject({ prev: gap.hash, correlation: { trace_id: call.traceId } })
  })

  test('delete on rs-1/0 (its 2nd record): the record is gone, the next one no longer links; the head is untouched and the replica chains on without a gap', async () => {
    const before = await world.records()
    const chain = chainOf(before, 'rs-1/0')
    const head = (await heads())['rs-1/0']
    expect(head).toBe(chain.at(-1)!.hash)
    expect(await tamper({ mode: 'delete', chain: 'rs-1/0', record: chain[1].id })).toBe(`delete on chain rs-1/0: record ${chain[1].id} removed`)
    const after = await world.records()
    expect(after).toEqual(before.filter((r) => r.id !== chain[1].id))
    expect(checkChain('rs-1/0', chainOf(after, 'rs-1/0')).problem).toBe(`record ${chain[2].id}: prev does not link to the record before`)
    expect((await heads())['rs-1/0']).toBe(head)
    const call = await callAt('rs-1/0', 'after-delete')
    expect((await world.recordFor(call.traceId)).prev).toBe(head)
  })

  test('edit-keep-hash on rs-1/0 (its head): the decision flipped, the hash left alone so it no longer recomputes; the head still links, so the replica chains on without a gap', async () => {
    const before = await world.records()
    const chain = chainOf(before, 'rs-1/0')
    const target = chain.at(-1)!
    const flipped = target.decision === 'deny' ? 'allow' : 'deny'
    expect(await tamper({ mode: 'edit-keep-hash', chain: 'rs-1/0', olderThanMs: 0 })).toBe(`edit-keep-hash on chain rs-1/0: record ${target.id} decision ${target.decision} → ${flipped}, hash left as it was`)
    const after = await world.records()
    expect(after).toEqual(before.map((r) => (r.id === target.id ? { ...r, decision: flipped } : r)))
    const edited = after.find((r) => r.id === target.id)!
    expect(edited.hash).toBe(target.hash)
    expect(recordHash(edited)).not.toBe(edited.hash)
    expect((await heads())['rs-1/0']).toBe(target.hash)
    const call = await callAt('rs-1/0', 'after-edit')
    expect((await world.recordFor(call.traceId)).prev).toBe(target.hash)
    expect(logged.filter((l) => l.startsWith('tamper-evidence: '))).toHaveLength(4)
  })
})

describe('tamperLog: which chain and record by default', () => {
  const T0 = Date.parse('2026-11-26T03:00:00.000Z')
  /** records of `component` at the given seconds after T0, linked */
  function chain(component: string, seconds: number[]): EvidenceRecord[] {
    let prev: string | null = null
    return seconds.map((s, i) => {
      const body = { v: 1 as const, id: `${component}-${i}`, ts: new Date(T0 + s * 1000).toISOString(), component, decision: 'allow' as const, reason: 'ok', status: 200, principal: { sub: 'u', type: 'user' as const }, actors: [], resource: {}, correlation: {}, prev }
      prev = recordHash(body)
      return { ...body, hash: prev }
    })
  }
  // as: idle since second 1; rs-1/0: busy until second 10; rs-1/1: busy too, fewer records
  const log = [...chain('as', [0, 1]), ...chain('rs-1/0', [2, 4, 6, 8, 9, 10]), ...chain('rs-1/1', [3, 5, 9.5])]
  const now = T0 + 10_000
  const run = (mode: TamperMode, extra: { olderThanMs?: number; count?: number; chain?: string } = {}) => tamperLog(log, { mode, now, ...extra })

  test('truncate defaults to the most idle chain; the others to the chain with the most records', () => {
    expect(run('truncate').chain).toBe('as')
    for (const mode of ['edit-keep-hash', 'edit-rehash', 'delete'] as const) expect(run(mode).chain).toBe('rs-1/0')
  })

  test('the record is the newest one at least olderThanMs old (default 1.5 s): one the harness has read', () => {
    expect(run('edit-keep-hash').ids).toEqual(['rs-1/0-3'])
    expect(run('edit-keep-hash', { olderThanMs: 0 }).ids).toEqual(['rs-1/0-5'])
    expect(run('delete', { olderThanMs: 0 }).ids).toEqual(['rs-1/0-4']) // never the head: it needs a successor
    // truncate cuts at least `count`, and at least through that record
    expect(run('truncate', { chain: 'rs-1/0' }).ids).toEqual(['rs-1/0-3', 'rs-1/0-4', 'rs-1/0-5'])
    expect(run('truncate', { chain: 'rs-1/0', olderThanMs: 5_000 }).ids).toEqual(['rs-1/0-1', 'rs-1/0-2', 'rs-1/0-3', 'rs-1/0-4', 'rs-1/0-5'])
    expect(run('truncate', { chain: 'rs-1/0', count: 1, olderThanMs: 0 }).ids).toEqual(['rs-1/0-5'])
    // …and never the chain's first record
    expect(run('truncate').ids).toEqual(['as-1'])
  })

  test('nothing old enough, or a chain too short: an error naming the chain', () => {
    expect(() => run('edit-rehash', { chain: 'rs-1/1', olderThanMs: 20_000 })).toThrow(/chain rs-1\/1 holds no record 20000 ms old/)
    expect(() => tamperLog(chain('as', [0]), { mode: 'truncate', now })).toThrow(/no chain of the sink has 2 records/)
  })
})
