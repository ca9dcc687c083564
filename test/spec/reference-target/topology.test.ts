/**
 * Reference target topology (docs/architecture.md): two resource servers with distinct audiences, each running
 * as replicas behind a round-robin TCP front whose URL is the audience and the DPoP origin, and one
 * replay store, its own process, shared by every replica over the network (so it can fail).
 */
import { existsSync, readFileSync } from 'node:fs'
import { Client } from 'undici'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHmac } from 'node:crypto'
import { createServer as createTcpServer, type AddressInfo } from 'node:net'
import { RoundRobinProxy } from '../../../targets/reference/front/round-robin-proxy.ts'
import { ath, dpopProof } from './helpers/client-crypto.ts'
import { decodePart, TestIssuer } from './helpers/forge.ts'
import { serve, startLocalReplica } from './helpers/local-replica.ts'
import { populate, TENANT, USER, type Population } from './helpers/population.ts'
import { TYPE_JWT, World, type HttpResult } from './helpers/world.ts'

let world: World
let pop: Population
/** the agent acting for USER at rs-2 */
let kbToken: string
/** a whole target with the replay-cache-per-replica flaw, started alongside */
let perReplica: Promise<World>

beforeAll(async () => {
  perReplica = World.start(['replay-cache-per-replica'])
  perReplica.catch(() => {}) // awaited (and its failure reported) by the test that uses it
  world = await World.start()
  pop = await populate(world)
  const kb = await world.exchange(pop.agent, pop.assertion, TYPE_JWT, 'tickets:read', world.rs2.audience)
  expect(kb.status, JSON.stringify(kb.body)).toBe(200)
  kbToken = kb.body.access_token as string
})
afterAll(async () => {
  await Promise.allSettled([world?.stop(), perReplica?.then((w) => w.stop())])
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

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

/** The token with another protected header (its signature then no longer matches, which is beside the point). */
function reHeader(token: string, header: Record<string, unknown>): string {
  const [, p, s] = token.split('.')
  return `${b64(header)}.${p}.${s}`
}

/** RS→HS confusion: the same claims MACed with HS256, the key being the AS's published public key. */
function hmacToken(token: string, key: string): string {
  const input = `${b64({ ...decodePart(token, 0), alg: 'HS256' })}.${token.split('.')[1]}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

/** Sends `send(dispatcher)` n times in parallel, each over its own new connection to the front. */
async function overSeparateConnections(origin: string, n: number, send: (dispatcher: Client) => Promise<HttpResult>): Promise<HttpResult[]> {
  const clients = Array.from({ length: n }, () => new Client(origin, { pipelining: 0 }))
  try {
    return await Promise.all(clients.map((c) => send(c)))
  } finally {
    await Promise.all(clients.map((c) => c.close()))
  }
}

describe('two resource servers with distinct audiences (RFC 9068 §4, RFC 8707 §2)', () => {
  test('rs-1 and rs-2: audience = origin = the front URL; capabilities.replicas = 2; metadata names the audience', async () => {
    const [rs1, rs2] = world.target.resources
    expect(rs1.audience).not.toBe(rs2.audience)
    expect(rs1.origin).toBe(world.component('rs-1/front').url)
    expect(rs2.origin).toBe(world.component('rs-2/front').url)
    expect(world.target.capabilities.replicas).toBe(2)
    expect(rs2.tools).toEqual([{ name: 'kb.read', method: 'GET', path: '/t/{tenant}/kb/{id}', scope: 'tickets:read', writes: false }])
    const prm = await world.http('GET', `${rs2.origin}/.well-known/oauth-protected-resource`, {})
    expect(prm.body).toMatchObject({ resource: rs2.audience, scopes_supported: ['tickets:read'] })
  })

  test('kb.read at rs-2 with an rs-2 token → 200 and an allow record from an rs-2 replica naming the rs-2 audience', async () => {
    const path = `/t/${TENANT}/kb/KB-1`
    const res = await world.call(pop.agent, kbToken, 'GET', path, { rs: world.rs2 })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ id: 'KB-1', tenant: TENANT })
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({
      component: expect.stringMatching(/^rs-2\/\d$/), decision: 'allow', principal: { sub: USER.sub, type: 'user' }, actors: [pop.agent.clientId],
      resource: { aud: world.rs2.audience, tool: 'kb.read', path, tenant: TENANT },
    })
  })

  test('replay.cross-audience: an rs-1 token at rs-2 → 401 DPoP invalid_token; deny record token.audience with aud and expected', async () => {
    const res = await world.call(pop.agent, pop.agentToken, 'GET', `/t/${TENANT}/kb/KB-2`, { rs: world.rs2 })
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
    expect(res.headers['www-authenticate']).toBe('DPoP error="invalid_token", algs="ES256"')
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({
      component: expect.stringMatching(/^rs-2\/\d$/), decision: 'deny', reason: 'token.audience', status: 401, error: 'invalid_token',
      // the signature verified, so the refusal is attributed to the token's principal and actors
      principal: { sub: USER.sub }, actors: [pop.agent.clientId],
      detail: { aud: world.rs.audience, expected: world.rs2.audience },
      correlation: { token_hash: ath(pop.agentToken) },
    })
  })

  test('an rs-2 token at rs-1 is refused the same way', async () => {
    const res = await world.call(pop.agent, kbToken, 'GET', `/t/${TENANT}/tickets/T-1`)
    expect(res.status).toBe(401)
    expect(await world.recordFor(res.traceId)).toMatchObject({ reason: 'token.audience', detail: { aud: world.rs2.audience, expected: world.rs.audience } })
  })
})

describe('round-robin front', () => {
  test('calls over separate connections spread over the replicas: the records name rs-1/0 and rs-1/1, one hash chain each', async () => {
    const results = await overSeparateConnections(world.rs.origin, 4, (dispatcher) => world.call(pop.sub, pop.subToken, 'GET', `/t/${TENANT}/tickets/RR-1`, { dispatcher }))
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200])
    const records = await Promise.all(results.map((r) => world.recordFor(r.traceId)))
    expect(new Set(records.map((r) => r.component))).toEqual(new Set(['rs-1/0', 'rs-1/1']))
  })

  test('requests on one keep-alive connection stay on one replica', async () => {
    const client = new Client(world.rs.origin)
    try {
      const results: HttpResult[] = []
      for (let i = 0; i < 3; i++) results.push(await world.call(pop.sub, pop.subToken, 'GET', `/t/${TENANT}/tickets/KA-${i}`, { dispatcher: client }))
      const records = await Promise.all(results.map((r) => world.recordFor(r.traceId)))
      expect(new Set(records.map((r) => r.component)).size).toBe(1)
    } finally {
      await client.close()
    }
  })

  test('a replica that refuses connections is skipped: every call lands on the live one', async () => {
    const live = await serve((_req, res) => res.writeHead(200).end('live'))
    const dead = await serve((_req, res) => res.end())
    await dead.close() // its port now refuses connections
    const proxy = new RoundRobinProxy()
    proxy.setUpstreams([dead.url, live.url])
    const front = createTcpServer((s) => proxy.handle(s))
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}/`
      const bodies = await Promise.all([1, 2, 3, 4].map(async () => {
        const client = new Client(url)
        const res = await client.request({ path: '/', method: 'GET' })
        const text = await res.body.text()
        await client.close()
        return text
      }))
      expect(bodies).toEqual(['live', 'live', 'live', 'live'])
    } finally {
      await new Promise((resolve) => front.close(resolve))
      await live.close()
    }
  })

  test('duplicate headers pass the front untouched: two DPoP headers → 401 invalid_dpop_proof (dpop.multiple)', async () => {
    const path = `/t/${TENANT}/tickets/DUP`
    const proofs = [await world.proofFor(pop.agent, 'GET', path, pop.agentToken), await world.proofFor(pop.agent, 'GET', path, pop.agentToken)]
    const res = await world.call(pop.agent, pop.agentToken, 'GET', path, { proof: proofs })
    expect(res.status).toBe(401)
    expect((await world.recordFor(res.traceId)).reason).toBe('dpop.multiple')
  })
})

describe('replay.dpop-jti-reuse.parallel (RFC 9449 §11.1: one replay store for all replicas)', () => {
  test('6 parallel sends of one never-used proof over separate connections → exactly one 200; five 401 invalid_dpop_proof (dpop.jti_replay) from both replicas', async () => {
    const path = `/t/${TENANT}/tickets/PAR-1`
    const proof = await world.proofFor(pop.agent, 'GET', path, pop.agentToken)
    const results = await overSeparateConnections(world.rs.origin, 6, (dispatcher) => world.call(pop.agent, pop.agentToken, 'GET', path, { proof, dispatcher }))
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    const refused = results.filter((r) => r.status !== 200)
    expect(refused.map((r) => [r.status, r.body.error])).toEqual(Array(5).fill([401, 'invalid_dpop_proof']))
    const records = await Promise.all(refused.map((r) => world.recordFor(r.traceId)))
    for (const r of records) {
      expect(r).toMatchObject({ decision: 'deny', reason: 'dpop.jti_replay', principal: { sub: USER.sub }, actors: [pop.agent.clientId] })
      expect(r.detail?.node).toBe(r.component)
    }
    expect(new Set(records.map((r) => r.detail?.node))).toEqual(new Set(['rs-1/0', 'rs-1/1']))
  })

  test('flaw replay-cache-per-replica: the same six sends are served more than once (one per replica)', async () => {
    const flawed = await perReplica
    const p = await populate(flawed)
    const path = `/t/${TENANT}/tickets/PAR-2`
    const proof = await flawed.proofFor(p.agent, 'GET', path, p.agentToken)
    const results = await overSeparateConnections(flawed.rs.origin, 6, (dispatcher) => flawed.call(p.agent, p.agentToken, 'GET', path, { proof, dispatcher }))
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(1)
    expect(results.every((r) => r.status === 200 || r.body.error === 'invalid_dpop_proof')).toBe(true)
  })
})

describe('resource-server refusals the attack cases rely on (through the front)', () => {
  const path = `/t/${TENANT}/tickets/W-1`

  test('replay.dpop-htu-normalise (control): query on the request URI only, upper-case scheme and host → 200', async () => {
    const upper = world.rs.origin.replace('http://127.0.0.1', 'HTTP://127.0.0.1')
    const proof = await dpopProof(pop.agent.key, { htm: 'GET', htu: `${upper}${path}`, accessToken: pop.agentToken })
    expect((await world.call(pop.agent, pop.agentToken, 'GET', `${path}?q=1&r=2`, { proof })).status).toBe(200)
  })

  test('replay.dpop-htu-normalise (control): an explicit default port (:80) equals none (RFC 3986 §6.2.3)', async () => {
    // The fronts listen on ephemeral ports, so this needs an origin without a port: a replica whose
    // configured public origin is http://127.0.0.1 (htu is checked against that, never the Host header).
    const replica = await startLocalReplica(world, [], { origin: 'http://127.0.0.1', node: 'rs-1/local-port80' })
    try {
      const proof = await dpopProof(pop.agent.key, { htm: 'GET', htu: `http://127.0.0.1:80${path}`, accessToken: pop.agentToken })
      expect((await world.call(pop.agent, pop.agentToken, 'GET', path, { proof, via: replica.url })).status).toBe(200)
    } finally {
      await replica.close()
    }
  })

  test('replay.dual-scheme: Authorization Bearer and DPoP at once → 400 invalid_request (dpop.dual_scheme), attributed to the token', async () => {
    const proof = await world.proofFor(pop.agent, 'GET', path, pop.agentToken)
    const res = await world.http('GET', `${world.rs.origin}${path}`, { authorization: [`Bearer ${pop.agentToken}`, `DPoP ${pop.agentToken}`], dpop: proof })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await world.recordFor(res.traceId)).toMatchObject({ reason: 'dpop.dual_scheme', principal: { sub: USER.sub }, detail: { presented_schemes: ['bearer', 'dpop'] } })
  })

  test('replay.dpop-no-proof: Authorization DPoP without a DPoP header → 401 invalid_dpop_proof (dpop.missing)', async () => {
    const res = await world.call(pop.agent, pop.agentToken, 'GET', path, { proof: null })
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_dpop_proof')
    expect(await world.recordFor(res.traceId)).toMatchObject({ reason: 'dpop.missing', principal: { sub: USER.sub } })
  })

  test('replay.dpop-malformed: a proof whose jwk carries the private d → 401 invalid_dpop_proof (dpop.jwk_private)', async () => {
    const leaky = { ...pop.agent.key, publicJwk: { ...pop.agent.key.publicJwk, d: 'A'.repeat(43) } }
    const proof = await dpopProof(leaky, { htm: 'GET', htu: `${world.rs.origin}${path}`, accessToken: pop.agentToken })
    const res = await world.call(pop.agent, pop.agentToken, 'GET', path, { proof })
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_dpop_proof')
    expect((await world.recordFor(res.traceId)).reason).toBe('dpop.jwk_private')
  })

  test('escalate.forged-jwt: jku, x5u and inline jwk headers, HS256 keyed with the AS public key, kid traversal, foreign typ and iss → 401 invalid_token (token.*); jku/x5u never fetched', async () => {
    let fetched = 0
    const lure = await serve((_req, res) => (fetched++, res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}')))
    const issuer = await TestIssuer.start()
    try {
      const header = decodePart(pop.agentToken, 0)
      const asJwks = await world.http('GET', `${world.target.issuer}/jwks`, {})
      const cases: [string, string, Record<string, unknown>][] = [
        ['jku', reHeader(pop.agentToken, { ...header, jku: `${lure.url}/jwks.json` }), { header: 'jku', blocked_url: `${lure.url}/jwks.json` }],
        ['x5u', reHeader(pop.agentToken, { ...header, x5u: `${lure.url}/cert.pem` }), { header: 'x5u', blocked_url: `${lure.url}/cert.pem` }],
        ['jwk', reHeader(pop.agentToken, { ...header, jwk: pop.agent.key.publicJwk }), { header: 'jwk' }],
        ['alg', hmacToken(pop.agentToken, JSON.stringify(asJwks.body)), { alg: 'HS256' }],
        ['kid_invalid', reHeader(pop.agentToken, { ...header, kid: '../../../../dev/null' }), { kid: '../../../../dev/null' }],
        ['typ', reHeader(pop.agentToken, { ...header, typ: 'JWT' }), { received_typ: 'JWT' }],
        ['issuer', await issuer.sign({ sub: USER.sub, aud: world.rs.audience, client_id: pop.agent.clientId, exp: Math.floor(Date.now() / 1000) + 60 }), { iss: issuer.issuer }],
      ]
      for (const [rule, token, detail] of cases) {
        const res = await world.call(pop.agent, token, 'GET', path)
        expect([rule, res.status, res.body.error]).toEqual([rule, 401, 'invalid_token'])
        const r = await world.recordFor(res.traceId)
        expect(r.reason, rule).toBe(rule === 'jku' || rule === 'x5u' || rule === 'jwk' ? 'token.key_header' : `token.${rule}`)
        expect(r.detail, rule).toMatchObject({ alg: expect.anything(), ...detail })
        expect(r.principal.type).toBe('anonymous')
      }
      expect(fetched).toBe(0)
    } finally {
      await lure.close()
      await issuer.close()
    }
  })
})

describe('replay store outage: fail closed (ASI08)', () => {
  test('replay store down → 503 temporarily_unavailable; deny record system.replay_store_unavailable from the replica', async () => {
    const store = world.component('replay-store')
    process.kill(store.pid!, 'SIGKILL')
    const deadline = Date.now() + 5_000
    while (alive(store.pid!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const path = `/t/${TENANT}/tickets/DOWN`
    const res = await world.call(pop.agent, pop.agentToken, 'GET', path, { proof: await dpopProof(pop.agent.key, { htm: 'GET', htu: `${world.rs.origin}${path}`, accessToken: pop.agentToken }) })
    expect(res.status).toBe(503)
    expect(res.body.error).toBe('temporarily_unavailable')
    expect(res.headers['retry-after']).toBe('1')
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({
      decision: 'deny', status: 503, reason: 'system.replay_store_unavailable', error: 'temporarily_unavailable',
      principal: { sub: USER.sub }, policy: { rule: 'fail-closed' },
    })
    expect(r.detail?.node).toBe(r.component)
  })
})
