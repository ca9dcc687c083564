/**
 * The token response's `scope` (RFC 6749 §5.1: REQUIRED when the issued scope differs from the
 * requested one), as escalate.exchange-scope.omitted sends it: the agent's exchange for its user
 * without scope, which the correct reference serves with its default (all the client may hold here)
 * and states. The flaw switch token-response-scope-omitted echoes scope only when the client sent
 * one: the default is granted (the evidence record says so) but the response does not tell the
 * client what it holds.
 */
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { referenceTarget } from '../../../targets/reference/adapter.ts'
import { setUp, USER, type Setup } from './helpers/as-attacks.ts'
import { TYPE_JWT, type HttpResult } from './helpers/world.ts'

/** pop.agent (registered for tickets:read customers:read refunds:write, as USER is entitled) exchanges for USER, with or without scope. */
async function exchange(s: Setup, scope?: string): Promise<HttpResult> {
  return s.world.exchange(s.pop.agent, await s.world.idp.assertion(USER, s.world.target.issuer), TYPE_JWT, scope)
}

describe('correct target: the default granted to a request without scope is stated', () => {
  let s: Setup
  beforeAll(async () => {
    s = await setUp([])
  })
  afterAll(async () => {
    await s?.world.stop()
  })

  test('escalate.exchange-scope.omitted (RFC 6749 §3.3, §5.1): no scope → 200, the response states the token\'s scope, allow record', async () => {
    const res = await exchange(s)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(typeof res.body.scope).toBe('string')
    expect(res.body.scope).toBe(decodeJwt(res.body.access_token as string).scope)
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ decision: 'allow', status: 200, client_id: s.pop.agent.clientId, resource: { tool: 'token.exchange' } })
  })
})

describe('token-response-scope-omitted: scope is echoed only when the client sent one', () => {
  let f: Setup
  beforeAll(async () => {
    f = await setUp(['token-response-scope-omitted'])
  })
  afterAll(async () => {
    await f?.world.stop()
  })

  test('the flaw names its control and both cases', () => {
    expect(referenceTarget.flaws.find((x) => x.name === 'token-response-scope-omitted')?.caughtBy).toEqual(['escalate.exchange-scope.omitted', 'escalate.exchange-scope.empty'])
  })

  test('no scope, or scope= → a token with the default scope, and no scope in the response; the record is an allow', async () => {
    for (const res of [await exchange(f), await exchange(f, '')]) {
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(res.body).not.toHaveProperty('scope')
      expect(decodeJwt(res.body.access_token as string).scope).toBeTruthy()
      expect(await f.world.recordFor(res.traceId)).toMatchObject({ decision: 'allow', status: 200 })
    }
  })

  test('only that path: a request with scope still gets it stated', async () => {
    const res = await exchange(f, 'tickets:read')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.scope).toBe('tickets:read')
  })
})
