/**
 * Interop of the reference AS with a client written to the standards alone (issue 13 item 6): an
 * RFC 7591 registration with no proprietary member, an RFC 8693 exchange whose subject token carries
 * the tenant (the harness's default TenancyProfile, `subject-claim`), and an RFC 7523 assertion
 * whose aud is the AS's issuer identifier. Tenant isolation must survive: the client is bound to the
 * tenant of its first subject token, and a sub-agent still cannot leave its parent's tenant.
 */
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { assertionWith, tokenWithAssertion } from './helpers/as-requests.ts'
import { ath, newKeyPair, type KeyPair } from './helpers/client-crypto.ts'
import { TENANT, USER } from './helpers/population.ts'
import { GRANT_EXCHANGE, TYPE_AT, TYPE_JWT, World, type Actor, type HttpResult } from './helpers/world.ts'

const OTHER_TENANT = 't_globex'
const OTHER_USER = { sub: 'user_9', tenant: OTHER_TENANT, scope: 'tickets:read' }

/** RFC 7591 §2 members only: no `tenant`, no `parent_client_id` (`extra` adds proprietary ones). */
async function registerStandard(world: World, scope: string, grantTypes: string[], extra: Record<string, unknown> = {}): Promise<{ actor: Actor; res: HttpResult }> {
  const key: KeyPair = await newKeyPair()
  const res = await world.http('POST', `${world.target.issuer}/register`, { authorization: `Bearer ${world.iat}`, 'content-type': 'application/json' }, JSON.stringify({
    client_name: 'standards-only agent',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [key.publicJwk] },
    grant_types: grantTypes,
    scope,
    ...extra,
  }))
  // the Actor's tenant is the test's bookkeeping only: nothing of it is sent
  return { actor: { clientId: res.body.client_id as string, key, tenant: TENANT }, res }
}

describe('interop: a standards-only RFC 7591 client, tenancy from the subject token', () => {
  let world: World
  beforeAll(async () => {
    world = await World.start([], { replicas: 1 })
  })
  afterAll(async () => {
    await world?.stop()
  })

  test('RFC 7591 §3.1, §2: a registration with only standard members gets 201; its first exchange binds it to the subject token\'s tenant, which the token and the evidence carry', async () => {
    const { actor, res } = await registerStandard(world, 'tickets:read customers:read', ['client_credentials', GRANT_EXCHANGE])
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body).toMatchObject({ client_id: expect.any(String), token_endpoint_auth_method: 'private_key_jwt', scope: 'tickets:read customers:read' })
    expect(res.body.tenant).toBeUndefined()
    const registered = await world.recordFor(res.traceId)
    expect(registered).toMatchObject({ decision: 'allow', reason: 'ok', status: 201, client_id: actor.clientId })
    expect(registered.resource.tenant).toBeUndefined()

    const ex = await world.exchange(actor, await world.idp.assertion(USER, world.target.issuer), TYPE_JWT, 'tickets:read')
    expect(ex.status, JSON.stringify(ex.body)).toBe(200)
    const token = ex.body.access_token as string
    expect(decodeJwt(token)).toMatchObject({ sub: USER.sub, client_id: actor.clientId, tenant: TENANT, act: { sub: actor.clientId }, scope: 'tickets:read' })
    expect(await world.recordFor(ex.traceId)).toMatchObject({
      decision: 'allow', reason: 'ok', status: 200, client_id: actor.clientId, principal: { sub: USER.sub, type: 'user' }, actors: [actor.clientId],
      resource: { tool: 'token.exchange', tenant: TENANT }, correlation: { token_hash: ath(token) },
    })

    // the token works at the resource server, in its tenant
    const call = await world.call(actor, token, 'GET', `/t/${TENANT}/tickets/T-1`)
    expect(call.status, JSON.stringify(call.body)).toBe(200)

    // bound now: RFC 7592 read shows the tenant, and client_credentials acts in it
    const read = await world.http('GET', res.body.registration_client_uri as string, { authorization: `Bearer ${res.body.registration_access_token as string}` })
    expect(read.body.tenant).toBe(TENANT)
    const own = await world.token(actor, { grant_type: 'client_credentials', resource: world.rs.audience })
    expect(own.status, JSON.stringify(own.body)).toBe(200)
    expect(decodeJwt(own.body.access_token as string)).toMatchObject({ sub: actor.clientId, tenant: TENANT })
  })

  test('tenant isolation after binding: the same client exchanging a user assertion of another tenant → 400 invalid_request (tenant.mismatch)', async () => {
    const { actor } = await registerStandard(world, 'tickets:read', [GRANT_EXCHANGE])
    expect((await world.exchange(actor, await world.idp.assertion(USER, world.target.issuer), TYPE_JWT)).status).toBe(200)
    const res = await world.exchange(actor, await world.idp.assertion(OTHER_USER, world.target.issuer), TYPE_JWT)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await world.recordFor(res.traceId)).toMatchObject({
      decision: 'deny', reason: 'tenant.mismatch', status: 400, error: 'invalid_request', client_id: actor.clientId,
      principal: { sub: OTHER_USER.sub, type: 'user' }, resource: { tenant: TENANT },
      detail: { subject_tenant: OTHER_TENANT, client_tenant: TENANT },
    })
  })

  test('an unbound client has no tenant to act in for itself: client_credentials before any exchange → 400 unauthorized_client (tenant.unbound)', async () => {
    const { actor } = await registerStandard(world, 'tickets:read', ['client_credentials', GRANT_EXCHANGE])
    const res = await world.token(actor, { grant_type: 'client_credentials', resource: world.rs.audience })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('unauthorized_client')
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({ decision: 'deny', reason: 'tenant.unbound', status: 400, error: 'unauthorized_client', client_id: actor.clientId, policy: { rule: 'tenant-match' } })
    expect(r.resource.tenant).toBeUndefined()
  })

  test('a client registered WITH tenant is still checked against the subject token\'s tenant → 400 invalid_request (tenant.mismatch)', async () => {
    const agent = await world.register({ tenant: TENANT, scope: 'tickets:read' })
    const res = await world.exchange(agent, await world.idp.assertion(OTHER_USER, world.target.issuer), TYPE_JWT)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await world.recordFor(res.traceId)).toMatchObject({ reason: 'tenant.mismatch', detail: { subject_tenant: OTHER_TENANT, client_tenant: TENANT } })
  })

  test('a sub-agent registered without tenant takes its bound parent\'s; one naming another tenant is refused (client.parent_tenant_mismatch); its exchange keeps the tenant', async () => {
    const { actor: parent } = await registerStandard(world, 'tickets:read customers:read', [GRANT_EXCHANGE])
    const parentToken = await world.exchange(parent, await world.idp.assertion(USER, world.target.issuer), TYPE_JWT)
    expect(parentToken.status).toBe(200)

    const { res: elsewhere } = await registerStandard(world, 'tickets:read', [GRANT_EXCHANGE], { parent_client_id: parent.clientId, tenant: OTHER_TENANT })
    expect(elsewhere.status).toBe(400)
    expect(elsewhere.body.error).toBe('invalid_client_metadata')
    expect((await world.recordFor(elsewhere.traceId)).reason).toBe('client.parent_tenant_mismatch')

    const { actor: child, res } = await registerStandard(world, 'tickets:read', [GRANT_EXCHANGE], { parent_client_id: parent.clientId })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body.tenant).toBe(TENANT)
    const ex = await world.exchange(child, parentToken.body.access_token as string, TYPE_AT, 'tickets:read')
    expect(ex.status, JSON.stringify(ex.body)).toBe(200)
    expect(decodeJwt(ex.body.access_token as string)).toMatchObject({ tenant: TENANT, act: { sub: child.clientId, act: { sub: parent.clientId } } })
  })

  test('two unbound clients, a sub-agent under an unbound parent: the sub-agent is bound by its parent\'s token to the parent\'s tenant', async () => {
    const { actor: parent } = await registerStandard(world, 'tickets:read', [GRANT_EXCHANGE])
    const { actor: child, res } = await registerStandard(world, 'tickets:read', [GRANT_EXCHANGE], { parent_client_id: parent.clientId })
    expect(res.status).toBe(201)
    expect(res.body.tenant).toBeUndefined()
    const parentToken = await world.exchange(parent, await world.idp.assertion(OTHER_USER, world.target.issuer), TYPE_JWT)
    expect(parentToken.status).toBe(200)
    const ex = await world.exchange(child, parentToken.body.access_token as string, TYPE_AT)
    expect(ex.status, JSON.stringify(ex.body)).toBe(200)
    expect(decodeJwt(ex.body.access_token as string).tenant).toBe(OTHER_TENANT)
    expect(await world.recordFor(ex.traceId)).toMatchObject({ decision: 'allow', resource: { tenant: OTHER_TENANT }, actors: [child.clientId, parent.clientId] })
  })

  test('the binding is journaled: after an AS restart the bound client is still held to its tenant', async () => {
    const { actor } = await registerStandard(world, 'tickets:read', [GRANT_EXCHANGE])
    expect((await world.exchange(actor, await world.idp.assertion(USER, world.target.issuer), TYPE_JWT)).status).toBe(200)
    await world.target.chaos!.restart('as')
    const other = await world.exchange(actor, await world.idp.assertion(OTHER_USER, world.target.issuer), TYPE_JWT)
    expect(other.status).toBe(400)
    expect(await world.recordFor(other.traceId)).toMatchObject({ reason: 'tenant.mismatch', detail: { subject_tenant: OTHER_TENANT, client_tenant: TENANT } })
    expect((await world.exchange(actor, await world.idp.assertion(USER, world.target.issuer), TYPE_JWT)).status).toBe(200)
  })

  test('RFC 7523 §3 (and draft-ietf-oauth-rfc7523bis-11 §4): a client assertion whose aud is the AS\'s issuer identifier authenticates the client', async () => {
    const agent = await world.register({ tenant: TENANT, scope: 'tickets:read' })
    const assertion = await assertionWith(agent.key, agent.clientId, { aud: world.target.issuer })
    const res = await tokenWithAssertion(world, agent, assertion, { grant_type: 'client_credentials', resource: world.rs.audience })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(decodeJwt(res.body.access_token as string)).toMatchObject({ sub: agent.clientId, client_id: agent.clientId, tenant: TENANT })
    expect(await world.recordFor(res.traceId)).toMatchObject({ decision: 'allow', reason: 'ok', client_id: agent.clientId, resource: { tool: 'token.client_credentials', tenant: TENANT } })
  })
})
