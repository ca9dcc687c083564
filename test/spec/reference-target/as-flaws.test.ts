/**
 * The authorization server's flaw switches (flaws.ts): each disables exactly one control, and the
 * attack case it names gets through, while the correct target refuses it (as-policy.test.ts,
 * lifecycle-ops.test.ts). Flawed targets start in two groups whose flaws sit on disjoint paths, so
 * each test still exercises one flaw alone, and each group shows the other group's controls hold.
 */
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { referenceTarget } from '../../../targets/reference/adapter.ts'
import { attack, setUp, TENANT, TICKET, UNKNOWN_RESOURCE, USER, type Setup } from './helpers/as-attacks.ts'
import { atEveryReplica, deleteClient, revoke } from './helpers/as-requests.ts'
import { TYPE_AT, TYPE_JWT } from './helpers/world.ts'

const FLAWS_A = ['exchange-laundering', 'reexchange-widen', 'client-assertion-aud-unchecked', 'anon-exchange-allowed', 'client-deletion-ignored', 'revocation-not-propagated', 'retired-key-accepted']
const FLAWS_B = ['exchange-upscope', 'exchange-target-unchecked', 'may-act-ignored', 'actor-token-trusted', 'client-assertion-exp-unchecked', 'expired-subject-accepted', 'offboarding-not-propagated']
const AS_FLAWS = [...FLAWS_A, ...FLAWS_B]

describe('AS flaw switches: each lets exactly its case through', () => {
  let a: Setup
  let b: Setup
  beforeAll(async () => {
    ;[a, b] = await Promise.all([setUp(FLAWS_A), setUp(FLAWS_B)])
  })
  afterAll(async () => {
    await Promise.all([a?.world.stop(), b?.world.stop()])
  })

  test('every AS flaw is known, names its control and the case that catches it', () => {
    const byName = new Map(referenceTarget.flaws.map((f) => [f.name, f]))
    const caught: Record<string, string> = {
      'exchange-laundering': 'replay.exchange-laundering', 'exchange-upscope': 'escalate.exchange-upscope', 'reexchange-widen': 'lifecycle.reexchange-widen',
      'exchange-target-unchecked': 'escalate.exchange-target', 'may-act-ignored': 'escalate.may-act', 'actor-token-trusted': 'unattributed.actor-spoof',
      'anon-exchange-allowed': 'unattributed.anon-exchange', 'client-assertion-aud-unchecked': 'unattributed.client-assertion.wrong-aud',
      'client-assertion-exp-unchecked': 'unattributed.client-assertion.expired', 'client-deletion-ignored': 'lifecycle.offboarded-agent.token-request',
      'offboarding-not-propagated': 'lifecycle.offboarded-agent.old-token', 'revocation-not-propagated': 'lifecycle.revoked-at',
      'retired-key-accepted': 'lifecycle.retired-key', 'expired-subject-accepted': 'lifecycle.expired-subject',
    }
    expect(Object.keys(caught).sort()).toEqual([...AS_FLAWS].sort())
    for (const [name, id] of Object.entries(caught)) {
      expect(byName.get(name)?.caughtBy, name).toEqual([id])
      expect(byName.get(name)?.control.length, name).toBeGreaterThan(20)
    }
    expect(a.world.target.flaws).toEqual(FLAWS_A)
  })

  describe(`group A: ${FLAWS_A.join(', ')}`, () => {
    test('exchange-laundering (replay.exchange-laundering): a stranger turns the agent\'s token into one bound to its own key', async () => {
      const res = await attack.laundering(a)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(decodeJwt(res.body.access_token as string)).toMatchObject({ sub: USER.sub, client_id: a.stranger.clientId, cnf: { jkt: a.stranger.key.jkt }, act: { sub: a.stranger.clientId, act: { sub: a.pop.agent.clientId } } })
    })

    test('reexchange-widen (lifecycle.reexchange-widen): the narrowed token regains customers:read one hop down', async () => {
      const res = await attack.reexchange(a)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(decodeJwt(res.body.access_token as string).scope).toBe('customers:read')
    })

    test('client-assertion-aud-unchecked (unattributed.client-assertion.wrong-aud): aud = another AS\'s issuer is accepted', async () => {
      const res = await attack.wrongAud(a)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
    })

    test('anon-exchange-allowed (unattributed.anon-exchange): an exchange with no client authentication is served', async () => {
      const res = await attack.anon(a)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(decodeJwt(res.body.access_token as string)).toMatchObject({ sub: USER.sub, client_id: a.pop.agent.clientId, cnf: { jkt: a.pop.agent.key.jkt }, scope: 'tickets:read' })
      expect(await a.world.recordFor(res.traceId)).toMatchObject({ decision: 'allow', client_id: null, principal: { sub: USER.sub } })
    })

    test('revocation-not-propagated (lifecycle.revoked-at): revocation answers 200 but every replica still serves the token', async () => {
      const token = (await a.world.exchange(a.pop.agent, await a.world.idp.assertion(USER, a.world.target.issuer), TYPE_JWT, 'tickets:read')).body.access_token as string
      const res = await revoke(a.world, a.pop.agent, token)
      expect(res.status).toBe(200)
      expect(await a.world.recordFor(res.traceId)).toMatchObject({ detail: { token_state: 'revoked', propagated: false } })
      const results = await atEveryReplica(a.world, a.pop.agent, token, TICKET)
      expect(results.map((r) => r.res.status)).toEqual(results.map(() => 200))
      // only the push is off: the AS itself refuses the revoked token as a subject
      expect((await a.world.exchange(a.pop.sub, token, TYPE_AT, 'tickets:read')).status).toBe(400)
    })

    test('client-deletion-ignored (lifecycle.offboarded-agent.token-request): a deleted client still gets tokens; its old tokens still die at the replicas', async () => {
      const agent = await a.world.register({ tenant: TENANT, scope: 'tickets:read' })
      const old = (await a.world.exchange(agent, await a.world.idp.assertion(USER, a.world.target.issuer), TYPE_JWT, 'tickets:read')).body.access_token as string
      expect((await a.world.call(agent, old, 'GET', TICKET)).status).toBe(200)
      expect((await deleteClient(a.world, agent.response)).status).toBe(204)
      const res = await a.world.token(agent, { grant_type: 'client_credentials', resource: a.world.rs.audience })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      const results = await atEveryReplica(a.world, agent, old, TICKET)
      expect(results.map((r) => r.res.status)).toEqual(results.map(() => 401))
      for (const { res: r } of results) expect((await a.world.recordFor(r.traceId)).reason).toBe('client.offboarded')
    })

    test('group B\'s controls hold: up-scope, target, may_act, actor_token, expired assertion and expired subject are still refused', async () => {
      expect((await attack.upscope(a)).status).toBe(400)
      expect((await attack.unknownTarget(a)).status).toBe(400)
      expect((await attack.otherRs(a)).status).toBe(400)
      expect((await attack.mayAct(a)).status).toBe(400)
      expect((await attack.actorToken(a)).status).toBe(400)
      expect((await attack.expiredAssertion(a)).status).toBe(401)
      expect((await attack.expiredSubject(a)).status).toBe(400)
    })

    // last in group A: it retires the key every earlier token was signed with
    test('retired-key-accepted (lifecycle.retired-key): after retirement the replicas keep the cached key and serve the token', async () => {
      const admin = a.world.target.admin!
      const old = await admin.currentSigningKid()
      expect((await a.world.call(a.pop.agent, a.pop.agentToken, 'GET', TICKET)).status).toBe(200)
      await admin.rotateSigningKey()
      await admin.retireSigningKey(old)
      const jwks = await a.world.http('GET', `${a.world.target.issuer}/jwks`, {})
      expect((jwks.body.keys as { kid: string }[]).map((k) => k.kid)).not.toContain(old)
      const results = await atEveryReplica(a.world, a.pop.agent, a.pop.agentToken, TICKET)
      expect(results.map((r) => r.res.status)).toEqual(results.map(() => 200))
    })
  })

  describe(`group B: ${FLAWS_B.join(', ')}`, () => {
    test('exchange-upscope (escalate.exchange-upscope): the issued token holds scope the user assertion lacks', async () => {
      const res = await attack.upscope(b)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(decodeJwt(res.body.access_token as string).scope).toBe('tickets:read refunds:write')
    })

    test('exchange-target-unchecked (escalate.exchange-target): an unknown resource, and rs-2 for an rs-1 subject, are both issued', async () => {
      const unknown = await attack.unknownTarget(b)
      expect(unknown.status, JSON.stringify(unknown.body)).toBe(200)
      expect(decodeJwt(unknown.body.access_token as string).aud).toBe(UNKNOWN_RESOURCE)
      const other = await attack.otherRs(b)
      expect(other.status, JSON.stringify(other.body)).toBe(200)
      expect(decodeJwt(other.body.access_token as string).aud).toBe(b.world.rs2.audience)
    })

    test('actor-token-trusted (unattributed.actor-spoof): the issued token names the actor_token\'s client as actor', async () => {
      const res = await attack.actorToken(b)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(decodeJwt(res.body.access_token as string)).toMatchObject({ client_id: b.pop.agent.clientId, act: { sub: b.pop.sub.clientId } })
    })

    test('client-assertion-exp-unchecked (unattributed.client-assertion.expired): an assertion expired ten minutes ago is accepted', async () => {
      const res = await attack.expiredAssertion(b)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
    })

    test('may-act-ignored (escalate.may-act): an agent not named in may_act gets the token', async () => {
      const res = await attack.mayAct(b)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(decodeJwt(res.body.access_token as string)).toMatchObject({ act: { sub: b.stranger.clientId } })
    })

    test('expired-subject-accepted (lifecycle.expired-subject): an expired user assertion is exchanged', async () => {
      const res = await attack.expiredSubject(b)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
    })

    test('offboarding-not-propagated (lifecycle.offboarded-agent.old-token): after deletion the old token still works at every replica; new token requests are still refused', async () => {
      const agent = await b.world.register({ tenant: TENANT, scope: 'tickets:read' })
      const token = (await b.world.exchange(agent, await b.world.idp.assertion(USER, b.world.target.issuer), TYPE_JWT, 'tickets:read')).body.access_token as string
      expect((await b.world.call(agent, token, 'GET', TICKET)).status).toBe(200)
      const del = await deleteClient(b.world, agent.response)
      expect(del.status).toBe(204)
      expect(await b.world.recordFor(del.traceId)).toMatchObject({ detail: { propagated: false } })
      const results = await atEveryReplica(b.world, agent, token, TICKET)
      expect(results.map((r) => r.res.status)).toEqual(results.map(() => 200))
      const again = await b.world.token(agent, { grant_type: 'client_credentials', resource: b.world.rs.audience })
      expect(again.status).toBe(401)
      expect((await b.world.recordFor(again.traceId)).reason).toBe('client.deleted')
    })

    test('group A\'s controls hold: laundering, re-exchange widening, wrong assertion aud and anonymous exchange are still refused', async () => {
      expect((await attack.laundering(b)).status).toBe(400)
      expect((await attack.reexchange(b)).status).toBe(400)
      expect((await attack.wrongAud(b)).status).toBe(401)
      expect((await attack.anon(b)).status).toBe(401)
    })
  })

})
