/**
 * Lifecycle operations of the reference target: RFC 7009 revocation, RFC 7592 client deletion
 * (offboarding), per-client token lifetime and signing-key rotation/retirement through the loopback
 * admin API. Each change reaches every resource-server replica before the AS answers, so the token
 * stops working at once, everywhere (docs/architecture.md: "the reference target: at once").
 */
import { randomBytes } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { atEveryReplica, deleteClient, revoke } from './helpers/as-requests.ts'
import { ath } from './helpers/client-crypto.ts'
import { populate, TENANT, USER, type Population } from './helpers/population.ts'
import { GRANT_EXCHANGE, TYPE_AT, TYPE_JWT, World, type Actor } from './helpers/world.ts'

const TICKET = `/t/${TENANT}/tickets/T-7`
const DPOP_INVALID_TOKEN = /^DPoP error="invalid_token"/

let world: World
let pop: Population
/** a token issued with a 1 s lifetime at the start, checked for expiry near the end */
let shortLived: { actor: Actor; token: string; body: Record<string, unknown> }
/** a token of the original signing key that no replica has seen (so none has it cached) */
let unseenOldKeyToken: string

async function userToken(actor: Actor, scope = 'tickets:read'): Promise<string> {
  const res = await world.exchange(actor, await world.idp.assertion(USER, world.target.issuer), TYPE_JWT, scope)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body.access_token as string
}

/** Deny records of one token at the replicas, waiting until each replica's record arrived. */
async function replicaRecords(results: { replica: string; res: { traceId: string } }[]): Promise<EvidenceRecord[]> {
  return Promise.all(results.map(async ({ res }) => world.recordFor(res.traceId)))
}

beforeAll(async () => {
  world = await World.start()
  pop = await populate(world)
  const agent = await world.register({ tenant: TENANT, scope: 'tickets:read' })
  await world.target.admin!.setTokenTtl(agent.clientId, 1)
  const res = await world.token(agent, { grant_type: 'client_credentials', resource: world.rs.audience })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  shortLived = { actor: agent, token: res.body.access_token as string, body: res.body }
})
afterAll(async () => {
  await world?.stop()
})

describe('discovery and capabilities', () => {
  test('RFC 8414 §2: metadata advertises revocation_endpoint (private_key_jwt); the target offers revocation, deletion and admin hooks', async () => {
    const meta = await world.http('GET', `${world.target.issuer}/.well-known/oauth-authorization-server`, {})
    expect(meta.body).toMatchObject({ revocation_endpoint: `${world.target.issuer}/revoke`, revocation_endpoint_auth_methods_supported: ['private_key_jwt'] })
    expect(world.target.capabilities).toMatchObject({ revocation: true, clientDeletion: true, adminHooks: true })
    expect(world.target.capabilities.replicas).toBeGreaterThanOrEqual(2)
    expect(world.replicas('rs-1')).toHaveLength(world.target.capabilities.replicas)
    // the admin secret lives in a private field: serialising the target cannot leak it
    expect(JSON.parse(JSON.stringify(world.target.admin))).toEqual({ kind: 'reference-admin', asUrl: world.target.issuer })
  })
})

describe('RFC 7009 revocation (lifecycle.revoked-at)', () => {
  test('§2.1/§2.2: the owner revokes its token → 200, pushed to every replica first: each answers 401 DPoP invalid_token (token.revoked, detail revoked_at)', async () => {
    const token = await userToken(pop.agent)
    const before = await atEveryReplica(world, pop.agent, token, TICKET)
    expect(before.map((b) => b.res.status)).toEqual(before.map(() => 200))

    const res = await revoke(world, pop.agent, token, { token_type_hint: 'access_token' })
    expect(res.status).toBe(200)
    const rec = await world.recordFor(res.traceId)
    const jti = decodeJwt(token).jti
    expect(rec).toMatchObject({
      component: 'as', decision: 'allow', reason: 'ok', status: 200,
      client_id: pop.agent.clientId, principal: { sub: USER.sub, type: 'user' }, actors: [pop.agent.clientId],
      resource: { method: 'POST', path: '/revoke', tool: 'token.revoke' },
      policy: { rule: 'revoke' },
      correlation: { trace_id: res.traceId, token_jti: jti, token_hash: ath(token) },
      detail: { token_state: 'revoked', replicas: world.target.resources.length * world.target.capabilities.replicas, propagated: true },
    })
    const revokedAt = rec.detail!.revoked_at as string

    // no wait: the push reached every replica before the 200
    const after = await atEveryReplica(world, pop.agent, token, TICKET)
    for (const { res: r } of after) {
      expect(r.status).toBe(401)
      expect(r.headers['www-authenticate']).toMatch(DPOP_INVALID_TOKEN)
      expect(r.body.error).toBe('invalid_token')
    }
    const records = await replicaRecords(after)
    expect(records.map((r) => r.component).sort()).toEqual(world.replicas('rs-1').map((r) => r.name).sort())
    for (const r of records) {
      expect(r).toMatchObject({
        decision: 'deny', reason: 'token.revoked', status: 401, error: 'invalid_token',
        principal: { sub: USER.sub, type: 'user' }, actors: [pop.agent.clientId], client_id: pop.agent.clientId,
        correlation: { token_jti: jti, token_hash: ath(token) }, detail: { revoked_at: revokedAt },
      })
    }
  })

  test('a revoked token is no longer a usable subject: its sub-agent\'s exchange → 400 invalid_request (exchange.subject_revoked)', async () => {
    const token = await userToken(pop.agent, 'tickets:read customers:read')
    expect((await revoke(world, pop.agent, token)).status).toBe(200)
    const res = await world.exchange(pop.sub, token, TYPE_AT, 'tickets:read')
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await world.recordFor(res.traceId)).toMatchObject({ reason: 'exchange.subject_revoked', decision: 'deny', correlation: { parent_token_hash: ath(token) } })
  })

  test('§2.2: an invalid token and a second revocation both get 200, recorded as invalid / already_revoked', async () => {
    const bogus = await revoke(world, pop.agent, 'not-a-token')
    expect(bogus.status).toBe(200)
    expect(await world.recordFor(bogus.traceId)).toMatchObject({ decision: 'allow', detail: { token_state: 'invalid' }, correlation: { token_jti: null, token_hash: ath('not-a-token') } })
    const token = await userToken(pop.agent)
    expect((await revoke(world, pop.agent, token)).status).toBe(200)
    const again = await revoke(world, pop.agent, token)
    expect(again.status).toBe(200)
    expect(await world.recordFor(again.traceId)).toMatchObject({ detail: { token_state: 'already_revoked' } })
  })

  test('§2.1: a token issued to another client → 400 unauthorized_client (client.not_token_owner), and it keeps working', async () => {
    const res = await revoke(world, pop.agent, pop.subToken)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('unauthorized_client')
    expect(await world.recordFor(res.traceId)).toMatchObject({
      decision: 'deny', reason: 'client.not_token_owner', client_id: pop.agent.clientId,
      // the requester's own act, not the token chain's (escalate.revoke.other-client)
      principal: { sub: pop.agent.clientId, type: 'agent' }, actors: [], detail: { token_client_id: pop.sub.clientId },
    })
    expect((await world.call(pop.sub, pop.subToken, 'GET', TICKET)).status).toBe(200)
  })

  test('§2.1: revocation without client authentication → 401 invalid_client (client.auth_missing)', async () => {
    const res = await revoke(world, null, pop.agentToken)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await world.recordFor(res.traceId)).toMatchObject({ decision: 'deny', reason: 'client.auth_missing', principal: { type: 'anonymous' } })
    expect((await world.call(pop.agent, pop.agentToken, 'GET', TICKET)).status).toBe(200)
  })
})

describe('RFC 7592 §2.3 client deletion (lifecycle.offboarded-agent)', () => {
  let agent: Actor & { response: Awaited<ReturnType<World['register']>>['response'] }
  let child: Actor
  let grandchild: Actor
  let tokens: { own: string; delegated: string; child: string; grandchild: string }
  let deletion: Awaited<ReturnType<typeof deleteClient>>

  beforeAll(async () => {
    agent = await world.register({ tenant: TENANT, scope: 'tickets:read customers:read' })
    child = await world.register({ tenant: TENANT, scope: 'tickets:read customers:read', parent: agent.clientId, grantTypes: [GRANT_EXCHANGE] })
    grandchild = await world.register({ tenant: TENANT, scope: 'tickets:read', parent: child.clientId, grantTypes: [GRANT_EXCHANGE] })
    const own = await world.token(agent, { grant_type: 'client_credentials', resource: world.rs.audience })
    const delegated = await userToken(agent, 'tickets:read customers:read')
    const c = await world.exchange(child, delegated, TYPE_AT)
    const g = await world.exchange(grandchild, c.body.access_token as string, TYPE_AT, 'tickets:read')
    expect([own.status, c.status, g.status]).toEqual([200, 200, 200])
    tokens = { own: own.body.access_token as string, delegated, child: c.body.access_token as string, grandchild: g.body.access_token as string }
    deletion = await deleteClient(world, agent.response)
  })

  test('DELETE {registration_client_uri} with the registration access token → 204; client.delete allow record names the sub-agents', async () => {
    expect(deletion.status).toBe(204)
    expect(await world.recordFor(deletion.traceId)).toMatchObject({
      component: 'as', decision: 'allow', reason: 'ok', status: 204, client_id: agent.clientId,
      principal: { sub: agent.clientId, type: 'agent' }, resource: { method: 'DELETE', path: `/register/${agent.clientId}`, tool: 'client.delete', tenant: TENANT },
      policy: { rule: 'offboard' },
      detail: { offboarded_at: expect.any(String), sub_agents: expect.arrayContaining([child.clientId, grandchild.clientId]), replicas: world.target.resources.length * world.target.capabilities.replicas, propagated: true },
    })
    const read = await world.http('GET', agent.response.body.registration_client_uri as string, { authorization: `Bearer ${agent.response.body.registration_access_token as string}` })
    expect(read.status).toBe(401)
  })

  test('.token-request: the deleted client authenticating → 401 invalid_client (client.deleted, detail offboarded_at)', async () => {
    const res = await world.token(agent, { grant_type: 'client_credentials', resource: world.rs.audience })
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    const deletedAt = (await world.recordFor(deletion.traceId)).detail!.offboarded_at
    expect(await world.recordFor(res.traceId)).toMatchObject({ decision: 'deny', reason: 'client.deleted', status: 401, error: 'invalid_client', detail: { offboarded_at: deletedAt } })
  })

  test('.old-token: its own, its user-delegated and its sub-agents\' tokens (act contains it) → 401 invalid_token (client.offboarded) at every replica', async () => {
    const deletedAt = (await world.recordFor(deletion.traceId)).detail!.offboarded_at
    const cases: [Actor, string, string[]][] = [
      [agent, tokens.own, []],
      [agent, tokens.delegated, [agent.clientId]],
      [child, tokens.child, [child.clientId, agent.clientId]],
      [grandchild, tokens.grandchild, [grandchild.clientId, child.clientId, agent.clientId]],
    ]
    for (const [actor, token, actors] of cases) {
      const results = await atEveryReplica(world, actor, token, TICKET)
      for (const { res } of results) {
        expect(res.status).toBe(401)
        expect(res.headers['www-authenticate']).toMatch(DPOP_INVALID_TOKEN)
      }
      for (const r of await replicaRecords(results)) {
        expect(r).toMatchObject({ decision: 'deny', reason: 'client.offboarded', error: 'invalid_token', actors, correlation: { token_hash: ath(token) }, detail: { offboarded_client: agent.clientId, offboarded_at: deletedAt } })
      }
    }
    // everybody else is untouched
    expect((await world.call(pop.sub, pop.subToken, 'GET', TICKET)).status).toBe(200)
  })

  test('a sub-agent can no longer exchange a token along the deleted agent → 400 invalid_request (exchange.subject_offboarded)', async () => {
    const res = await world.exchange(child, tokens.delegated, TYPE_AT, 'tickets:read')
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await world.recordFor(res.traceId)).toMatchObject({ reason: 'exchange.subject_offboarded', detail: { offboarded_client: agent.clientId } })
  })

  test('a wrong registration access token → 401 invalid_token, and the client stays', async () => {
    const other = await world.register({ tenant: TENANT, scope: 'tickets:read' })
    const res = await deleteClient(world, other.response, randomBytes(32).toString('base64url'))
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
    expect(await world.recordFor(res.traceId)).toMatchObject({ decision: 'deny', reason: 'client.registration_unauthorized', principal: { type: 'anonymous' } })
    expect((await world.token(other, { grant_type: 'client_credentials', resource: world.rs.audience })).status).toBe(200)
  })
})

describe('admin API (loopback only, admin bearer secret)', () => {
  test('without or with a wrong secret → 401 invalid_token (auth.admin_unauthorized deny record); nothing changes', async () => {
    const kid = await world.target.admin!.currentSigningKid()
    const none = await world.http('POST', `${world.target.issuer}/admin/keys/rotate`, {})
    expect(none.status).toBe(401)
    expect(none.body.error).toBe('invalid_token')
    expect(await world.recordFor(none.traceId)).toMatchObject({ component: 'as', decision: 'deny', reason: 'auth.admin_unauthorized', status: 401, resource: { tool: 'admin.keys.rotate' }, principal: { type: 'anonymous' } })
    const wrong = await world.http('GET', `${world.target.issuer}/admin/keys/current`, { authorization: `Bearer ${randomBytes(32).toString('base64url')}` })
    expect(wrong.status).toBe(401)
    const ttl = await world.http('POST', `${world.target.issuer}/admin/clients/${pop.agent.clientId}/token-ttl`, { 'content-type': 'application/json' }, '{"ttl_s":1}')
    expect(ttl.status).toBe(401)
    expect(await world.target.admin!.currentSigningKid()).toBe(kid)
    expect((await world.token(pop.agent, { grant_type: 'client_credentials', resource: world.rs.audience })).body.expires_in).toBe(600)
  })

  test('setTokenTtl: ttl_s below 1 or an unknown client is refused (400 / 404)', async () => {
    await expect(world.target.admin!.setTokenTtl(pop.agent.clientId, 0)).rejects.toMatchObject({ status: 400 })
    await expect(world.target.admin!.setTokenTtl('agent_nobody', 5)).rejects.toMatchObject({ status: 404 })
  })

  test('refundCount sums the ledgers of every rs-1 replica: an allowed refund counts 1, a refused one 0', async () => {
    const ok = await world.call(pop.agent, pop.agentToken, 'POST', `/t/${TENANT}/refunds`, { body: { ticket_id: 'T-1', amount: 5 } })
    expect(ok.status).toBe(200)
    const over = await world.call(pop.agent, pop.agentToken, 'POST', `/t/${TENANT}/refunds`, { body: { ticket_id: 'T-1', amount: 5_000 } })
    expect(over.status).toBe(403)
    expect(await world.target.admin!.refundCount(ok.traceId)).toBe(1)
    expect(await world.target.admin!.refundCount(over.traceId)).toBe(0)
  })
})

describe('internal lifecycle endpoints', () => {
  test('the AS snapshot and a replica\'s push endpoint refuse callers without the lifecycle secret (401)', async () => {
    const snap = await world.http('GET', `${world.target.issuer}/internal/lifecycle`, {})
    expect(snap.status).toBe(401)
    const body = JSON.stringify({ events: [{ type: 'client.offboarded', client_id: pop.agent.clientId, at: new Date().toISOString() }] })
    const forged = await world.http('POST', `${world.replicas('rs-1')[0].internalUrl}/internal/lifecycle`, { 'content-type': 'application/json', authorization: 'Bearer guessed' }, body)
    expect(forged.status).toBe(401)
    // the forged offboarding was not applied
    expect((await world.call(pop.agent, await userToken(pop.agent), 'GET', TICKET)).status).toBe(200)
  })
})

// Near the end: retiring the original key ends every token issued before the rotation.
describe('signing keys (lifecycle.retired-key)', () => {
  test('rotate → a new kid signs; the JWKS serves old and new; old and new tokens both work at every replica at once', async () => {
    const admin = world.target.admin!
    const old = await admin.currentSigningKid()
    expect(decodeProtectedHeader(pop.agentToken).kid).toBe(old)
    unseenOldKeyToken = await userToken(pop.agent)
    const { kid } = await admin.rotateSigningKey()
    expect(kid).not.toBe(old)
    expect(await admin.currentSigningKid()).toBe(kid)
    const jwks = await world.http('GET', `${world.target.issuer}/jwks`, {})
    expect((jwks.body.keys as { kid: string }[]).map((k) => k.kid).sort()).toEqual([old, kid].sort())
    const fresh = await userToken(pop.agent)
    expect(decodeProtectedHeader(fresh).kid).toBe(kid)
    // no 30 s JWKS refetch wait: the rotation was pushed to the replicas before it was answered
    for (const t of [fresh, pop.agentToken]) {
      const results = await atEveryReplica(world, pop.agent, t, TICKET)
      expect(results.map((r) => r.res.status)).toEqual(results.map(() => 200))
    }
  })

  test('retire the old kid → gone from the JWKS; its tokens (cached at every replica) → 401 DPoP invalid_token (token.key_retired, detail kid)', async () => {
    const admin = world.target.admin!
    const old = decodeProtectedHeader(pop.agentToken).kid!
    await admin.retireSigningKey(old)
    const jwks = await world.http('GET', `${world.target.issuer}/jwks`, {})
    expect((jwks.body.keys as { kid: string }[]).map((k) => k.kid)).toEqual([await admin.currentSigningKid()])
    const results = await atEveryReplica(world, pop.agent, pop.agentToken, TICKET)
    for (const { res } of results) {
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toMatch(DPOP_INVALID_TOKEN)
    }
    for (const r of await replicaRecords(results)) {
      expect(r).toMatchObject({ decision: 'deny', reason: 'token.key_retired', principal: { sub: USER.sub }, actors: [pop.agent.clientId], detail: { kid: old } })
    }
    const asRecords = (await world.records()).filter((r) => r.component === 'as' && r.resource.tool === 'admin.keys.retire')
    expect(asRecords.at(-1)).toMatchObject({ decision: 'allow', principal: { sub: 'admin', type: 'workload' }, policy: { rule: 'admin-action' }, detail: { kid: old, propagated: true } })
    // the AS no longer takes it as a subject token either
    const ex = await world.exchange(pop.sub, pop.agentToken, TYPE_AT, 'tickets:read')
    expect(ex.status).toBe(400)
    expect(ex.body.error).toBe('invalid_request')
  })

  test('a token of the retired key that no replica verified, after every replica refetched its JWKS (a made-up kid makes it): refused as token.key_retired in its principal\'s name, not as an unknown kid', async () => {
    const [header, payload, signature] = unseenOldKeyToken.split('.')
    const madeUpKid = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header, 'base64url').toString()), kid: 'kid-nobody-published' })).toString('base64url')}.${payload}.${signature}`
    for (const { res } of await atEveryReplica(world, pop.agent, madeUpKid, TICKET)) expect(res.status).toBe(401)
    const results = await atEveryReplica(world, pop.agent, unseenOldKeyToken, TICKET)
    for (const { res } of results) expect(res.status).toBe(401)
    for (const r of await replicaRecords(results)) {
      expect(r).toMatchObject({ decision: 'deny', reason: 'token.key_retired', principal: { sub: USER.sub }, actors: [pop.agent.clientId], detail: { kid: decodeProtectedHeader(unseenOldKeyToken).kid } })
    }
  })

  test('the signing key cannot be retired (409 key_in_use); an unknown kid → 404', async () => {
    const admin = world.target.admin!
    await expect(admin.retireSigningKey(await admin.currentSigningKid())).rejects.toMatchObject({ status: 409 })
    await expect(admin.retireSigningKey('no-such-kid')).rejects.toMatchObject({ status: 404 })
  })
})

// Last, so the wait for exp + leeway overlaps the other tests (expiry is checked before retirement).
describe('per-client token lifetime (lifecycle.expired-at)', () => {
  test('setTokenTtl(client, 1): the next token has expires_in 1 and exp - iat = 1; after exp + leeway every replica refuses it (token.expired)', async () => {
    expect(shortLived.body.expires_in).toBe(1)
    const claims = decodeJwt(shortLived.token)
    expect(claims.exp! - claims.iat!).toBe(1)
    // the RS allows 5 s of clock leeway; wait out what is left of exp + leeway
    const wait = (claims.exp! + 6) * 1000 - Date.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const results = await atEveryReplica(world, shortLived.actor, shortLived.token, TICKET)
    for (const { res } of results) {
      expect(res.status).toBe(401)
      expect(res.headers['www-authenticate']).toMatch(DPOP_INVALID_TOKEN)
    }
    for (const r of await replicaRecords(results)) expect(r).toMatchObject({ reason: 'token.expired', detail: { exp: claims.exp } })
  })
})
