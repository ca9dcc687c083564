/**
 * Parameter pollution at the token endpoint (RFC 6749 §3.2), as the escalate.param-pollution.*
 * cases send it: an ordinary exchange with subject_token or scope sent twice. The correct
 * reference target answers 400 invalid_request while parsing, before anyone is authenticated, and
 * records nobody; the flaw switch token-params-last-wins serves the last value instead.
 */
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { referenceTarget } from '../../../targets/reference/adapter.ts'
import { setUp, USER, type Setup } from './helpers/as-attacks.ts'
import { ASSERTION_TYPE } from './helpers/as-requests.ts'
import { clientAssertion, dpopProof } from './helpers/client-crypto.ts'
import { GRANT_EXCHANGE, TYPE_JWT, type HttpResult } from './helpers/world.ts'

/** The agent's exchange for its user with `param` sent twice (for scope: narrow first, wide last). */
async function polluted(s: Setup, param: 'subject_token' | 'scope'): Promise<HttpResult> {
  const agent = s.pop.agent
  const form = new URLSearchParams([
    ['client_assertion_type', ASSERTION_TYPE],
    ['client_assertion', await clientAssertion(agent.key, agent.clientId, s.world.target.issuer)],
    ['grant_type', GRANT_EXCHANGE],
    ['client_id', agent.clientId],
    ['subject_token', await s.world.idp.assertion(USER, s.world.target.issuer)],
    ['subject_token_type', TYPE_JWT],
    ['resource', s.world.rs.audience],
    ['scope', 'tickets:read'],
  ])
  if (param === 'subject_token') form.append('subject_token', await s.world.idp.assertion(USER, s.world.target.issuer))
  else form.append('scope', 'tickets:read customers:read')
  const proof = await dpopProof(agent.key, { htm: 'POST', htu: s.world.tokenEndpoint })
  return s.world.http('POST', s.world.tokenEndpoint, { 'content-type': 'application/x-www-form-urlencoded', dpop: proof }, form.toString())
}

describe('correct target: a repeated parameter → 400 invalid_request, nobody recorded', () => {
  let s: Setup
  beforeAll(async () => {
    s = await setUp([])
  })
  afterAll(async () => {
    await s?.world.stop()
  })

  test.each([
    ['subject-token', 'subject_token'],
    ['scope', 'scope'],
  ] as const)('escalate.param-pollution.%s (RFC 6749 §3.2): %s twice → 400 invalid_request (policy.invalid_request, detail repeated_parameter)', async (_id, param) => {
    const res = await polluted(s, param)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      decision: 'deny', status: 400, error: 'invalid_request', reason: 'policy.invalid_request',
      principal: { sub: null, type: 'anonymous' }, client_id: null, actors: [],
      resource: { tool: 'token.exchange' }, detail: { repeated_parameter: param },
    })
  })
})

describe('token-params-last-wins: the last value is served', () => {
  let f: Setup
  beforeAll(async () => {
    f = await setUp(['token-params-last-wins'])
  })
  afterAll(async () => {
    await f?.world.stop()
  })

  test('the flaw names its control and both cases', () => {
    expect(referenceTarget.flaws.find((x) => x.name === 'token-params-last-wins')?.caughtBy).toEqual(['escalate.param-pollution.subject-token', 'escalate.param-pollution.scope'])
  })

  test('token-params-last-wins (escalate.param-pollution.scope): narrow first, wide last → a token with the wide scope', async () => {
    const res = await polluted(f, 'scope')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(decodeJwt(res.body.access_token as string).scope).toBe('tickets:read customers:read')
  })

  test('token-params-last-wins (escalate.param-pollution.subject-token): two subject tokens → served', async () => {
    const res = await polluted(f, 'subject_token')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
  })
})
