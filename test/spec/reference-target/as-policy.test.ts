/**
 * Authorization-server controls the harness's attack cases exercise (RFC 8693 delegation policy,
 * RFC 7523 client authentication), each refused by the correct reference target with the catalog's
 * status and OAuth error, and a deny record (read back from the sink) in the expected reason area
 * with the attribution the case expects. The flaw switches that break them: as-flaws.test.ts.
 */
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { attack, NARROW_USER, otherIssuer, setUp, TENANT, UNKNOWN_RESOURCE, USER, type Setup } from './helpers/as-attacks.ts'
import { tokenWithAssertion } from './helpers/as-requests.ts'
import { ath, clientAssertion } from './helpers/client-crypto.ts'
import { GRANT_EXCHANGE, TYPE_AT, TYPE_JWT, type Actor } from './helpers/world.ts'

describe('correct target: delegation policy and client authentication', () => {
  let s: Setup
  /** an agent token with a 1 s lifetime, exchanged by the agent's child after it expired (last test) */
  let expiring: { child: Actor; token: string }
  beforeAll(async () => {
    s = await setUp([])
    const agent = await s.world.register({ tenant: TENANT, scope: 'tickets:read' })
    const child = await s.world.register({ tenant: TENANT, scope: 'tickets:read', parent: agent.clientId, grantTypes: [GRANT_EXCHANGE] })
    await s.world.target.admin!.setTokenTtl(agent.clientId, 1)
    const res = await s.world.token(agent, { grant_type: 'client_credentials', resource: s.world.rs.audience })
    expect(res.status).toBe(200)
    expiring = { child, token: res.body.access_token as string }
  })
  afterAll(async () => {
    await s?.world.stop()
  })

  test('replay.exchange-laundering: a client that is no child of the current actor → 400 invalid_request (exchange.not_delegate) [exchange]', async () => {
    const res = await attack.laundering(s)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      decision: 'deny', reason: 'exchange.not_delegate', status: 400, error: 'invalid_request', client_id: s.stranger.clientId,
      principal: { sub: USER.sub, type: 'user' }, actors: [s.stranger.clientId, s.pop.agent.clientId],
      correlation: { parent_token_hash: ath(s.pop.agentToken), token_hash: null }, detail: { subject_actor: s.pop.agent.clientId },
    })
  })

  test('escalate.exchange-upscope (RFC 8693 §5; RFC 6749 §5.2): more scope than the user assertion holds → 400 invalid_scope (exchange.scope_widen) [exchange]', async () => {
    const res = await attack.upscope(s)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_scope')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      decision: 'deny', reason: 'exchange.scope_widen', principal: { sub: NARROW_USER.sub, type: 'user' }, actors: [s.wide.clientId],
      scope: { required: ['tickets:read', 'refunds:write'], held: ['tickets:read'] },
      detail: { requested_scope: ['tickets:read', 'refunds:write'], subject_scope: ['tickets:read'] },
    })
  })

  test('escalate.exchange-target (RFC 8693 §2.2.2; RFC 8707 §2): an unknown resource → 400 invalid_target (exchange.target_unknown), refused before the subject is trusted', async () => {
    const res = await attack.unknownTarget(s)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_target')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      decision: 'deny', reason: 'exchange.target_unknown', client_id: s.pop.agent.clientId, principal: { sub: null }, actors: [],
      detail: { requested_target: UNKNOWN_RESOURCE },
    })
  })

  test('escalate.exchange-target: a sub-agent asking rs-2 for its parent\'s rs-1 token → 400 invalid_target (exchange.target_widen)', async () => {
    const res = await attack.otherRs(s)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_target')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      reason: 'exchange.target_widen', principal: { sub: USER.sub }, actors: [s.pop.sub.clientId, s.pop.agent.clientId],
      detail: { requested_target: s.world.rs2.audience, subject_aud: s.world.rs.audience },
    })
  })

  test('escalate.may-act (RFC 8693 §4.4): an assertion whose may_act names another agent → 400 invalid_request (exchange.may_act); the named agent succeeds', async () => {
    const res = await attack.mayAct(s)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      reason: 'exchange.may_act', principal: { sub: USER.sub, type: 'user' }, actors: [s.stranger.clientId],
      detail: { may_act: { sub: s.pop.agent.clientId }, actor: s.stranger.clientId },
    })
    const named = await s.world.exchange(s.pop.agent, await s.world.idp.assertion(USER, s.world.target.issuer, 300, { may_act: { sub: s.pop.agent.clientId } }), TYPE_JWT, 'tickets:read')
    expect(named.status).toBe(200)
  })

  test('unattributed.actor-spoof (RFC 8693 §2.1, §4.1): actor_token naming another actor → 400 invalid_request; an `act` form parameter too', async () => {
    const res = await attack.actorToken(s)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      reason: 'exchange.actor_token_unsupported', client_id: s.pop.agent.clientId, principal: { sub: null }, actors: [],
      detail: { claimed_actor: s.pop.sub.clientId, authenticated_actor: s.pop.agent.clientId },
    })
    const act = await s.world.token(s.pop.agent, {
      grant_type: GRANT_EXCHANGE, subject_token: await s.world.idp.assertion(USER, s.world.target.issuer), subject_token_type: TYPE_JWT,
      resource: s.world.rs.audience, act: JSON.stringify({ sub: s.stranger.clientId }),
    })
    expect(act.status).toBe(400)
    expect(act.body.error).toBe('invalid_request')
    expect(await s.world.recordFor(act.traceId)).toMatchObject({ reason: 'exchange.actor_claimed', detail: { claimed_actor: s.stranger.clientId } })
  })

  test('unattributed.anon-exchange (RFC 8693 §2.1, §5): an exchange with only client_id, no assertion → 401 invalid_client (client.auth_missing), anonymous, detail subject_token_hash', async () => {
    const res = await attack.anon(s)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    const r = await s.world.recordFor(res.traceId)
    expect(r).toMatchObject({ decision: 'deny', reason: 'client.auth_missing', principal: { sub: null, type: 'anonymous' }, client_id: null, actors: [] })
    expect(r.detail?.subject_token_hash).toBe(r.correlation.parent_token_hash)
    expect(r.detail?.subject_token_hash).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  test('unattributed.client-assertion.wrong-aud (RFC 7523 §3): aud = another AS\'s issuer identifier → 401 invalid_client (client.assertion_audience)', async () => {
    const res = await attack.wrongAud(s)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ reason: 'client.assertion_audience', principal: { type: 'anonymous' }, detail: { aud: otherIssuer(s.world) } })
  })

  test('unattributed.client-assertion.expired (RFC 7523 §3): exp ten minutes ago → 401 invalid_client (client.assertion_expired, detail assertion_exp)', async () => {
    const res = await attack.expiredAssertion(s)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ reason: 'client.assertion_expired', principal: { type: 'anonymous' }, detail: { assertion_exp: expect.any(Number) } })
  })

  test('unattributed.client-assertion.jti-reuse (RFC 7523 §3): the same assertion twice → the second 401 invalid_client (client.assertion_replay)', async () => {
    const assertion = await clientAssertion(s.pop.agent.key, s.pop.agent.clientId, s.world.tokenEndpoint)
    const params = { grant_type: 'client_credentials', resource: s.world.rs.audience }
    expect((await tokenWithAssertion(s.world, s.pop.agent, assertion, params)).status).toBe(200)
    const again = await tokenWithAssertion(s.world, s.pop.agent, assertion, params)
    expect(again.status).toBe(401)
    expect(again.body.error).toBe('invalid_client')
    expect((await s.world.recordFor(again.traceId)).reason).toBe('client.assertion_replay')
  })

  test('lifecycle.reexchange-widen (TXN §13.6, §13.15): the narrowed token as subject, asking back removed scope → 400 invalid_scope (exchange.scope_widen), with the parent token hash', async () => {
    const res = await attack.reexchange(s)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_scope')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      reason: 'exchange.scope_widen', actors: [s.grandchild.clientId, s.pop.sub.clientId, s.pop.agent.clientId],
      correlation: { parent_token_hash: ath(s.pop.subToken) }, detail: { requested_scope: ['customers:read'], subject_scope: ['tickets:read'] },
    })
  })

  test('lifecycle.expired-subject (RFC 8693 §2.2.2; TXN §6): an IdP assertion past exp → 400 invalid_request (exchange.subject_expired, detail subject_exp), the subject not trusted', async () => {
    const res = await attack.expiredSubject(s)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      reason: 'exchange.subject_expired', client_id: s.pop.agent.clientId, principal: { sub: null }, actors: [],
      detail: { subject_exp: expect.any(Number), subject_token_type: TYPE_JWT },
    })
  })

  test('lifecycle.expired-subject: an AS access token past exp (1 s lifetime via the admin hook) → 400 invalid_request (exchange.subject_expired)', async () => {
    const exp = decodeJwt(expiring.token).exp!
    const wait = (exp + 6) * 1000 - Date.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const res = await s.world.exchange(expiring.child, expiring.token, TYPE_AT)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ reason: 'exchange.subject_expired', detail: { subject_exp: exp, subject_token_type: TYPE_AT } })
  })
})

