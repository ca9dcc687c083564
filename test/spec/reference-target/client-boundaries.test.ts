/**
 * One agent acting on another's registration or token at the reference AS, a deleted client's
 * registration access token, a revocation with a wrong hint, a registration without the initial
 * access token, a grant the client did not register, and a registration beyond policy (RFC 7592
 * §2.1, §2.3; RFC 7009 §2.1; RFC 7591 §2, §3). Per case id: the status, the
 * error code and the evidence record on the correct target, the side effect that must not have
 * happened (A still gets tokens, A's token still served), and the flaw switch that breaks each.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { deleteClient, revoke } from './helpers/as-requests.ts'
import { ath, newKeyPair } from './helpers/client-crypto.ts'
import { TENANT, USER } from './helpers/population.ts'
import { GRANT_EXCHANGE, TYPE_JWT, World, type Actor } from './helpers/world.ts'

const TICKET = `/t/${TENANT}/tickets/T-7`
const BEARER_INVALID_TOKEN = /^Bearer error="invalid_token"/

type Registered = Actor & { response: Awaited<ReturnType<World['register']>>['response'] }

let world: World
/** every new flaw at once: they switch off independent controls */
let flawed: World
/** alone: it acts on the invalid-token path that revocation-trusts-hint sends hinted tokens down */
let errorsOnInvalid: World

beforeAll(async () => {
  ;[world, flawed, errorsOnInvalid] = await Promise.all([World.start(), World.start(['registration-token-any-client', 'registration-token-survives-delete', 'revocation-any-client', 'revocation-trusts-hint', 'registration-open', 'grant-type-unchecked', 'registration-scope-unchecked', 'registration-parent-any-tenant']), World.start(['revocation-invalid-token-error'])])
}, 60_000)
afterAll(async () => {
  await Promise.all([world?.stop(), flawed?.stop(), errorsOnInvalid?.stop()])
})

const uriOf = (a: Registered): string => a.response.body.registration_client_uri as string
const tokenOf = (a: Registered): string => a.response.body.registration_access_token as string
const manage = (w: World, method: 'GET' | 'DELETE', a: Registered, token: string | null) => w.http(method, uriOf(a), token === null ? {} : { authorization: `Bearer ${token}` })

async function clientToken(w: World, actor: Actor): Promise<{ status: number; token: string }> {
  const res = await w.token(actor, { grant_type: 'client_credentials', resource: w.rs.audience, scope: 'tickets:read' })
  return { status: res.status, token: res.body.access_token as string }
}

/** A's token acting for the user (tools serve users' delegations, not an agent on its own) */
async function userToken(w: World, actor: Actor): Promise<string> {
  const res = await w.exchange(actor, await w.idp.assertion(USER, w.target.issuer), TYPE_JWT, 'tickets:read')
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body.access_token as string
}

async function pair(w: World): Promise<[Registered, Registered]> {
  const a = await w.register({ tenant: TENANT, scope: 'tickets:read' })
  const b = await w.register({ tenant: 'tenant-b', scope: 'tickets:read' })
  expect([a.response.status, b.response.status]).toEqual([201, 201])
  return [a, b]
}

describe('escalate.registration.other-client (RFC 7592 §2.1, §2.3)', () => {
  test('GET and DELETE of agent A\'s registration with agent B\'s registration access token, and with none → 401 invalid_token, anonymous deny client.registration_unauthorized; A is still registered and still gets tokens', async () => {
    const [a, b] = await pair(world)
    for (const [method, token, tool] of [['GET', tokenOf(b), 'client.read'], ['DELETE', tokenOf(b), 'client.delete'], ['GET', null, 'client.read'], ['DELETE', null, 'client.delete']] as const) {
      const res = await manage(world, method, a, token)
      const where = `${method} with ${token === null ? 'no token' : 'B\'s token'}`
      expect(res.status, where).toBe(401)
      expect(res.body.error, where).toBe('invalid_token')
      expect(res.headers['www-authenticate'], where).toMatch(BEARER_INVALID_TOKEN)
      const r = await world.recordFor(res.traceId)
      expect(r, where).toMatchObject({
        component: 'as', decision: 'deny', reason: 'client.registration_unauthorized', status: 401, error: 'invalid_token',
        principal: { sub: null, type: 'anonymous' }, actors: [], resource: { method, path: `/register/${a.clientId}`, tool },
      })
      expect(r.client_id ?? null, where).toBeNull()
    }
    expect((await clientToken(world, a)).status).toBe(200)
    // A's own token reads its registration: 200 and an allow record of client.read
    const own = await manage(world, 'GET', a, tokenOf(a))
    expect(own.status).toBe(200)
    expect(own.body).toMatchObject({ client_id: a.clientId, registration_client_uri: uriOf(a) })
    expect(own.body.registration_access_token).toBeUndefined()
    expect(await world.recordFor(own.traceId)).toMatchObject({ decision: 'allow', reason: 'ok', client_id: a.clientId, principal: { sub: a.clientId, type: 'agent' }, resource: { tool: 'client.read', tenant: TENANT }, policy: { rule: 'read-registration' } })
  })

  test('flaw registration-token-any-client: B\'s token reads A\'s registration and deletes it; A can no longer authenticate', async () => {
    const [a, b] = await pair(flawed)
    expect((await manage(flawed, 'GET', a, tokenOf(b))).status).toBe(200)
    expect((await manage(flawed, 'GET', a, null)).status).toBe(401)
    expect((await manage(flawed, 'DELETE', a, tokenOf(b))).status).toBe(204)
    expect((await clientToken(flawed, a)).status).toBe(401)
  })
})

describe('lifecycle.offboarded-agent.registration-read (RFC 7592 §2.1, §2.3)', () => {
  test('GET with the deleted client\'s old registration access token → 401 invalid_token, anonymous deny naming offboarded_at', async () => {
    const a = await world.register({ tenant: TENANT, scope: 'tickets:read' })
    const deletion = await deleteClient(world, a.response)
    expect(deletion.status).toBe(204)
    const deletedAt = (await world.recordFor(deletion.traceId)).detail!.offboarded_at
    const res = await manage(world, 'GET', a, tokenOf(a))
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
    expect(await world.recordFor(res.traceId)).toMatchObject({
      decision: 'deny', reason: 'client.registration_unauthorized', error: 'invalid_token', principal: { type: 'anonymous' },
      resource: { method: 'GET', path: `/register/${a.clientId}`, tool: 'client.read' }, detail: { offboarded_at: deletedAt },
    })
  })

  test('flaw registration-token-survives-delete: the old token still reads the deleted registration (and only reads: it cannot authenticate)', async () => {
    const a = await flawed.register({ tenant: TENANT, scope: 'tickets:read' })
    expect((await deleteClient(flawed, a.response)).status).toBe(204)
    const res = await manage(flawed, 'GET', a, tokenOf(a))
    expect(res.status).toBe(200)
    expect(res.body.client_id).toBe(a.clientId)
    expect((await clientToken(flawed, a)).status).toBe(401)
  })
})

describe('escalate.revoke.other-client (RFC 7009 §2.1)', () => {
  test('B revokes A\'s token → 400 unauthorized_client, deny client.not_token_owner as B\'s own act; unauthenticated → 401 invalid_client; A\'s token still served', async () => {
    const [a, b] = await pair(world)
    const token = await userToken(world, a)
    const byB = await revoke(world, b, token)
    expect(byB.status).toBe(400)
    expect(byB.body.error).toBe('unauthorized_client')
    expect(await world.recordFor(byB.traceId)).toMatchObject({
      decision: 'deny', reason: 'client.not_token_owner', client_id: b.clientId, principal: { sub: b.clientId, type: 'agent' }, actors: [],
      resource: { tool: 'token.revoke', tenant: 'tenant-b' }, correlation: { token_hash: ath(token) }, detail: { token_client_id: a.clientId },
    })
    const anon = await revoke(world, null, token)
    expect(anon.status).toBe(401)
    expect(anon.body.error).toBe('invalid_client')
    expect(await world.recordFor(anon.traceId)).toMatchObject({ decision: 'deny', reason: 'client.auth_missing', principal: { sub: null, type: 'anonymous' } })
    expect((await world.call(a, token, 'GET', TICKET)).status).toBe(200)
  })

  test('flaw revocation-any-client: B\'s revocation of A\'s token → 200 and the token is refused at the resource server', async () => {
    const [a, b] = await pair(flawed)
    const token = await userToken(flawed, a)
    expect((await flawed.call(a, token, 'GET', TICKET)).status).toBe(200)
    expect((await revoke(flawed, b, token)).status).toBe(200)
    expect((await flawed.call(a, token, 'GET', TICKET)).status).toBe(401)
  })
})


describe('lifecycle.revoked-at.wrong-hint (RFC 7009 §2.1)', () => {
  test('A revokes its own access token with token_type_hint refresh_token → 200, recorded as revoked; the token is then refused (401 DPoP invalid_token, token.revoked)', async () => {
    const [a] = await pair(world)
    const token = await userToken(world, a)
    const res = await revoke(world, a, token, { token_type_hint: 'refresh_token' })
    expect(res.status).toBe(200)
    expect(await world.recordFor(res.traceId)).toMatchObject({ decision: 'allow', detail: { token_state: 'revoked', token_type_hint: 'refresh_token' }, correlation: { token_hash: ath(token) } })
    const use = await world.call(a, token, 'GET', TICKET)
    expect(use.status).toBe(401)
    expect(use.headers['www-authenticate']).toMatch(/^DPoP error="invalid_token"/)
    expect(await world.recordFor(use.traceId)).toMatchObject({ decision: 'deny', reason: 'token.revoked', detail: { revoked_at: expect.any(String) } })
  })

  test('flaw revocation-trusts-hint: the same revocation answers 200 but the token is still served', async () => {
    const [a] = await pair(flawed)
    const token = await userToken(flawed, a)
    expect((await revoke(flawed, a, token, { token_type_hint: 'refresh_token' })).status).toBe(200)
    expect((await flawed.call(a, token, 'GET', TICKET)).status).toBe(200)
  })
})

describe('unattributed.registration.no-initial-token (RFC 7591 §3; target contract)', () => {
  async function registerWith(w: World, bearer: string | null) {
    const key = await newKeyPair()
    const body = JSON.stringify({
      token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] }, grant_types: ['client_credentials'],
      scope: 'tickets:read', dpop_bound_access_tokens: true, tenant: TENANT,
    })
    return w.http('POST', `${w.target.issuer}/register`, { 'content-type': 'application/json', ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }) }, body)
  }

  test('a well-formed registration without the initial access token, and with a made-up one → 401 invalid_token, anonymous deny client.registration_unauthorized, no client', async () => {
    for (const bearer of [null, 'made-up-initial-access-token']) {
      const res = await registerWith(world, bearer)
      expect(res.status, String(bearer)).toBe(401)
      expect(res.body.error).toBe('invalid_token')
      expect(res.body.client_id).toBeUndefined()
      expect(await world.recordFor(res.traceId)).toMatchObject({
        decision: 'deny', reason: 'client.registration_unauthorized', error: 'invalid_token', principal: { sub: null, type: 'anonymous' },
        resource: { method: 'POST', path: '/register', tool: 'client.register' },
      })
    }
  })

  test('flaw registration-open: the same registration without a token → 201 and a client', async () => {
    const res = await registerWith(flawed, null)
    expect(res.status).toBe(201)
    expect(typeof res.body.client_id).toBe('string')
  })
})

describe('escalate.unregistered-grant (RFC 7591 §2, RFC 6749 §5.2)', () => {
  test('an agent registered for token exchange only asks for client credentials → 400 unauthorized_client, deny client.grant_not_allowed naming the client and no principal', async () => {
    const a = await world.register({ tenant: TENANT, scope: 'tickets:read', grantTypes: [GRANT_EXCHANGE] })
    const sent = await world.token(a, { grant_type: 'client_credentials', resource: world.rs.audience })
    expect(sent.status).toBe(400)
    expect(sent.body.error).toBe('unauthorized_client')
    expect(await world.recordFor(sent.traceId)).toMatchObject({
      decision: 'deny', reason: 'client.grant_not_allowed', error: 'unauthorized_client', client_id: a.clientId,
      principal: { sub: null, type: 'anonymous' }, actors: [], resource: { tool: 'token.client_credentials', tenant: TENANT },
    })
  })

  test('flaw grant-type-unchecked: the same request is served', async () => {
    const a = await flawed.register({ tenant: TENANT, scope: 'tickets:read', grantTypes: [GRANT_EXCHANGE] })
    expect((await clientToken(flawed, a)).status).toBe(200)
  })
})

describe('escalate.registration.unheld-scope and .foreign-parent (RFC 7591 §2, §3.2.2; target contract)', () => {
  test('unheld-scope: asking for admin:all besides tickets:read → 400 invalid_client_metadata, anonymous deny client.scope_unknown naming the scope asked for', async () => {
    const res = await world.register({ tenant: TENANT, scope: 'tickets:read admin:all' })
    expect(res.response.status).toBe(400)
    expect(res.response.body.error).toBe('invalid_client_metadata')
    expect(await world.recordFor(res.response.traceId)).toMatchObject({
      decision: 'deny', reason: 'client.scope_unknown', error: 'invalid_client_metadata', principal: { sub: null, type: 'anonymous' },
      resource: { path: '/register', tool: 'client.register', tenant: TENANT }, scope: { required: ['tickets:read', 'admin:all'] },
    })
  })

  test('foreign-parent: a sub-agent of another tenant\'s agent → 400 invalid_client_metadata, anonymous deny client.parent_tenant_mismatch naming the parent', async () => {
    const foreign = await world.register({ tenant: 'tenant-b', scope: 'tickets:read' })
    const res = await world.register({ tenant: TENANT, scope: 'tickets:read', parent: foreign.clientId, grantTypes: [GRANT_EXCHANGE] })
    expect(res.response.status).toBe(400)
    expect(res.response.body.error).toBe('invalid_client_metadata')
    expect(await world.recordFor(res.response.traceId)).toMatchObject({
      decision: 'deny', reason: 'client.parent_tenant_mismatch', principal: { type: 'anonymous' }, detail: { parent_client_id: foreign.clientId },
    })
  })

  test('flaws registration-scope-unchecked, registration-parent-any-tenant: both registrations → 201, yet neither grants the privilege (client credentials with admin:all → invalid_scope)', async () => {
    const wide = await flawed.register({ tenant: TENANT, scope: 'tickets:read admin:all' })
    expect(wide.response.status).toBe(201)
    const token = await flawed.token(wide, { grant_type: 'client_credentials', resource: flawed.rs.audience, scope: 'tickets:read admin:all' })
    expect(token.status).toBe(400)
    expect(token.body.error).toBe('invalid_scope')
    const foreign = await flawed.register({ tenant: 'tenant-b', scope: 'tickets:read' })
    expect((await flawed.register({ tenant: TENANT, scope: 'tickets:read', parent: foreign.clientId, grantTypes: [GRANT_EXCHANGE] })).response.status).toBe(201)
  })
})

describe('lifecycle.revoke-invalid-token (RFC 7009 §2.2, a control)', () => {
  test('an agent revokes a random string → 200 and an allow record naming the agent (token_state invalid)', async () => {
    const [a] = await pair(world)
    const res = await revoke(world, a, 'no-such-token-0123456789abcdef')
    expect(res.status).toBe(200)
    expect(await world.recordFor(res.traceId)).toMatchObject({
      decision: 'allow', reason: 'ok', client_id: a.clientId, principal: { sub: a.clientId, type: 'agent' }, actors: [],
      resource: { tool: 'token.revoke', tenant: TENANT }, detail: { token_state: 'invalid' },
    })
  })

  test('flaw revocation-invalid-token-error: the same request → 400 invalid_request', async () => {
    const [a] = await pair(errorsOnInvalid)
    const res = await revoke(errorsOnInvalid, a, 'no-such-token-0123456789abcdef')
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
  })
})
