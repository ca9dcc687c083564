/**
 * Lifecycle propagation in process: the authorization server's publisher and the replicas' lifecycle
 * state (the two ends of POST /internal/lifecycle), without starting a target. publish() resolves
 * only once every replica answered; a replica that could not take an event is retried with the
 * whole snapshot until it does.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { describe, expect, test } from 'vitest'
import { LifecyclePublisher } from '../../../targets/reference/authorization-server/lifecycle-publisher.ts'
import type { AccessClaims } from '../../../targets/reference/resource-server/access-token-verifier.ts'
import { LifecycleState } from '../../../targets/reference/resource-server/lifecycle-state.ts'

const TENANT = 't_acme'

describe('propagation to every replica (AS publisher ↔ replica lifecycle state, in process)', () => {
  const claims = (jti: string, clientId: string, actors: string[] = []): AccessClaims => ({
    iss: 'https://as', sub: 'u', client_id: clientId, jti, exp: Math.floor(Date.now() / 1000) + 60, nbf: null,
    scope: ['tickets:read'], tenant: TENANT, jkt: 'k', principalType: 'user', actors,
  })
  const listen = (server: Server, port = 0): Promise<string> =>
    new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)))

  test('publish resolves once every replica took the event; a replica that is down is reported (→ 503) and gets the snapshot when it is back', async () => {
    const secret = randomBytes(32).toString('base64url')
    let refreshed = 0
    const states = [0, 1, 2].map(() => new LifecycleState({ secret, refreshKeys: async () => void refreshed++ }))
    const servers = states.map((s) => createServer((req, res) => s.handle(req, res)))
    const publisher = new LifecyclePublisher({ secret, currentKid: () => 'kid-now', retryIntervalMs: 50, log: () => {} })
    try {
      const urls = await Promise.all(servers.slice(0, 2).map((s) => listen(s)))
      const downUrl = await listen(servers[2])
      await new Promise<void>((r) => servers[2].close(() => r()))
      expect((await publisher.setReplicas('rs-a', [urls[0]])).failed).toEqual([])
      expect((await publisher.setReplicas('rs-b', [urls[1], downUrl])).failed).toEqual([downUrl])

      const at = new Date().toISOString()
      const result = await publisher.publish({ type: 'token.revoked', jti: 'j-1', exp: Math.floor(Date.now() / 1000) + 60, at })
      expect(result).toEqual({ replicas: 3, failed: [downUrl], propagated: true })
      // the two live replicas hold it already, whichever resource server they belong to
      for (const s of states.slice(0, 2)) expect(s.check('x.y.z', claims('j-1', 'c'))).toMatchObject({ reason: 'token.revoked', detail: { revoked_at: at } })
      const off = await publisher.publish({ type: 'client.offboarded', client_id: 'agent_a', at })
      expect(off.failed).toEqual([downUrl])
      expect(states[0].check('x.y.z', claims('j-2', 'subagent_b', ['subagent_b', 'agent_a']))).toMatchObject({ reason: 'client.offboarded', detail: { offboarded_client: 'agent_a' } })

      // the replica comes back on the same address: the background retry pushes the snapshot
      await listen(servers[2], Number(new URL(downUrl).port))
      const deadline = Date.now() + 3_000
      while (states[2].sizes.offboarded === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      expect(states[2].sizes).toEqual({ revoked: 1, offboarded: 1, retired: 0 })
      expect(refreshed).toBeGreaterThanOrEqual(1) // the snapshot push carries key.added: a replica that missed a rotation refetches
    } finally {
      publisher.close()
      await Promise.all(servers.map((s) => new Promise((r) => (s.listening ? s.close(r) : r(undefined)))))
    }
  })

  test('a push without the lifecycle secret → 401, and nothing is applied', async () => {
    const state = new LifecycleState({ secret: randomBytes(32).toString('base64url') })
    const server = createServer((req, res) => state.handle(req, res))
    try {
      const url = await listen(server)
      const body = JSON.stringify({ events: [{ type: 'client.offboarded', client_id: 'agent_x', at: new Date().toISOString() }] })
      const res = await request(`${url}/internal/lifecycle`, { method: 'POST', headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }, body })
      await res.body.dump()
      expect(res.statusCode).toBe(401)
      expect(state.sizes.offboarded).toBe(0)
    } finally {
      await new Promise((r) => server.close(r))
    }
  })
})

describe('replica lifecycle state', () => {
  const claims: AccessClaims = {
    iss: 'https://as', sub: 'u', client_id: 'agent_a', jti: 'j-9', exp: Math.floor(Date.now() / 1000) + 60, nbf: null,
    scope: ['tickets:read'], tenant: TENANT, jkt: 'k', principalType: 'user', actors: ['agent_a'],
  }
  const tokenWithKid = (kid: string): string => `${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid })).toString('base64url')}.e30.sig`

  test('RFC 8725 §3.8: a retired kid is refused even though the token verified earlier (token.key_retired, detail kid)', async () => {
    const state = new LifecycleState({ secret: null })
    expect(state.check(tokenWithKid('k-old'), claims)).toBeNull()
    await state.apply([{ type: 'key.retired', kid: 'k-old', at: '2026-01-01T00:00:00.000Z' }])
    expect(state.check(tokenWithKid('k-old'), claims)).toEqual({ reason: 'token.key_retired', description: expect.any(String), detail: { kid: 'k-old', retired_at: '2026-01-01T00:00:00.000Z' } })
    expect(state.check(tokenWithKid('k-new'), claims)).toBeNull()
  })

  test('a malformed push is refused whole (400); key.added refetches the JWKS before 204, a failed refetch is 502', async () => {
    const secret = randomBytes(32).toString('base64url')
    let fail = false
    const state = new LifecycleState({ secret, refreshKeys: async () => { if (fail) throw new Error('jwks down') } })
    const server = createServer((req, res) => state.handle(req, res))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/internal/lifecycle`
    const push = async (events: unknown[]): Promise<number> => {
      const res = await request(url, { method: 'POST', headers: { authorization: `Bearer ${secret}` }, body: JSON.stringify({ events }) })
      await res.body.dump()
      return res.statusCode
    }
    try {
      const at = new Date().toISOString()
      expect(await push([{ type: 'client.offboarded', client_id: 'agent_a', at }, { type: 'token.revoked', jti: 'j' }])).toBe(400)
      expect(state.sizes.offboarded).toBe(0)
      expect(await push([{ type: 'key.added', kid: 'k2', at }])).toBe(204)
      fail = true
      expect(await push([{ type: 'key.added', kid: 'k3', at }])).toBe(502)
    } finally {
      await new Promise((r) => server.close(r))
    }
  })
})
