/**
 * escalate.exchange-scope.* against the reference AS: a token exchange without scope, with `scope=`,
 * and with scope the subject holds but the client was not registered for. The correct target serves
 * the first two with its default, exactly what the client may hold (registration ∩ subject ∩
 * resource; RFC 6749 §3.2, §3.3), and refuses the third with invalid_scope (RFC 8693 §2.2.1); each
 * flaw switch (flaws.ts) shows the way that ceiling goes wrong, and the cases catch it.
 */
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { setUp, TENANT, USER, type Setup } from './helpers/as-attacks.ts'
import { ath } from './helpers/client-crypto.ts'
import { TYPE_AT, TYPE_JWT } from './helpers/world.ts'

/** the user lost refunds:write: one scope fewer than pop.agent is registered for */
const LOST_REFUNDS = { sub: 'user_8', tenant: TENANT, scope: 'tickets:read customers:read' }
const FLAWS = ['exchange-omitted-scope-widens', 'exchange-scope-unregistered']

const scopeOf = (token: string): string[] => String(decodeJwt(token).scope).split(' ').sort()

// each attack as the case sends it: pop.agent (tickets:read customers:read refunds:write) with the
// narrowed user's assertion, and pop.sub (tickets:read customers:read) with the agent's token
const omitted = async (s: Setup) => s.world.exchange(s.pop.agent, await s.world.idp.assertion(LOST_REFUNDS, s.world.target.issuer), TYPE_JWT)
const empty = async (s: Setup) => s.world.exchange(s.pop.agent, await s.world.idp.assertion(LOST_REFUNDS, s.world.target.issuer), TYPE_JWT, '')
const unregistered = (s: Setup) => s.world.exchange(s.pop.sub, s.pop.agentToken, TYPE_AT, 'tickets:read customers:read refunds:write')

describe('correct target: exchange scope defaults and the client\'s registration', () => {
  let s: Setup
  beforeAll(async () => {
    s = await setUp([])
  })
  afterAll(async () => {
    await s?.world.stop()
  })

  test('escalate.exchange-scope.omitted (RFC 6749 §3.3, RFC 8693 §2.2.1): no scope → 200, the default is registration ∩ subject, refunds:write withheld; allow record', async () => {
    const res = await omitted(s)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const token = res.body.access_token as string
    expect(scopeOf(token)).toEqual(['customers:read', 'tickets:read'])
    expect(res.body.scope).toBe('tickets:read customers:read')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      decision: 'allow', reason: 'ok', status: 200, client_id: s.pop.agent.clientId, principal: { sub: LOST_REFUNDS.sub, type: 'user' }, actors: [s.pop.agent.clientId],
      resource: { tool: 'token.exchange', tenant: TENANT }, scope: { held: ['tickets:read', 'customers:read'] }, correlation: { token_hash: ath(token) },
    })
  })

  test('escalate.exchange-scope.empty (RFC 6749 §3.2: a parameter without a value is omitted; §3.3 ABNF has no empty scope): scope= → 200 with the same default, never "no restriction"', async () => {
    const res = await empty(s)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(scopeOf(res.body.access_token as string)).toEqual(['customers:read', 'tickets:read'])
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ decision: 'allow', reason: 'ok', scope: { held: ['tickets:read', 'customers:read'] } })
  })

  test('escalate.exchange-scope.unregistered (RFC 8693 §2.2.1; RFC 6749 §5.2): a sub-agent asks for its parent\'s refunds:write → 400 invalid_scope (exchange.scope_widen), detail requested_scope', async () => {
    const res = await unregistered(s)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_scope')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      decision: 'deny', reason: 'exchange.scope_widen', status: 400, error: 'invalid_scope', client_id: s.pop.sub.clientId,
      principal: { sub: USER.sub, type: 'user' }, actors: [s.pop.sub.clientId, s.pop.agent.clientId], resource: { tenant: TENANT },
      scope: { required: ['tickets:read', 'customers:read', 'refunds:write'], held: ['tickets:read', 'customers:read'] },
      correlation: { parent_token_hash: ath(s.pop.agentToken), token_hash: null },
      detail: { requested_scope: ['tickets:read', 'customers:read', 'refunds:write'], subject_scope: ['tickets:read', 'customers:read', 'refunds:write'] },
    })
  })
})

describe(`flawed target (${FLAWS.join(', ')}): each case gets its wider token`, () => {
  let s: Setup
  beforeAll(async () => {
    s = await setUp(FLAWS)
  })
  afterAll(async () => {
    await s?.world.stop()
  })

  test('exchange-omitted-scope-widens (escalate.exchange-scope.omitted, escalate.exchange-scope.empty): with no scope, or scope=, the agent gets refunds:write the user no longer holds', async () => {
    for (const res of [await omitted(s), await empty(s)]) {
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(scopeOf(res.body.access_token as string)).toEqual(['customers:read', 'refunds:write', 'tickets:read'])
    }
    // an explicit scope still goes through the correct path
    const asked = await s.world.exchange(s.pop.agent, await s.world.idp.assertion(LOST_REFUNDS, s.world.target.issuer), TYPE_JWT, 'tickets:read refunds:write')
    expect(asked.status).toBe(400)
  })

  test('exchange-scope-unregistered (escalate.exchange-scope.unregistered): the sub-agent gets refunds:write, which only its parent\'s token held', async () => {
    const res = await unregistered(s)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(scopeOf(res.body.access_token as string)).toEqual(['customers:read', 'refunds:write', 'tickets:read'])
  })
})
