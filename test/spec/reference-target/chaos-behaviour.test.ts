/**
 * The reference target under faults (docs/architecture.md "Chaos"): it fails closed (503 with a `system.*`
 * reason and a deny record wherever one can be written), buffers evidence while the sink is away and
 * records the gap when records were lost. Faults come from a small TCP proxy per link (the `proxy`
 * start option, standing in for the harness's fault proxy) and from the process hooks
 * (`target.chaos`: kill, pause, resume, restart on the same port).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { checkChain } from '../../../harness/evidence/integrity.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import type { TargetChaosHooks } from '../../../harness/contracts/target.ts'
import { revoke } from './helpers/as-requests.ts'
import { forgedToken, LinkProxies, until } from './helpers/chaos-link.ts'
import { decodePart } from './helpers/forge.ts'
import { startLocalReplica } from './helpers/local-replica.ts'
import { populate, TENANT, USER, type Population } from './helpers/population.ts'
import { TYPE_JWT, World, type HttpResult } from './helpers/world.ts'

const BUFFER = 8
let links: LinkProxies
let world: World
let pop: Population
let chaos: TargetChaosHooks

beforeAll(async () => {
  links = new LinkProxies()
  world = await World.start([], { proxy: links.proxy, evidenceBuffer: BUFFER })
  chaos = world.target.chaos!
  pop = await populate(world)
})
afterAll(async () => {
  await world?.stop()
  await links?.close()
})

function alive(pid: number): boolean {
  if (existsSync(`/proc/${pid}/stat`)) return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const ticket = (id: string): string => `/t/${TENANT}/tickets/${id}`
const replica = (name: string): string => world.component(name).url
/** a legitimate call straight to one replica (htu still names the public origin) */
const callAt = (node: string, id: string): Promise<HttpResult> => world.call(pop.agent, pop.agentToken, 'GET', ticket(id), { via: replica(node) })
const ofComponent = async (component: string): Promise<EvidenceRecord[]> => (await world.records()).filter((r) => r.component === component)
const heads = async (): Promise<Record<string, string | null>> => {
  const res = await request(`${world.target.evidence.url}/heads`)
  return ((await res.body.json()) as { heads: Record<string, string | null> }).heads
}

async function failsClosed(res: HttpResult, reason: string): Promise<EvidenceRecord> {
  expect(res.status, JSON.stringify(res.body)).toBe(503)
  expect(res.body.error).toBe('temporarily_unavailable')
  expect(res.headers['retry-after']).toBe('1')
  const record = await world.recordFor(res.traceId)
  expect(record).toMatchObject({ decision: 'deny', reason, status: 503, error: 'temporarily_unavailable', policy: { rule: 'fail-closed' } })
  return record
}

describe('links and processes the target exposes to the harness', () => {
  test('proxy: rs-1, rs-2, jwks, replay-store and evidence-sink are routed; origin, audience and htu name the proxied URL; evidence is read directly', async () => {
    expect(chaos.links).toEqual(['rs-1', 'rs-2', 'jwks', 'replay-store', 'evidence-sink'])
    expect(links.links.sort()).toEqual([...chaos.links].sort())
    for (const rs of world.target.resources) {
      expect(rs.origin).toBe(links.get(rs.id).url)
      expect(rs.audience).toBe(rs.origin)
      expect(links.get(rs.id).upstream).toBe(world.component(`${rs.id}/front`).url)
    }
    expect(links.get('jwks').upstream).toBe(world.target.issuer)
    expect(links.get('replay-store').upstream).toBe(world.component('replay-store').url)
    expect(links.get('evidence-sink').upstream).toBe(world.component('evidence-sink').url)
    expect(world.target.evidence.url).toBe(world.component('evidence-sink').url)
    // the issuer is an identifier: the AS's own URL, in tokens and metadata
    expect(decodePart(pop.agentToken, 1)).toMatchObject({ iss: world.target.issuer, aud: links.get('rs-1').url })
    const res = await world.call(pop.agent, pop.agentToken, 'GET', ticket('LINK'))
    expect(res.status).toBe(200)
    expect(await world.recordFor(res.traceId)).toMatchObject({ decision: 'allow', resource: { aud: links.get('rs-1').url } })
  })

  test('processes: every component can be killed, paused, resumed and restarted; pids() names each running one', () => {
    expect(chaos.processes).toEqual(['as', 'rs-1/0', 'rs-1/1', 'rs-2/0', 'rs-2/1', 'rs-1/front', 'rs-2/front', 'replay-store', 'evidence-sink'])
    expect(chaos.pids().sort()).toEqual(world.target.components.map((c) => c.pid!).sort())
    expect(() => chaos.kill('nope')).toThrow(/no component "nope"/)
  })
})

describe('JWKS unreachable (the jwks link)', () => {
  test('a blackholed JWKS: an unknown kid is 503 system.jwks_unavailable within the fetch bound; a cached kid keeps working; healed, the kid is 401 token.kid_unknown', async () => {
    const forged = await forgedToken(pop.agentToken)
    const attacker = { clientId: pop.agent.clientId, key: forged.key, tenant: TENANT }
    links.get('jwks').set('hold')
    await new Promise((r) => setTimeout(r, 1_100)) // past the refetch interval: the next unknown kid fetches
    const t0 = Date.now()
    const res = await world.call(attacker, forged.token, 'GET', ticket('JW-1'), { via: replica('rs-1/0') })
    expect(Date.now() - t0).toBeLessThan(2_500)
    const record = await failsClosed(res, 'system.jwks_unavailable')
    expect(record).toMatchObject({ principal: { sub: null, type: 'anonymous' }, detail: { kid: forged.kid, node: 'rs-1/0' } })
    // the key of a genuine token is cached: that is not failing open, the key is known
    expect((await callAt('rs-1/0', 'JW-2')).status).toBe(200)
    links.get('jwks').set('pass')
    await new Promise((r) => setTimeout(r, 1_100))
    const healed = await world.call(attacker, forged.token, 'GET', ticket('JW-3'), { via: replica('rs-1/0') })
    expect(healed.status).toBe(401)
    expect(await world.recordFor(healed.traceId)).toMatchObject({ decision: 'deny', reason: 'token.kid_unknown' })
  })
})

describe('replay store unreachable or slow', () => {
  test('paused (SIGSTOP): 503 system.replay_store_unavailable within the 1 s bound, with a record; resumed: served again', async () => {
    await chaos.pause('replay-store')
    try {
      const t0 = Date.now()
      const res = await world.call(pop.agent, pop.agentToken, 'GET', ticket('RS-1'))
      expect(Date.now() - t0).toBeLessThan(2_500)
      const record = await failsClosed(res, 'system.replay_store_unavailable')
      expect(record).toMatchObject({ principal: { sub: USER.sub }, actors: [pop.agent.clientId] })
    } finally {
      await chaos.resume('replay-store')
    }
    expect((await world.call(pop.agent, pop.agentToken, 'GET', ticket('RS-2'))).status).toBe(200)
  })

  test('latency of 3 s on the replay-store link is bounded: 503 system.replay_store_unavailable after the 1 s bound, never a wait for the store', async () => {
    links.get('replay-store').set('pass', 3_000)
    try {
      const t0 = Date.now()
      const res = await world.call(pop.agent, pop.agentToken, 'GET', ticket('RS-3'))
      expect(Date.now() - t0).toBeLessThan(2_500)
      await failsClosed(res, 'system.replay_store_unavailable')
    } finally {
      links.get('replay-store').set('pass')
    }
    expect((await world.call(pop.agent, pop.agentToken, 'GET', ticket('RS-4'))).status).toBe(200)
  })

  test('restart: same port, new pid, and the store starts EMPTY (documented): a proof used before the restart passes once more after it, then is a replay again', async () => {
    const url = world.component('replay-store').url
    const pid = world.component('replay-store').pid
    const proof = await world.proofFor(pop.agent, 'GET', ticket('RS-5'), pop.agentToken)
    expect((await world.call(pop.agent, pop.agentToken, 'GET', ticket('RS-5'), { proof })).status).toBe(200)
    expect((await world.call(pop.agent, pop.agentToken, 'GET', ticket('RS-5'), { proof })).status).toBe(401)
    await chaos.restart('replay-store')
    expect(world.component('replay-store').url).toBe(url)
    expect(world.component('replay-store').pid).not.toBe(pid)
    expect(alive(pid!)).toBe(false)
    expect((await world.call(pop.agent, pop.agentToken, 'GET', ticket('RS-5'), { proof })).status).toBe(200)
    const again = await world.call(pop.agent, pop.agentToken, 'GET', ticket('RS-5'), { proof })
    expect(again.status).toBe(401)
    expect(await world.recordFor(again.traceId)).toMatchObject({ reason: 'dpop.jti_replay' })
  })
})

describe('evidence sink down', () => {
  test(`killed: a writer buffers (bound ${BUFFER}) and serves, then refuses 503 system.evidence_unavailable; restarted on its port, the sink reloads its log and takes the buffer in order, chain intact, plus one gap record for the refusals`, async () => {
    const sinkUrl = world.component('evidence-sink').url
    const before = await ofComponent('rs-1/0')
    await chaos.kill('evidence-sink')
    const served: HttpResult[] = []
    const refused: HttpResult[] = []
    for (let i = 0; i < BUFFER + 3; i++) {
      const res = await callAt('rs-1/0', `EV-${i}`)
      ;(res.status === 200 ? served : refused).push(res)
    }
    expect(served.length).toBeGreaterThan(0)
    expect(refused.length).toBeGreaterThan(0)
    for (const r of refused) expect(r.body).toMatchObject({ error: 'temporarily_unavailable', reason: 'system.evidence_unavailable' })
    // as if the kill had hit it in the middle of an append: a torn, never acknowledged last line
    appendFileSync(join(world.dataDir, 'evidence.jsonl'), '{"v":1,"id":"ev_torn","comp')
    await chaos.restart('evidence-sink')
    expect(world.component('evidence-sink').url).toBe(sinkUrl)
    // the log is reloaded (the torn line cut off), then the buffered records arrive
    await until('the buffered records', async () => (await world.recordsFor(served.at(-1)!.traceId, 1, 0)).length > 0, 5_000)
    const chain = await ofComponent('rs-1/0')
    const lines = readFileSync(join(world.dataDir, 'evidence.jsonl'), 'utf8').split('\n').filter((l) => l !== '')
    expect(lines.map((l) => (JSON.parse(l) as EvidenceRecord).id)).not.toContain('ev_torn')
    expect(chain.slice(0, before.length)).toEqual(before)
    expect(checkChain('rs-1/0', chain).problem).toBeNull()
    const traces = chain.map((r) => r.correlation.trace_id)
    const positions = served.map((s) => traces.indexOf(s.traceId))
    expect(positions.every((p) => p >= before.length)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
    await until('the refusals summed up', async () => (await ofComponent('rs-1/0')).some((r) => r.reason === 'system.evidence_gap'), 3_000)
    const gap = (await ofComponent('rs-1/0')).find((r) => r.reason === 'system.evidence_gap')!
    expect(gap).toMatchObject({ decision: 'deny', status: 503, resource: { aud: world.rs.audience }, detail: { cause: 'buffer_full', refused_count: refused.length, trace_ids: refused.map((r) => r.traceId) } })
    expect((await callAt('rs-1/0', 'EV-after')).status).toBe(200)
  })

  test('a writer killed with undelivered records: its restarted successor chains a system.evidence_gap record from the sink head (lost_from), and the chain verifies', async () => {
    await world.recordFor((await callAt('rs-1/1', 'GAP-0')).traceId)
    const headBefore = (await heads())['rs-1/1']
    expect(headBefore).toBeTruthy()
    await chaos.kill('evidence-sink')
    const lost = [await callAt('rs-1/1', 'GAP-1'), await callAt('rs-1/1', 'GAP-2')]
    expect(lost.map((r) => r.status)).toEqual([200, 200])
    await chaos.kill('rs-1/1') // two records die with its buffer
    await chaos.restart('evidence-sink')
    await chaos.restart('rs-1/1')
    await until('the gap record', async () => (await ofComponent('rs-1/1')).some((r) => r.detail?.cause === 'writer_restarted'), 3_000)
    const chain = await ofComponent('rs-1/1')
    const gap = chain.find((r) => r.detail?.cause === 'writer_restarted')!
    expect(gap).toMatchObject({ decision: 'deny', reason: 'system.evidence_gap', status: 0, prev: headBefore, resource: { aud: world.rs.audience }, detail: { lost_from: headBefore } })
    expect(checkChain('rs-1/1', chain).problem).toBeNull()
    for (const r of lost) expect(chain.some((x) => x.correlation.trace_id === r.traceId)).toBe(false)
    // the restarted replica serves again, behind its front too
    expect((await callAt('rs-1/1', 'GAP-3')).status).toBe(200)
  })
})

describe('authorization server killed, paused, restarted', () => {
  test('paused: a token request hears nothing; resumed: it is answered', async () => {
    await chaos.pause('as')
    try {
      const hung = await request(`${world.target.issuer}/.well-known/oauth-authorization-server`, { headersTimeout: 300 }).then(() => 'answered', () => 'no answer')
      expect(hung).toBe('no answer')
    } finally {
      await chaos.resume('as')
    }
    const a = await world.exchange(pop.agent, await world.idp.assertion(USER, world.target.issuer), TYPE_JWT, 'tickets:read')
    expect(a.status).toBe(200)
  })

  test('killed: token requests are refused (no fail-open possible); cached keys keep working; restarted on its port it keeps clients, keys and revocations (a restarted replica re-pulls them)', async () => {
    const revoked = await world.exchange(pop.agent, await world.idp.assertion(USER, world.target.issuer), TYPE_JWT, 'tickets:read')
    expect(revoked.status).toBe(200)
    expect((await revoke(world, pop.agent, revoked.body.access_token as string)).status).toBe(200)
    const issuer = world.target.issuer
    await chaos.kill('as')
    await expect(world.exchange(pop.agent, await world.idp.assertion(USER, issuer), TYPE_JWT)).rejects.toThrow(/ECONNREFUSED|other side closed|socket/)
    expect((await world.call(pop.agent, pop.agentToken, 'GET', ticket('AS-1'))).status).toBe(200)
    await chaos.restart('as')
    const meta = await world.http('GET', `${issuer}/.well-known/oauth-authorization-server`, {})
    expect(meta.body.issuer).toBe(issuer)
    // the client registered before the kill, and the same signing key
    const fresh = await world.exchange(pop.agent, await world.idp.assertion(USER, issuer), TYPE_JWT, 'tickets:read')
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(200)
    expect(decodePart(fresh.body.access_token as string, 0).kid).toBe(decodePart(pop.agentToken, 0).kid)
    expect((await world.call(pop.agent, fresh.body.access_token as string, 'GET', ticket('AS-2'))).status).toBe(200)
    // a replica restarted now pulls the lifecycle snapshot from the restarted AS: the revocation holds
    await chaos.restart('rs-1/0')
    // its internal listener is back on the port the AS and the admin client know it by
    expect((await request(`${world.component('rs-1/0').internalUrl}/health`)).statusCode).toBe(200)
    expect(await world.target.admin!.refundCount('0'.repeat(32))).toBe(0)
    const dead = await world.call(pop.agent, revoked.body.access_token as string, 'GET', ticket('AS-3'), { via: replica('rs-1/0') })
    expect(dead.status).toBe(401)
    expect(await world.recordFor(dead.traceId)).toMatchObject({ reason: 'token.revoked' })
    // and the revoked token is still refused as a subject token by the AS itself
    expect((await world.exchange(pop.sub, revoked.body.access_token as string, 'urn:ietf:params:oauth:token-type:access_token', 'tickets:read')).status).toBe(400)
  })
})

describe('fronts and key rotation', () => {
  test('a front restarted on its port spreads calls over its replicas again', async () => {
    const front = world.component('rs-2/front')
    const { url, pid } = front
    await chaos.restart('rs-2/front')
    expect(world.component('rs-2/front').url).toBe(url)
    expect(world.component('rs-2/front').pid).not.toBe(pid)
    const kb = await world.exchange(pop.agent, pop.assertion, TYPE_JWT, 'tickets:read', world.rs2.audience)
    const res = await world.call(pop.agent, kb.body.access_token as string, 'GET', `/t/${TENANT}/kb/K-1`, { rs: world.rs2 })
    expect(res.status).toBe(200)
  })

  test('a kid rotated mid-run works at once: at every replica, and at a replica that never heard of the rotation (it fetches the JWKS on the unknown kid); old tokens keep working', async () => {
    const outsider = await startLocalReplica(world, [], { node: 'rs-1/outsider' })
    try {
      const { kid } = await world.target.admin!.rotateSigningKey()
      const rotated = await world.exchange(pop.agent, await world.idp.assertion(USER, world.target.issuer), TYPE_JWT, 'tickets:read')
      expect(decodePart(rotated.body.access_token as string, 0).kid).toBe(kid)
      const token = rotated.body.access_token as string
      for (const node of ['rs-1/0', 'rs-1/1']) {
        expect((await world.call(pop.agent, token, 'GET', ticket(`ROT-${node.replace('/', '-')}`), { via: replica(node) })).status).toBe(200)
      }
      expect((await world.call(pop.agent, token, 'GET', ticket('ROT-out'), { via: outsider.url })).status).toBe(200)
      expect((await world.call(pop.agent, pop.agentToken, 'GET', ticket('ROT-old'))).status).toBe(200)
    } finally {
      await outsider.close()
    }
  })
})

describe('stop()', () => {
  test('continues paused components before it ends them: no process is left, paused ones included', async () => {
    await chaos.pause('rs-2/1')
    await chaos.pause('evidence-sink')
    const pids = chaos.pids()
    expect(pids.length).toBe(9)
    const t0 = Date.now()
    await world.target.stop()
    expect(Date.now() - t0).toBeLessThan(8_000)
    await until('every process gone', () => pids.every((p) => !alive(p)), 3_000)
  })
})
