/**
 * Resource server rules (RFC 6750 §3.1, RFC 9449 §4.3 and §7, RFC 9068 §4) as the reference target
 * enforces them: status, error code, challenge, and the evidence record read back from the sink.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ath, dpopProof, newKeyPair } from './helpers/client-crypto.ts'
import { populate, TENANT, USER, type Population } from './helpers/population.ts'
import { World } from './helpers/world.ts'

let world: World
let pop: Population

beforeAll(async () => {
  world = await World.start()
  pop = await populate(world)
})
afterAll(async () => {
  await world?.stop()
})

const refundCount = (traceId: string): Promise<number> => world.refundCount(traceId)

describe('RFC 9449 §7.1 legitimate delegated call', () => {
  test('sub-agent calls ticket.read for the user → 200 and an allow record attributing user, actor chain, tenant, tool', async () => {
    const path = `/t/${TENANT}/tickets/T-100`
    const res = await world.call(pop.sub, pop.subToken, 'GET', path)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ id: 'T-100', tenant: TENANT })
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({
      v: 1,
      component: expect.stringMatching(/^rs-1\/\d+$/),
      decision: 'allow',
      reason: 'ok',
      status: 200,
      principal: { sub: USER.sub, type: 'user' },
      client_id: pop.sub.clientId,
      actors: [pop.sub.clientId, pop.agent.clientId],
      key: { jkt: pop.sub.key.jkt },
      resource: { aud: world.rs.audience, method: 'GET', path, tool: 'ticket.read', tenant: TENANT },
      scope: { required: ['tickets:read'], held: ['tickets:read'] },
      policy: { id: 'reference-tools-v1', rule: 'allow' },
      correlation: { trace_id: res.traceId, request_id: `req-${res.traceId.slice(0, 8)}`, token_hash: ath(pop.subToken) },
    })
    expect(r.id).toMatch(/^ev_/)
    expect(r.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(JSON.stringify(r)).not.toContain(pop.subToken)
  })

  test('replay.dpop-htu-normalise: RFC 9449 §4.3 (9) a request URI with a query, htu without it, scheme and host upper-case → 200 (control)', async () => {
    const path = `/t/${TENANT}/customers/C-7`
    const port = new URL(world.rs.origin).port
    const proof = await dpopProof(pop.agent.key, { htm: 'GET', htu: `HTTP://127.0.0.1:${port}${path}`, accessToken: pop.agentToken })
    const res = await world.call(pop.agent, pop.agentToken, 'GET', `${path}?x=1`, { proof })
    expect(res.status).toBe(200)
    expect((await world.recordFor(res.traceId)).resource.tool).toBe('customer.read')
  })

  test('RFC 9449 §4.2: an htu claim carrying a query or fragment → 401 invalid_dpop_proof (dpop.htu_mismatch)', async () => {
    const path = `/t/${TENANT}/customers/C-8`
    const proof = await dpopProof(pop.agent.key, { htm: 'GET', htu: `${world.rs.origin}${path}?x=1#frag`, accessToken: pop.agentToken })
    const res = await world.call(pop.agent, pop.agentToken, 'GET', `${path}?x=1`, { proof })
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_dpop_proof')
    expect((await world.recordFor(res.traceId)).reason).toBe('dpop.htu_mismatch')
  })
})

describe('unattributed.no-credential', () => {
  test('RFC 6750 §3.1: no credential → 401 DPoP challenge without error code; anonymous deny record (auth)', async () => {
    const res = await world.call(pop.agent, '', 'GET', `/t/${TENANT}/tickets/T-1`, { noAuth: true, proof: null })
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('DPoP algs="ES256"')
    expect(res.body.error).toBeUndefined()
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({ decision: 'deny', reason: 'auth.missing', status: 401, principal: { sub: null, type: 'anonymous' }, actors: [], resource: { tool: 'ticket.read', tenant: TENANT } })
    expect(r.error).toBeUndefined()
  })
})

describe('escalate.tool-scope', () => {
  test('RFC 6750 §3.1: refund.issue with a tickets:read token → 403 insufficient_scope, scope="refunds:write", no refund, deny record with required vs held', async () => {
    const res = await world.call(pop.sub, pop.subToken, 'POST', `/t/${TENANT}/refunds`, { body: { ticket_id: 'T-1', amount: 10 } })
    expect(res.status).toBe(403)
    expect(res.headers['www-authenticate']).toBe('DPoP error="insufficient_scope", scope="refunds:write", algs="ES256"')
    expect(res.body.error).toBe('insufficient_scope')
    expect(await refundCount(res.traceId)).toBe(0)
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({
      decision: 'deny', reason: 'scope.insufficient', status: 403, error: 'insufficient_scope',
      principal: { sub: USER.sub, type: 'user' }, actors: [pop.sub.clientId, pop.agent.clientId],
      scope: { required: ['refunds:write'], held: ['tickets:read'] }, resource: { tool: 'refund.issue', method: 'POST' },
    })
  })
})

describe('replay.dpop-jti-reuse', () => {
  test('RFC 9449 §11.1: the same proof twice → second is 401 invalid_dpop_proof with a dpop.jti_replay record (jti hash, first seen, node)', async () => {
    const path = `/t/${TENANT}/tickets/T-2`
    const proof = await world.proofFor(pop.agent, 'GET', path, pop.agentToken)
    const first = await world.call(pop.agent, pop.agentToken, 'GET', path, { proof })
    const replay = await world.call(pop.agent, pop.agentToken, 'GET', path, { proof })
    expect(first.status).toBe(200)
    expect(replay.status).toBe(401)
    expect(replay.body.error).toBe('invalid_dpop_proof')
    expect(replay.headers['www-authenticate']).toBe('DPoP error="invalid_dpop_proof", algs="ES256"')
    const r = await world.recordFor(replay.traceId)
    expect(r).toMatchObject({ decision: 'deny', reason: 'dpop.jti_replay', error: 'invalid_dpop_proof', principal: { sub: USER.sub }, actors: [pop.agent.clientId] })
    expect(r.component).toMatch(/^rs-1\/\d+$/)
    expect(r.detail).toMatchObject({ node: r.component })
    expect(r.detail?.proof_jti_hash).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(typeof r.detail?.first_seen).toBe('string')
  })
})

describe('RFC 9449 §7.2 / §4.3 proof and binding checks', () => {
  test('replay.bearer-downgrade: DPoP-bound token as Bearer → 401 Bearer error="invalid_token", dpop.bearer_downgrade', async () => {
    const res = await world.call(pop.agent, pop.agentToken, 'GET', `/t/${TENANT}/tickets/T-3`, { scheme: 'Bearer', proof: null })
    expect(res.status).toBe(401)
    expect(String(res.headers['www-authenticate'])).toMatch(/^Bearer error="invalid_token"/)
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({ reason: 'dpop.bearer_downgrade', error: 'invalid_token', principal: { sub: USER.sub }, detail: { presented_scheme: 'Bearer' } })
  })

  test('§4.3 (1): two DPoP headers → 401 invalid_dpop_proof (dpop.multiple)', async () => {
    const path = `/t/${TENANT}/tickets/T-4`
    const proofs = [await world.proofFor(pop.agent, 'GET', path, pop.agentToken), await world.proofFor(pop.agent, 'GET', path, pop.agentToken)]
    const res = await world.call(pop.agent, pop.agentToken, 'GET', path, { proof: proofs })
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_dpop_proof')
    expect((await world.recordFor(res.traceId)).reason).toBe('dpop.multiple')
  })

  test('replay.foreign-key: proof signed by another key → 401 invalid_token, dpop.key_mismatch with expected_jkt', async () => {
    const path = `/t/${TENANT}/tickets/T-5`
    const thief = await newKeyPair()
    const proof = await dpopProof(thief, { htm: 'GET', htu: `${world.rs.origin}${path}`, accessToken: pop.agentToken })
    const res = await world.call(pop.agent, pop.agentToken, 'GET', path, { proof })
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('DPoP error="invalid_token", algs="ES256"')
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({ reason: 'dpop.key_mismatch', key: { jkt: thief.jkt }, detail: { expected_jkt: pop.agent.key.jkt } })
  })

  test('replay.dpop-htu-htm: proof for another URI → 401 invalid_dpop_proof, dpop.htu_mismatch', async () => {
    const proof = await world.proofFor(pop.agent, 'GET', `/t/${TENANT}/tickets/OTHER`, pop.agentToken)
    const res = await world.call(pop.agent, pop.agentToken, 'GET', `/t/${TENANT}/tickets/T-6`, { proof })
    expect(res.status).toBe(401)
    expect((await world.recordFor(res.traceId)).reason).toBe('dpop.htu_mismatch')
  })

  test('RFC 9068 §4: tampered token → 401 DPoP invalid_token, token.signature', async () => {
    const [h, p, s] = pop.agentToken.split('.')
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: 'refunds:write tickets:read' })).toString('base64url')}.${s}`
    const res = await world.call(pop.agent, forged, 'GET', `/t/${TENANT}/tickets/T-7`)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('DPoP error="invalid_token", algs="ES256"')
    const r = await world.recordFor(res.traceId)
    expect(r).toMatchObject({ reason: 'token.signature', principal: { sub: null, type: 'anonymous' } })
  })
})

describe('tenant and limit policy', () => {
  test('a token for tenant t_acme on another tenant path → 404 not_found, tenant.mismatch', async () => {
    const res = await world.call(pop.agent, pop.agentToken, 'GET', '/t/t_other/tickets/T-1')
    expect(res.status).toBe(404)
    expect(res.body.error).toBe('not_found')
    expect(await world.recordFor(res.traceId)).toMatchObject({ reason: 'tenant.mismatch', resource: { tenant: 't_other' } })
  })

  test('refund over the 500 ceiling → 403 limit_exceeded with no refund; within it → 200 and one refund', async () => {
    const path = `/t/${TENANT}/refunds`
    const over = await world.call(pop.agent, pop.agentToken, 'POST', path, { body: { ticket_id: 'T-9', amount: 900 } })
    expect(over.status).toBe(403)
    expect(over.body.error).toBe('limit_exceeded')
    expect(await refundCount(over.traceId)).toBe(0)
    expect(await world.recordFor(over.traceId)).toMatchObject({ reason: 'limit.refund_ceiling', detail: { field: 'amount', max: 500, requested: 900 } })
    const ok = await world.call(pop.agent, pop.agentToken, 'POST', path, { body: { ticket_id: 'T-9', amount: 120 } })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ status: 'issued', amount: 120 })
    expect(await refundCount(ok.traceId)).toBe(1)
    expect(await world.recordFor(ok.traceId)).toMatchObject({ decision: 'allow', resource: { tool: 'refund.issue' } })
  })
})

describe('discovery', () => {
  test('RFC 9728 protected-resource metadata and RFC 8414 AS metadata', async () => {
    const prm = await world.http('GET', `${world.rs.origin}/.well-known/oauth-protected-resource`, {})
    expect(prm.body).toMatchObject({ resource: world.rs.audience, authorization_servers: [world.target.issuer], dpop_bound_access_tokens_required: true, bearer_methods_supported: ['header'] })
    const asm = await world.http('GET', `${world.target.issuer}/.well-known/oauth-authorization-server`, {})
    expect(asm.body).toMatchObject({
      issuer: world.target.issuer,
      token_endpoint: `${world.target.issuer}/token`,
      registration_endpoint: `${world.target.issuer}/register`,
      jwks_uri: `${world.target.issuer}/jwks`,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      dpop_signing_alg_values_supported: ['ES256'],
    })
  })
})
