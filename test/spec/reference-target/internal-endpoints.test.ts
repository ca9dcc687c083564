/**
 * A replica's internal endpoints (the refund ledger read, the AS's lifecycle push) live on a second,
 * loopback-only listener; the public listener, the one the round-robin front forwards to, does not
 * route them. Behind an L4 front every caller's address is loopback, so before this split a
 * loopback check there let any agent read refund counts through the public origin.
 *
 * The correct side is the started target's front; the flawed side (`internal-endpoints-public`) is
 * a replica built in this process by the replica process's own factory (helpers/local-replica.ts).
 */
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startLocalReplica, type LocalServer } from './helpers/local-replica.ts'
import { populate, TENANT, USER, type Population } from './helpers/population.ts'
import { World, type HttpResult } from './helpers/world.ts'

let world: World
let pop: Population
let flawed: LocalServer & { node: string; internalUrl: string }

const PUSH_BODY = { events: [] }

beforeAll(async () => {
  world = await World.start()
  pop = await populate(world)
  flawed = await startLocalReplica(world, ['internal-endpoints-public'], { node: 'rs-1/local-internal-public' })
})
afterAll(async () => {
  await flawed?.close()
  await world?.stop()
})

/** 404 not_found, and a policy.not_routed deny record naming the agent's principal and actor chain. */
async function notRouted(res: HttpResult, method: string, path: string): Promise<void> {
  expect(res.status, JSON.stringify(res.body)).toBe(404)
  expect(res.body.error).toBe('not_found')
  expect(res.headers['www-authenticate']).toBeUndefined()
  const r = await world.recordFor(res.traceId)
  expect(r).toMatchObject({
    decision: 'deny',
    status: 404,
    reason: 'policy.not_routed',
    error: 'not_found',
    principal: { sub: USER.sub, type: 'user' },
    actors: [pop.agent.clientId],
    client_id: pop.agent.clientId,
    resource: { aud: world.rs.audience, method, path },
    policy: { rule: 'public-routes-only' },
  })
  // not a tool call: no tool, no tenant, no scope it needed
  expect(r.resource.tool).toBeUndefined()
  expect(r.resource.tenant).toBeUndefined()
  expect(r.scope?.required).toEqual([])
}

async function refundCountAt(base: string, traceId: string): Promise<{ status: number; count?: number }> {
  const res = await request(`${base}/admin/refunds?trace_id=${traceId}`)
  const body = (await res.body.json()) as { count?: number }
  return { status: res.statusCode, count: body.count }
}

describe('escalate.internal-endpoint.admin-read', () => {
  test('correct target: an agent with its valid token and proof reads GET /admin/refunds through the front → 404 not_found, policy.not_routed record naming it', async () => {
    await notRouted(await world.call(pop.agent, pop.agentToken, 'GET', '/admin/refunds'), 'GET', '/admin/refunds')
  })

  test('flaw internal-endpoints-public: the same call at the public listener is served 200 with the ledger count', async () => {
    const res = await world.call(pop.agent, pop.agentToken, 'GET', '/admin/refunds', { via: flawed.url })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(typeof res.body.count).toBe('number')
  })
})

describe('escalate.internal-endpoint.peer-push', () => {
  test('correct target: an agent POSTs the lifecycle push through the front → 404 not_found, policy.not_routed record naming it', async () => {
    await notRouted(await world.call(pop.agent, pop.agentToken, 'POST', '/internal/lifecycle', { body: PUSH_BODY }), 'POST', '/internal/lifecycle')
  })

  test('flaw internal-endpoints-public: the push is routed at the public listener and held by the shared secret alone: 401, and no evidence record', async () => {
    const res = await world.call(pop.agent, pop.agentToken, 'POST', '/internal/lifecycle', { body: PUSH_BODY, via: flawed.url })
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
    expect(await world.settledRecordsFor(res.traceId)).toEqual([])
  })
})

describe('any path the public listener does not route', () => {
  test('is refused like the internal ones, and a long one is recorded by its first 256 characters only', async () => {
    const path = `/admin/${'x'.repeat(2_000)}`
    const res = await world.call(pop.agent, pop.agentToken, 'GET', path)
    expect(res.status).toBe(404)
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({ decision: 'deny', reason: 'policy.not_routed', principal: { sub: USER.sub } })
    expect(r.resource.path).toBe(path.slice(0, 256))
  })

  test('a proof for another URI is refused as such (401 invalid_dpop_proof), before the path is refused', async () => {
    const proof = await world.proofFor(pop.agent, 'GET', `/t/${TENANT}/tickets/T-1`, pop.agentToken)
    const res = await world.call(pop.agent, pop.agentToken, 'GET', '/admin/refunds', { proof })
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_dpop_proof')
    expect((await world.recordFor(res.traceId)).reason).toBe('dpop.htu_mismatch')
  })
})

describe('the refund ledger: internal listener only', () => {
  test('a refund issued through the front is counted on the replicas\' internal listeners, and by the admin client', async () => {
    const refund = await world.call(pop.agent, pop.agentToken, 'POST', `/t/${TENANT}/refunds`, { body: { ticket_id: 'T-INT', amount: 7 } })
    expect(refund.status, JSON.stringify(refund.body)).toBe(200)
    const counts = await Promise.all(world.replicas('rs-1').map((r) => refundCountAt(r.internalUrl!, refund.traceId)))
    expect(counts.every((c) => c.status === 200)).toBe(true)
    expect(counts.reduce((n, c) => n + c.count!, 0)).toBe(1)
    expect(await world.target.admin!.refundCount(refund.traceId)).toBe(1)
  })

  test('the count is not readable through the front, with or without credentials, nor at a replica\'s public listener', async () => {
    const refund = await world.call(pop.agent, pop.agentToken, 'POST', `/t/${TENANT}/refunds`, { body: { ticket_id: 'T-INT2', amount: 7 } })
    expect(refund.status).toBe(200)
    const anonymous = await world.http('GET', `${world.rs.origin}/admin/refunds?trace_id=${refund.traceId}`, {})
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.count).toBeUndefined()
    expect((await world.recordFor(anonymous.traceId)).reason).toBe('auth.missing')
    for (const r of world.replicas('rs-1')) {
      const direct = await refundCountAt(r.url, refund.traceId)
      expect(direct.status, r.name).toBe(401)
      expect(direct.count).toBeUndefined()
    }
  })

  test('every replica has an internal listener of its own on 127.0.0.1, none of them the front\'s upstream', async () => {
    for (const rsId of ['rs-1', 'rs-2']) {
      for (const r of world.replicas(rsId)) {
        const internal = new URL(r.internalUrl!)
        expect(internal.hostname, r.name).toBe('127.0.0.1')
        expect(internal.port, r.name).not.toBe(new URL(r.url).port)
        expect((await request(`${r.internalUrl}/health`)).statusCode).toBe(200)
      }
    }
    expect(world.target.resources.map((rs) => rs.internalPaths?.map((p) => `${p.role} ${p.method} ${p.path}`))).toEqual([
      ['admin GET /admin/refunds', 'peer POST /internal/lifecycle'],
      ['admin GET /admin/refunds', 'peer POST /internal/lifecycle'],
    ])
  })
})
