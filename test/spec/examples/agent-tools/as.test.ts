/**
 * The example's authorization server (oidc-provider): RFC 7591 registration behind an initial
 * access token, RFC 8693 token exchange for agents and sub-agents (DPoP-bound RFC 9068 JWTs with
 * nested act, cnf.jkt, narrowed scope, aud = the resource), the delegation policy, and an audit
 * line for every decision, driven by a standards-only client.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startDeployment, INITIAL_ACCESS_TOKEN, SUPPORT_SCOPES, type Deployment } from './helpers/deployment.ts'
import { clientAssertion, exchange, newAgent, newKey, register, registrationRequest, sha256, tokenRequest, TYPE_AT, TYPE_JWT, dpopProof, type Agent } from './helpers/client.ts'

const USER = { sub: 'user_1', tenant: 't_1', scope: ['tickets:read', 'customers:read'] }

let d: Deployment
let agent: Agent
let agentToken: string
beforeAll(async () => {
  d = await startDeployment()
  agent = await newAgent(d.issuer, INITIAL_ACCESS_TOKEN, [...SUPPORT_SCOPES, 'kb:read'])
  const res = await exchange(d.issuer, agent, await d.userAssertion(USER), TYPE_JWT, d.support)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  agentToken = res.body.access_token as string
})
afterAll(async () => {
  await d?.stop()
})

const lastAsLine = (traceId: string) => d.audit(d.as).find((l) => l.trace === traceId)

describe('RFC 7591 registration behind an initial access token', () => {
  test('without the initial access token: 401 invalid_token, and a denied audit line', async () => {
    const key = await newKey()
    const res = await register(d.issuer, null, registrationRequest(key, { scope: ['tickets:read'] }))
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_token')
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
    const wrong = await register(d.issuer, 'not-the-token', registrationRequest(key, { scope: ['tickets:read'] }))
    expect(wrong.status).toBe(401)
    const lines = d.audit(d.as).filter((l) => l.tool === 'client.register' && l.outcome === 'denied')
    expect(lines.length).toBeGreaterThanOrEqual(2)
    expect(lines[0]).toMatchObject({ why: 'client.initial_access_token', http_status: 401, oauth_error: 'invalid_token', client: null })
  })

  test('with it: 201, a server-assigned client_id and RFC 7592 credentials; proprietary members are ignored, not required', async () => {
    const key = await newKey()
    const res = await register(d.issuer, INITIAL_ACCESS_TOKEN, registrationRequest(key, { scope: ['tickets:read'], tenant: 't_9', parent: 'someone' }))
    expect(res.status).toBe(201)
    expect(typeof res.body.client_id).toBe('string')
    expect(res.body.token_endpoint_auth_method).toBe('private_key_jwt')
    expect(res.body.dpop_bound_access_tokens).toBe(true)
    expect(res.body.registration_client_uri).toBe(`${d.issuer}/reg/${res.body.client_id as string}`)
    expect(res.body).not.toHaveProperty('tenant')
    expect(res.body).not.toHaveProperty('parent_client_id')
    const { tenant: _t, parent_client_id: _p, ...standard } = registrationRequest(key, { scope: ['tickets:read'] })
    expect((await register(d.issuer, INITIAL_ACCESS_TOKEN, standard)).status).toBe(201)
  })
})

describe('RFC 8693 exchange by an agent', () => {
  test('a DPoP-bound RFC 9068 JWT: sub = the user, act = the agent, cnf.jkt = its key, aud = the resource, scope = subject ∩ registration', async () => {
    expect(decodeProtectedHeader(agentToken).typ).toBe('at+jwt')
    const claims = decodeJwt(agentToken)
    expect(claims).toMatchObject({ iss: d.issuer, sub: 'user_1', aud: d.support, client_id: agent.clientId, act: { sub: agent.clientId }, cnf: { jkt: agent.jkt }, tenant: 't_1' })
    expect(String(claims.scope).split(' ').sort()).toEqual(['customers:read', 'tickets:read'])
    expect(typeof claims.jti).toBe('string')
  })

  test('the response is RFC 8693 §2.2.1 shaped and the exchange has an allowed audit line', async () => {
    const res = await exchange(d.issuer, agent, await d.userAssertion(USER), TYPE_JWT, d.support, ['tickets:read'])
    expect(res.body).toMatchObject({ issued_token_type: TYPE_AT, token_type: 'DPoP', scope: 'tickets:read' })
    const line = lastAsLine(res.traceId)!
    expect(line).toMatchObject({ outcome: 'allowed', why: 'ok', http_status: 200, user: 'user_1', user_kind: 'human', client: agent.clientId, delegation: [agent.clientId], key_thumbprint: agent.jkt, audience: d.issuer, tool: 'token.exchange', tenant: 't_1', method: 'POST', path: '/token' })
    expect(line.token_sha256).toBe(await sha256(res.body.access_token as string))
    expect(line.token_id).toBe(decodeJwt(res.body.access_token as string).jti)
    expect(line.subject_token_sha256).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(JSON.stringify(line)).not.toContain(res.body.access_token as string)
  })

  test('asking for a scope the user is not entitled to: 400 invalid_scope, attributed to the user and the agent', async () => {
    const res = await exchange(d.issuer, agent, await d.userAssertion(USER), TYPE_JWT, d.support, ['tickets:read', 'refunds:write'])
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_scope')
    expect(lastAsLine(res.traceId)).toMatchObject({ outcome: 'denied', why: 'exchange.scope_widened', user: 'user_1', delegation: [agent.clientId], facts: { requested_scope: ['tickets:read', 'refunds:write'] } })
  })

  test('an unknown resource: 400 invalid_target, attributed to the client only', async () => {
    const res = await exchange(d.issuer, agent, await d.userAssertion(USER), TYPE_JWT, 'http://127.0.0.1:9/unknown')
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_target')
    expect(lastAsLine(res.traceId)).toMatchObject({ why: 'exchange.unknown_target', client: agent.clientId, user: null, delegation: [], tenant: 't_1', facts: { requested_target: 'http://127.0.0.1:9/unknown' } })
  })

  test('an expired or foreign user assertion: 400 invalid_request', async () => {
    const expired = await exchange(d.issuer, agent, await d.userAssertion({ ...USER, iat: Math.floor(Date.now() / 1000) - 600, ttlS: 60 }), TYPE_JWT, d.support)
    expect(expired.status).toBe(400)
    expect(expired.body.error).toBe('invalid_request')
    expect(lastAsLine(expired.traceId)).toMatchObject({ why: 'exchange.subject_expired', user: null })
    const otherAud = await exchange(d.issuer, agent, await d.userAssertion({ ...USER, aud: 'https://other-as.example' }), TYPE_JWT, d.support)
    expect(otherAud.body.error).toBe('invalid_request')
  })

  test('RFC 8693 §4.4 may_act naming another client: 400 invalid_request', async () => {
    const res = await exchange(d.issuer, agent, await d.userAssertion({ ...USER, may_act: { sub: 'someone-else' } }), TYPE_JWT, d.support)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(lastAsLine(res.traceId)).toMatchObject({ why: 'exchange.may_act', user: 'user_1' })
  })

  test('an actor_token naming someone else: 400 invalid_request (the authenticated client is the actor)', async () => {
    const res = await exchange(d.issuer, agent, await d.userAssertion(USER), TYPE_JWT, d.support, undefined, { actor_token: agentToken, actor_token_type: TYPE_AT })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(lastAsLine(res.traceId)).toMatchObject({ why: 'exchange.actor_token_refused', client: agent.clientId, user: null })
  })
})

describe('DPoP and client authentication at the token endpoint', () => {
  test('no DPoP proof: 400 invalid_dpop_proof; a replayed proof: 400 invalid_dpop_proof', async () => {
    const params = { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: await d.userAssertion(USER), subject_token_type: TYPE_JWT, resource: d.support }
    const none = await tokenRequest(d.issuer, agent, { params, proofKey: null })
    expect(none.status).toBe(400)
    expect(none.body.error).toBe('invalid_dpop_proof')
    expect(lastAsLine(none.traceId)).toMatchObject({ why: 'dpop.missing', client: agent.clientId })
    const proof = await dpopProof(agent, 'POST', `${d.issuer}/token`)
    expect((await tokenRequest(d.issuer, agent, { params: { ...params, subject_token: await d.userAssertion(USER) }, proof })).status).toBe(200)
    const again = await tokenRequest(d.issuer, agent, { params: { ...params, subject_token: await d.userAssertion(USER) }, proof })
    expect(again.status).toBe(400)
    expect(again.body.error).toBe('invalid_dpop_proof')
    expect(lastAsLine(again.traceId)).toMatchObject({ why: 'dpop.replayed' })
  })

  test('client assertion audience: the issuer or the token endpoint pass; another server, or an array naming one, is invalid_client', async () => {
    const params = async () => ({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: await d.userAssertion(USER), subject_token_type: TYPE_JWT, resource: d.support })
    expect((await tokenRequest(d.issuer, agent, { params: await params(), assertionAud: `${d.issuer}/token` })).status).toBe(200)
    for (const aud of ['http://127.0.0.1:9/token', 'http://127.0.0.1:9', [d.issuer, 'http://127.0.0.1:9']]) {
      const res = await tokenRequest(d.issuer, agent, { params: await params(), assertionAud: aud })
      expect(res.status, JSON.stringify(aud)).toBe(401)
      expect(res.body.error).toBe('invalid_client')
      expect(lastAsLine(res.traceId)).toMatchObject({ outcome: 'denied', client: null, user: null, facts: { claimed_client: agent.clientId } })
      expect(lastAsLine(res.traceId)!.why).toMatch(/^client\./)
    }
    const expired = await tokenRequest(d.issuer, agent, { params: await params(), assertion: await clientAssertion(agent, d.issuer, { iat: Math.floor(Date.now() / 1000) - 600 }) })
    expect(expired.body.error).toBe('invalid_client')
  })
})

describe('sub-agents: exchange of the parent\'s access token, and the delegation policy', () => {
  let child: Agent
  let childToken: string
  beforeAll(async () => {
    child = await newAgent(d.issuer, INITIAL_ACCESS_TOKEN, ['tickets:read'])
    const res = await exchange(d.issuer, child, agentToken, TYPE_AT, d.support, ['tickets:read'])
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    childToken = res.body.access_token as string
  })

  test('nested act (current actor outermost), cnf.jkt = the child\'s key, the parent\'s audience, narrowed scope', () => {
    expect(decodeJwt(childToken)).toMatchObject({ sub: 'user_1', client_id: child.clientId, act: { sub: child.clientId, act: { sub: agent.clientId } }, cnf: { jkt: child.jkt }, aud: d.support, scope: 'tickets:read', tenant: 't_1' })
    expect(decodeJwt(childToken).exp! - decodeJwt(agentToken).exp!).toBeLessThanOrEqual(0)
  })

  test('the child is bound to its parent: it may exchange the parent\'s later tokens, never a user assertion', async () => {
    expect((await exchange(d.issuer, child, agentToken, TYPE_AT, d.support, ['tickets:read'])).status).toBe(200)
    const direct = await exchange(d.issuer, child, await d.userAssertion(USER), TYPE_JWT, d.support)
    expect(direct.status).toBe(400)
    expect(lastAsLine(direct.traceId)).toMatchObject({ why: 'exchange.not_top_level' })
  })

  test('laundering (replay.exchange-laundering): another agent exchanging a stolen token is refused, attributed to the token\'s user', async () => {
    const thief = await newAgent(d.issuer, INITIAL_ACCESS_TOKEN, SUPPORT_SCOPES)
    expect((await exchange(d.issuer, thief, await d.userAssertion({ ...USER, sub: 'user_2' }), TYPE_JWT, d.support)).status).toBe(200)
    const res = await exchange(d.issuer, thief, agentToken, TYPE_AT, d.support)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(lastAsLine(res.traceId)).toMatchObject({ why: 'exchange.not_delegate', user: 'user_1', client: thief.clientId, delegation: [thief.clientId, agent.clientId], facts: { subject_actor: agent.clientId } })
    // another agent's child cannot take this child's parent either
    const otherChild = await newAgent(d.issuer, INITIAL_ACCESS_TOKEN, ['tickets:read'])
    expect((await exchange(d.issuer, otherChild, childToken, TYPE_AT, d.support, ['tickets:read'])).status).toBe(200)
    expect((await exchange(d.issuer, otherChild, agentToken, TYPE_AT, d.support, ['tickets:read'])).status).toBe(400)
  })

  test('a delegated token keeps its audience, and cannot win back scope (lifecycle.reexchange-widen)', async () => {
    const target = await exchange(d.issuer, child, agentToken, TYPE_AT, d.kb)
    expect(target.status).toBe(400)
    expect(target.body.error).toBe('invalid_target')
    expect(lastAsLine(target.traceId)).toMatchObject({ why: 'exchange.target_widened', user: 'user_1', delegation: [child.clientId, agent.clientId] })
    const grandchild = await newAgent(d.issuer, INITIAL_ACCESS_TOKEN, SUPPORT_SCOPES)
    const widen = await exchange(d.issuer, grandchild, childToken, TYPE_AT, d.support, ['tickets:read', 'customers:read'])
    expect(widen.status).toBe(400)
    expect(widen.body.error).toBe('invalid_scope')
  })

  test('RFC 7592 deletion: the deleted client can no longer get tokens, and tokens naming it cannot be exchanged', async () => {
    const parent = await newAgent(d.issuer, INITIAL_ACCESS_TOKEN, SUPPORT_SCOPES)
    const parentToken = (await exchange(d.issuer, parent, await d.userAssertion(USER), TYPE_JWT, d.support)).body.access_token as string
    const kid = await newAgent(d.issuer, INITIAL_ACCESS_TOKEN, ['tickets:read'])
    const del = await fetch(parent.registrationClientUri, { method: 'DELETE', headers: { authorization: `Bearer ${parent.registrationAccessToken}` } })
    expect(del.status).toBe(204)
    const again = await exchange(d.issuer, parent, await d.userAssertion(USER), TYPE_JWT, d.support)
    expect(again.status).toBe(401)
    expect(again.body.error).toBe('invalid_client')
    const orphan = await exchange(d.issuer, kid, parentToken, TYPE_AT, d.support, ['tickets:read'])
    expect(orphan.status).toBe(400)
    expect(lastAsLine(orphan.traceId)).toMatchObject({ why: 'exchange.subject_offboarded', facts: { offboarded_client: parent.clientId } })
  })
})
