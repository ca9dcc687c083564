/**
 * Authorization server: RFC 7591 registration, RFC 7523 client authentication, RFC 9449 §5 DPoP at
 * the token endpoint, and the RFC 8693 delegation policy (every hop keeps sub, nests act, narrows scope).
 */
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { reasonArea } from '../../../harness/contracts/evidence.ts'
import { otherIssuer } from './helpers/as-attacks.ts'
import { tokenWithAssertion } from './helpers/as-requests.ts'
import { ath, clientAssertion, dpopProof, newKeyPair } from './helpers/client-crypto.ts'
import { populate, TENANT, USER, type Population } from './helpers/population.ts'
import { GRANT_EXCHANGE, TYPE_AT, TYPE_JWT, World, type HttpResult } from './helpers/world.ts'

let world: World
let pop: Population

beforeAll(async () => {
  world = await World.start()
  pop = await populate(world)
})
afterAll(async () => {
  await world?.stop()
})

describe('RFC 8693 token exchange: agent for a user', () => {
  test('§4.1 result: sub = user, act = {sub: agent}, client_id = agent, cnf.jkt = agent key, at+jwt; allow record with lineage', async () => {
    const res = await world.exchange(pop.agent, pop.assertion, TYPE_JWT, 'tickets:read customers:read')
    // the population already used this assertion once; assertions are not single-use here
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({ issued_token_type: TYPE_AT, token_type: 'DPoP', expires_in: 600, scope: 'tickets:read customers:read' })
    const token = res.body.access_token as string
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' })
    expect(decodeJwt(token)).toMatchObject({
      iss: world.target.issuer, sub: USER.sub, aud: world.rs.audience, client_id: pop.agent.clientId,
      act: { sub: pop.agent.clientId }, cnf: { jkt: pop.agent.key.jkt }, tenant: TENANT, principal_type: 'user',
    })
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({
      component: 'as', decision: 'allow', reason: 'ok', status: 200,
      principal: { sub: USER.sub, type: 'user' }, client_id: pop.agent.clientId, actors: [pop.agent.clientId],
      key: { jkt: pop.agent.key.jkt },
      resource: { aud: world.target.issuer, method: 'POST', path: '/token', tool: 'token.exchange' },
      scope: { required: ['tickets:read', 'customers:read'], held: ['tickets:read', 'customers:read'] },
      correlation: { trace_id: res.traceId, token_jti: decodeJwt(token).jti, token_hash: ath(token), parent_token_hash: ath(pop.assertion) },
    })
    expect(JSON.stringify(r)).not.toContain(token)
  })

  test('a sub-agent may not exchange a user assertion directly → 400 invalid_request', async () => {
    const res = await world.exchange(pop.sub, pop.assertion, TYPE_JWT)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect((await world.recordFor(res.traceId)).reason).toBe('exchange.not_top_level')
  })
})

describe('RFC 8693 token exchange: sub-agent for its parent', () => {
  test('result keeps sub, nests act (current actor first), binds to the child key', () => {
    expect(decodeJwt(pop.subToken)).toMatchObject({
      sub: USER.sub, client_id: pop.sub.clientId, scope: 'tickets:read', principal_type: 'user',
      act: { sub: pop.sub.clientId, act: { sub: pop.agent.clientId } }, cnf: { jkt: pop.sub.key.jkt },
    })
  })

  test('exchange by a client that is not a registered child of the current actor → 400 invalid_request (exchange.not_delegate)', async () => {
    const stranger = await world.register({ tenant: TENANT, scope: 'tickets:read', grantTypes: [GRANT_EXCHANGE] })
    const res = await world.exchange(stranger, pop.agentToken, TYPE_AT, 'tickets:read')
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({
      decision: 'deny', reason: 'exchange.not_delegate', status: 400, error: 'invalid_request', client_id: stranger.clientId,
      principal: { sub: USER.sub, type: 'user' }, correlation: { parent_token_hash: ath(pop.agentToken), token_hash: null },
    })
  })

  test('escalate.exchange-upscope: child asks for refunds:write it was never given → 400 invalid_scope (exchange.scope_widen)', async () => {
    const res = await world.exchange(pop.sub, pop.agentToken, TYPE_AT, 'tickets:read refunds:write')
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_scope')
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({ reason: 'exchange.scope_widen', scope: { required: ['tickets:read', 'refunds:write'], held: ['tickets:read', 'customers:read'] } })
  })

  test('lifecycle.reexchange-widen: the narrowed token cannot regain scope one hop down', async () => {
    const grandchild = await world.register({ tenant: TENANT, scope: 'tickets:read customers:read', parent: pop.sub.clientId, grantTypes: [GRANT_EXCHANGE] })
    const res = await world.exchange(grandchild, pop.subToken, TYPE_AT, 'customers:read')
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_scope')
    const ok = await world.exchange(grandchild, pop.subToken, TYPE_AT)
    expect(ok.status).toBe(200)
    expect(decodeJwt(ok.body.access_token as string)).toMatchObject({ scope: 'tickets:read', act: { sub: grandchild.clientId, act: { sub: pop.sub.clientId, act: { sub: pop.agent.clientId } } } })
  })

  test('lifecycle.expired-subject / tampered subject → 400 invalid_request (exchange.subject_invalid)', async () => {
    const [h, p] = pop.agentToken.split('.')
    const res = await world.exchange(pop.sub, `${h}.${p}.${'A'.repeat(86)}`, TYPE_AT)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect((await world.recordFor(res.traceId)).reason).toBe('exchange.subject_invalid')
  })

  test('escalate.exchange-target: unknown resource → 400 invalid_target', async () => {
    const res = await world.token(pop.sub, { grant_type: GRANT_EXCHANGE, subject_token: pop.agentToken, subject_token_type: TYPE_AT, resource: 'http://127.0.0.1:1/elsewhere' })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_target')
    expect((await world.recordFor(res.traceId)).reason).toBe('exchange.target_unknown')
  })
})

describe('client_credentials (agent acting for itself)', () => {
  test('sub = client_id, principal agent, no act; scope beyond registration → 400 invalid_scope', async () => {
    const ok = await world.token(pop.agent, { grant_type: 'client_credentials', resource: world.rs.audience, scope: 'tickets:read' })
    expect(ok.status).toBe(200)
    const claims = decodeJwt(ok.body.access_token as string)
    expect(claims).toMatchObject({ sub: pop.agent.clientId, client_id: pop.agent.clientId, principal_type: 'agent', scope: 'tickets:read' })
    expect(claims.act).toBeUndefined()
    expect(await world.recordFor(ok.traceId)).toMatchObject({ reason: 'ok', principal: { sub: pop.agent.clientId, type: 'agent' }, actors: [], resource: { tool: 'token.client_credentials' } })
    const wide = await world.token(pop.agent, { grant_type: 'client_credentials', resource: world.rs.audience, scope: 'tickets:read admin:all' })
    expect(wide.status).toBe(400)
    expect(wide.body.error).toBe('invalid_scope')
    expect(await world.recordFor(wide.traceId)).toMatchObject({ reason: 'scope.not_allowed', scope: { required: ['tickets:read', 'admin:all'] } })
  })

  test('a client registered only for token exchange → 400 unauthorized_client', async () => {
    const res = await world.token(pop.sub, { grant_type: 'client_credentials', resource: world.rs.audience })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('unauthorized_client')
  })
})

describe('RFC 7523 private_key_jwt and RFC 9449 §5 at the token endpoint', () => {
  const withAud = async (aud: string | string[]) =>
    tokenWithAssertion(world, pop.agent, await clientAssertion(pop.agent.key, pop.agent.clientId, aud), { grant_type: 'client_credentials', resource: world.rs.audience })
  const allowed = async (res: HttpResult) => {
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(await world.recordFor(res.traceId)).toMatchObject({ decision: 'allow', reason: 'ok', client_id: pop.agent.clientId, resource: { tool: 'token.client_credentials' } })
  }
  const refused = async (res: HttpResult, aud: string | string[]) => {
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    const r = await world.recordFor(res.traceId)
    expect(reasonArea(r.reason)).toBe('client')
    expect(r).toMatchObject({ decision: 'deny', reason: 'client.assertion_audience', status: 401, error: 'invalid_client', client_id: null, principal: { sub: null, type: 'anonymous' }, detail: { aud } })
  }

  test('RFC 7523 §3: an assertion with aud = the issuer identifier is accepted (the value rfc7523bis recommends)', async () => {
    await allowed(await withAud(world.target.issuer))
  })

  test('RFC 7523 §3: an assertion with aud = the token endpoint URL is accepted', async () => {
    await allowed(await withAud(world.tokenEndpoint))
  })

  test('RFC 7523 §3: an assertion with aud naming another issuer → 401 invalid_client and a deny record with reason area client', async () => {
    await refused(await withAud(otherIssuer(world)), otherIssuer(world))
  })

  test('RFC 7523 §3: an assertion with aud naming another AS\'s token endpoint → 401 invalid_client and a deny record with reason area client', async () => {
    const aud = `${otherIssuer(world)}/token`
    await refused(await withAud(aud), aud)
  })

  test('RFC 7519 §4.1.3; rfc7523bis: an aud array is accepted when every member names this AS, refused when one names another party', async () => {
    await allowed(await withAud([world.target.issuer]))
    await allowed(await withAud([world.target.issuer, world.tokenEndpoint]))
    const mixed = [world.target.issuer, otherIssuer(world)]
    await refused(await withAud(mixed), mixed)
    await refused(await withAud([]), [])
  })

  test('no DPoP proof → 400 invalid_dpop_proof (dpop.missing)', async () => {
    const form = new URLSearchParams({
      grant_type: 'client_credentials', resource: world.rs.audience,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(pop.agent.key, pop.agent.clientId, world.tokenEndpoint),
    })
    const res = await world.http('POST', world.tokenEndpoint, { 'content-type': 'application/x-www-form-urlencoded' }, form.toString())
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_dpop_proof')
    expect(await world.recordFor(res.traceId)).toMatchObject({ reason: 'dpop.missing', client_id: pop.agent.clientId })
  })
})

describe('RFC 7591 registration', () => {
  test('without the initial access token → 401 invalid_token', async () => {
    const res = await world.http('POST', `${world.target.issuer}/register`, { 'content-type': 'application/json' }, '{}')
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
    expect(await world.recordFor(res.traceId)).toMatchObject({ reason: 'client.registration_unauthorized', principal: { type: 'anonymous' } })
  })

  test('a private key in jwks → 400 invalid_client_metadata', async () => {
    const key = await newKeyPair()
    const leaky = { ...key, publicJwk: { ...key.publicJwk, d: 'A'.repeat(43) } }
    const res = await world.register({ tenant: TENANT, scope: 'tickets:read' }, leaky)
    expect(res.response.status).toBe(400)
    expect(res.response.body.error).toBe('invalid_client_metadata')
  })

  test('a sub-agent cannot register with more scope than its parent, or in another tenant', async () => {
    const wider = await world.register({ tenant: TENANT, scope: 'tickets:read refunds:write', parent: pop.sub.clientId })
    expect(wider.response.status).toBe(400)
    expect(await world.recordFor(wider.response.traceId)).toMatchObject({ reason: 'client.parent_scope_widen' })
    const elsewhere = await world.register({ tenant: 't_other', scope: 'tickets:read', parent: pop.agent.clientId })
    expect(elsewhere.response.status).toBe(400)
    expect(elsewhere.response.body.error).toBe('invalid_client_metadata')
  })

  test('201 echoes metadata with client_id, registration_access_token and a readable registration_client_uri (RFC 7592 §2.1)', async () => {
    const res = await world.register({ tenant: TENANT, scope: 'tickets:read' })
    expect(res.response.status).toBe(201)
    expect(res.clientId).toMatch(/^agent_/)
    const body = res.response.body
    expect(body).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', tenant: TENANT, scope: 'tickets:read', dpop_bound_access_tokens: true })
    expect(typeof body.client_id_issued_at).toBe('number')
    const read = await world.http('GET', body.registration_client_uri as string, { authorization: `Bearer ${body.registration_access_token as string}` })
    expect(read.status).toBe(200)
    expect(read.body.client_id).toBe(res.clientId)
    expect(pop.sub.clientId).toMatch(/^subagent_/)
  })
})
