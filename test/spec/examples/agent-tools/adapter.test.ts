/**
 * The example AS's persistent adapter (targets/examples/agent-tools/as/sqlite-adapter.ts).
 * oidc-provider's default adapter is an LRU of ~1,000 entries shared by clients, registration
 * access tokens and replay entries; a deployment that registers thousands of agents needs a real
 * store. Why, shown on oidc-provider itself; the adapter contract; then 2,000 registrations after
 * which the first client still works.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import Provider from 'oidc-provider'
import { SqliteStore } from '../../../../targets/examples/agent-tools/as/sqlite-adapter.ts'
import { INITIAL_ACCESS_TOKEN, SUPPORT_SCOPES, startDeployment } from './helpers/deployment.ts'
import { exchange, newAgent, newKey, register, registrationRequest, TYPE_JWT } from './helpers/client.ts'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function store(): SqliteStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'agent-tools-adapter-'))
  dirs.push(dir)
  return new SqliteStore(path.join(dir, 'as.sqlite'))
}

test('why: with oidc-provider\'s default adapter the first of 2,000 registered clients is gone', async () => {
  const provider = new Provider('http://127.0.0.1', {
    features: { registration: { enabled: true }, clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
    clientDefaults: { grant_types: ['client_credentials'], response_types: [], token_endpoint_auth_method: 'private_key_jwt' },
  })
  const key = await newKey()
  const server = provider.listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  try {
    const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    const ids: string[] = []
    for (let i = 0; i < 2000; i++) {
      const res = await register(issuer, null, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...key.publicJwk, alg: 'ES256', use: 'sig' }] } })
      if (res.status !== 201) throw new Error(`registration ${i}: ${res.status} ${JSON.stringify(res.body)}`)
      ids.push(res.body.client_id as string)
    }
    expect(await provider.Client.find(ids[1999])).toBeDefined()
    expect(await provider.Client.find(ids[0])).toBeUndefined()
  } finally {
    server.close()
  }
}, 60_000)

describe('SqliteStore: the oidc-provider adapter contract', () => {
  test('upsert, find, consume, destroy; models are separate namespaces', async () => {
    const s = store()
    const clients = s.adapter('Client')
    const tokens = s.adapter('RegistrationAccessToken')
    await clients.upsert('c1', { client_id: 'c1', scope: 'a' })
    await tokens.upsert('c1', { jti: 'c1', kind: 'RegistrationAccessToken', clientId: 'c1' })
    expect(await clients.find('c1')).toEqual({ client_id: 'c1', scope: 'a' })
    expect(await tokens.find('c1')).toMatchObject({ clientId: 'c1' })
    await tokens.consume('c1')
    expect((await tokens.find('c1'))?.consumed).toBeTypeOf('number')
    await clients.destroy('c1')
    expect(await clients.find('c1')).toBeUndefined()
    expect(await tokens.find('c1')).toBeDefined()
    s.close()
  })

  test('entries expire (find hides them at once, sweep deletes them); revokeByGrantId removes a grant\'s tokens', async () => {
    const s = store()
    const replay = s.adapter('ReplayDetection')
    await replay.upsert('old', { jti: 'old', kind: 'ReplayDetection' }, 0.05)
    await replay.upsert('new', { jti: 'new', kind: 'ReplayDetection' }, 60)
    await new Promise((r) => setTimeout(r, 80))
    expect(await replay.find('old')).toBeUndefined()
    expect(await replay.find('new')).toBeDefined()
    expect(s.sweep()).toBe(1)
    const at = s.adapter('AccessToken')
    await at.upsert('t1', { jti: 't1', grantId: 'g1' }, 60)
    await at.upsert('t2', { jti: 't2', grantId: 'g2' }, 60)
    await at.revokeByGrantId('g1')
    expect(await at.find('t1')).toBeUndefined()
    expect(await at.find('t2')).toBeDefined()
    s.close()
  })

  test('10,000 clients stay findable (the default LRU keeps about 1,000 entries of all models together)', async () => {
    const s = store()
    const clients = s.adapter('Client')
    for (let i = 0; i < 10_000; i++) await clients.upsert(`c${i}`, { client_id: `c${i}` })
    expect(await clients.find('c0')).toEqual({ client_id: 'c0' })
    expect(s.count('Client')).toBe(10_000)
    s.close()
  })
})

test('2,000 registrations later, the first client still authenticates and exchanges', async () => {
  const d = await startDeployment()
  try {
    const first = await newAgent(d.issuer, INITIAL_ACCESS_TOKEN, SUPPORT_SCOPES)
    const user = { sub: 'user_1', tenant: 't_1', scope: ['tickets:read'] }
    expect((await exchange(d.issuer, first, await d.userAssertion(user), TYPE_JWT, d.support)).status).toBe(200)
    const key = await newKey()
    const body = registrationRequest(key, { scope: ['tickets:read'] })
    let next = 0
    const worker = async () => {
      while (next < 2000) {
        next++
        const res = await register(d.issuer, INITIAL_ACCESS_TOKEN, body)
        if (res.status !== 201) throw new Error(`registration failed: ${res.status}`)
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker))
    const health = (await (await fetch(`${d.issuer}/healthz`)).json()) as { clients: number }
    expect(health.clients).toBeGreaterThanOrEqual(2001)
    const again = await exchange(d.issuer, first, await d.userAssertion(user), TYPE_JWT, d.support)
    expect(again.status, JSON.stringify(again.body)).toBe(200)
    const read = await fetch(first.registrationClientUri, { headers: { authorization: `Bearer ${first.registrationAccessToken}` } })
    expect(read.status).toBe(200)
  } finally {
    await d.stop()
  }
}, 60_000)
