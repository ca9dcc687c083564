/**
 * The example's resource server (express + express-oauth2-jwt-bearer, DPoP required): a tool call
 * allowed, and each refusal with its status, error code, WWW-Authenticate challenge and audit line,
 * including what the library does not do by itself (replay cache, proof age, pinned origin, tenant).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startDeployment, INITIAL_ACCESS_TOKEN, SUPPORT_SCOPES, type AuditLine, type Deployment } from './helpers/deployment.ts'
import { callTool, dpopProof, exchange, newAgent, newKey, rawGet, sha256, tokenRequest, traceparent, TYPE_AT, TYPE_JWT, type Agent } from './helpers/client.ts'

const USER = { sub: 'user_1', tenant: 't_1', scope: ['tickets:read', 'customers:read', 'kb:read'] }

let d: Deployment
let agent: Agent
let token: string
let kbToken: string
let child: Agent
let childToken: string
const ticket = () => `${d.support}/t/t_1/tickets/ticket_7`
const line = (traceId: string): AuditLine | undefined => [...d.audit(d.rsSupport), ...d.audit(d.rsKb)].find((l) => l.trace === traceId)

beforeAll(async () => {
  d = await startDeployment()
  agent = await newAgent(d.issuer, INITIAL_ACCESS_TOKEN, [...SUPPORT_SCOPES, 'kb:read'])
  token = (await exchange(d.issuer, agent, await d.userAssertion(USER), TYPE_JWT, d.support)).body.access_token as string
  kbToken = (await exchange(d.issuer, agent, await d.userAssertion(USER), TYPE_JWT, d.kb)).body.access_token as string
  child = await newAgent(d.issuer, INITIAL_ACCESS_TOKEN, ['tickets:read'])
  childToken = (await exchange(d.issuer, child, token, TYPE_AT, d.support, ['tickets:read'])).body.access_token as string
  expect([token, kbToken, childToken].every((t) => typeof t === 'string')).toBe(true)
})
afterAll(async () => {
  await d?.stop()
})

const challenge = (r: { headers: Headers }) => r.headers.get('www-authenticate') ?? ''

describe('allowed tool calls', () => {
  test('an agent reads a ticket of its tenant: 200 and an allowed audit line naming the user, the chain, the key and the trace', async () => {
    const r = await callTool(ticket(), token, agent)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ id: 'ticket_7', tenant: 't_1' })
    expect(line(r.traceId)).toMatchObject({
      outcome: 'allowed', why: 'ok', http_status: 200, user: 'user_1', user_kind: 'human', client: agent.clientId, delegation: [agent.clientId],
      key_thumbprint: agent.jkt, audience: d.support, method: 'GET', path: '/t/t_1/tickets/ticket_7', tool: 'ticket.read', tenant: 't_1',
      scopes_needed: ['tickets:read'], token_sha256: await sha256(token),
    })
    expect(line(r.traceId)!.request_id).toMatch(/^[0-9a-f-]{36}$/)
  })

  test('a sub-agent\'s call names the whole chain, current actor first; the knowledge base serves its own audience', async () => {
    const r = await callTool(ticket(), childToken, child)
    expect(r.status).toBe(200)
    expect(line(r.traceId)).toMatchObject({ client: child.clientId, delegation: [child.clientId, agent.clientId], key_thumbprint: child.jkt })
    const kb = await callTool(`${d.kb}/t/t_1/kb/a1`, kbToken, agent)
    expect(kb.status).toBe(200)
    expect(line(kb.traceId)).toMatchObject({ tool: 'kb.read', audience: d.kb })
  })

  test('a refund within the ceiling is issued; over it is refused (403 limit_exceeded)', async () => {
    const writer = await newAgent(d.issuer, INITIAL_ACCESS_TOKEN, SUPPORT_SCOPES)
    const w = (await exchange(d.issuer, writer, await d.userAssertion({ ...USER, scope: SUPPORT_SCOPES }), TYPE_JWT, d.support)).body.access_token as string
    const ok = await callTool(`${d.support}/t/t_1/refunds`, w, writer, { method: 'POST', body: { ticket_id: 'ticket_7', amount: 20 } })
    expect(ok.status).toBe(200)
    const over = await callTool(`${d.support}/t/t_1/refunds`, w, writer, { method: 'POST', body: { ticket_id: 'ticket_7', amount: 501 } })
    expect(over.status).toBe(403)
    expect(over.body.error).toBe('limit_exceeded')
    expect(line(over.traceId)).toMatchObject({ outcome: 'denied', why: 'limit.refund_ceiling', user: 'user_1', facts: { max: 500, requested: 501 } })
  })
})

describe('refusals: status, error, challenge, audit line', () => {
  test('no credential: 401 with a DPoP challenge and no error code (RFC 6750 §3.1), recorded anonymous', async () => {
    const r = await callTool(ticket(), null, agent)
    expect(r.status).toBe(401)
    expect(challenge(r)).toBe('DPoP algs="ES256"')
    expect(r.body).not.toHaveProperty('error')
    expect(line(r.traceId)).toMatchObject({ outcome: 'denied', why: 'auth.missing', user: null, client: null, delegation: [], token_sha256: null })
  })

  test('a DPoP token without a proof: 401 invalid_dpop_proof, attributed to the token', async () => {
    const r = await callTool(ticket(), token, agent, { proof: null })
    expect(r.status).toBe(401)
    expect(r.body.error).toBe('invalid_dpop_proof')
    expect(challenge(r)).toMatch(/^DPoP error="invalid_dpop_proof"/)
    expect(line(r.traceId)).toMatchObject({ why: 'dpop.missing', user: 'user_1', delegation: [agent.clientId] })
  })

  test('a replayed proof: 401 invalid_dpop_proof (the replay cache; the library keeps none)', async () => {
    const first = await callTool(ticket(), token, agent)
    expect(first.status).toBe(200)
    const again = await callTool(ticket(), token, agent, { proof: first.proof })
    expect(again.status).toBe(401)
    expect(again.body.error).toBe('invalid_dpop_proof')
    expect(challenge(again)).toMatch(/^DPoP error="invalid_dpop_proof"/)
    expect(line(again.traceId)).toMatchObject({ why: 'dpop.replayed', user: 'user_1' })
    expect(line(again.traceId)!.facts).toHaveProperty('proof_jti_hash')
  })

  test('a token for another audience: 401 invalid_token, still attributed (the token is genuine)', async () => {
    const r = await callTool(ticket(), kbToken, agent)
    expect(r.status).toBe(401)
    expect(r.body.error).toBe('invalid_token')
    expect(challenge(r)).toMatch(/^DPoP error="invalid_token"/)
    expect(line(r.traceId)).toMatchObject({ why: 'token.wrong_audience', user: 'user_1', client: agent.clientId, facts: { aud: d.kb } })
  })

  test('another tenant\'s resource: 404, recorded as a tenant refusal', async () => {
    const r = await callTool(`${d.support}/t/t_2/tickets/ticket_7`, token, agent)
    expect(r.status).toBe(404)
    expect(r.body.error).toBe('not_found')
    expect(line(r.traceId)).toMatchObject({ why: 'tenant.mismatch', tenant: 't_2', user: 'user_1', facts: { token_tenant: 't_1' } })
  })

  test('a tool the token has no scope for: 403 insufficient_scope with the scope in the challenge', async () => {
    const r = await callTool(`${d.support}/t/t_1/customers/c1`, childToken, child)
    expect(r.status).toBe(403)
    expect(r.body.error).toBe('insufficient_scope')
    expect(challenge(r)).toMatch(/^DPoP error="insufficient_scope".*scope="customers:read"/)
    expect(line(r.traceId)).toMatchObject({ why: 'scope.insufficient', scopes_needed: ['customers:read'], scopes_held: ['tickets:read'], delegation: [child.clientId, agent.clientId] })
  })

  test('a DPoP-bound token sent as Bearer: 401 invalid_token on the Bearer challenge (RFC 9449 §7.2)', async () => {
    const r = await callTool(ticket(), token, agent, { scheme: 'Bearer', proof: null })
    expect(r.status).toBe(401)
    expect(r.body.error).toBe('invalid_token')
    expect(challenge(r)).toMatch(/^Bearer error="invalid_token"/)
    expect(line(r.traceId)).toMatchObject({ why: 'dpop.bearer_scheme', user: 'user_1' })
  })

  test('a proof by another key: 401 invalid_token (key binding)', async () => {
    const r = await callTool(ticket(), token, agent, { proofKey: await newKey() })
    expect(r.status).toBe(401)
    expect(r.body.error).toBe('invalid_token')
    expect(line(r.traceId)).toMatchObject({ why: 'dpop.key_mismatch', user: 'user_1', facts: { expected_jkt: agent.jkt } })
  })

  test('the proof-age window is 60 s, not the library\'s 300 s; +10 s of clock skew passes', async () => {
    const old = await callTool(ticket(), token, agent, { proofOptions: { iat: Math.floor(Date.now() / 1000) - 120 } })
    expect(old.status).toBe(401)
    expect(old.body.error).toBe('invalid_dpop_proof')
    expect(line(old.traceId)).toMatchObject({ why: 'dpop.iat_window' })
    expect(line(old.traceId)!.facts!.iat_skew_s).toBeLessThanOrEqual(-119)
    expect((await callTool(ticket(), token, agent, { proofOptions: { iat: Math.floor(Date.now() / 1000) + 10 } })).status).toBe(200)
  })

  test('htu is checked against the pinned public origin, whatever Host header arrives', async () => {
    const ath = await sha256(token)
    const t = traceparent()
    const spoofed = await rawGet(ticket(), [['host', 'evil.example:8080'], ['authorization', `DPoP ${token}`], ['dpop', await dpopProof(agent, 'GET', ticket(), { ath })], ['traceparent', t.traceparent]])
    expect(spoofed.status).toBe(200)
    const u = traceparent()
    const forHost = await rawGet(ticket(), [['host', 'evil.example:8080'], ['authorization', `DPoP ${token}`], ['dpop', await dpopProof(agent, 'GET', 'http://evil.example:8080/t/t_1/tickets/ticket_7', { ath })], ['traceparent', u.traceparent]])
    expect(forHost.status).toBe(401)
    expect(line(u.traceId)).toMatchObject({ why: 'dpop.htu_mismatch', facts: { claimed_htu: 'http://evil.example:8080/t/t_1/tickets/ticket_7' } })
  })

  test('an agent\'s own client-credentials token (no act): 403, delegation required', async () => {
    const cc = await tokenRequest(d.issuer, agent, { params: { grant_type: 'client_credentials', resource: d.support, scope: 'tickets:read' } })
    expect(cc.status, JSON.stringify(cc.body)).toBe(200)
    const r = await callTool(ticket(), cc.body.access_token as string, agent)
    expect(r.status).toBe(403)
    expect(line(r.traceId)).toMatchObject({ why: 'policy.delegation_required', user: agent.clientId, user_kind: 'agent', delegation: [] })
  })

  test('a forged token names nobody; a tampered one neither', async () => {
    const [h, p] = token.split('.')
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), scope: 'refunds:write' })).toString('base64url')}.${token.split('.')[2]}`
    const r = await callTool(ticket(), tampered, agent)
    expect(r.status).toBe(401)
    expect(r.body.error).toBe('invalid_token')
    expect(line(r.traceId)).toMatchObject({ why: 'token.bad_signature', user: null, client: null, delegation: [] })
  })

  test('two Authorization headers, DPoP and Bearer: 400 invalid_request (RFC 9449 Fig. 19)', async () => {
    const t = traceparent()
    const proof = await dpopProof(agent, 'GET', ticket(), { ath: await sha256(token) })
    const r = await rawGet(ticket(), [['authorization', `DPoP ${token}`], ['authorization', `Bearer ${token}`], ['dpop', proof], ['traceparent', t.traceparent]])
    expect(r.status).toBe(400)
    expect(r.body.error).toBe('invalid_request')
    expect(line(t.traceId)).toMatchObject({ why: 'dpop.dual_scheme', facts: { presented_schemes: ['dpop', 'bearer'] } })
  })
})
