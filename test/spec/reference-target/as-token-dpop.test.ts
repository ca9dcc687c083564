/**
 * The DPoP proof at the token endpoint (RFC 9449 §5, §5.2, §4.3), as the replay.token-dpop.* cases
 * send it: an ordinary exchange, correctly authenticated, with a proof for an RS URL, for GET, with
 * alg none, or with none at all. The correct reference target answers 400 invalid_dpop_proof and
 * records the client only (no subject was trusted); the flaw switches let the requests through.
 */
import { randomUUID } from 'node:crypto'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { referenceTarget } from '../../../targets/reference/adapter.ts'
import { setUp, TENANT, TICKET, USER, type Setup } from './helpers/as-attacks.ts'
import { ASSERTION_TYPE } from './helpers/as-requests.ts'
import { clientAssertion, dpopProof } from './helpers/client-crypto.ts'
import { GRANT_EXCHANGE, TYPE_JWT, type HttpResult } from './helpers/world.ts'

const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url')

type Variant = 'other-uri' | 'other-method' | 'alg-none' | 'missing'

/** The agent's ordinary exchange for its user, with the variant's DPoP header (or none). */
async function exchangeWithProof(s: Setup, variant: Variant): Promise<HttpResult> {
  const agent = s.pop.agent
  const te = s.world.tokenEndpoint
  const proof = variant === 'other-uri' ? await dpopProof(agent.key, { htm: 'POST', htu: `${s.world.rs.origin}${TICKET}` })
    : variant === 'other-method' ? await dpopProof(agent.key, { htm: 'GET', htu: te })
    : variant === 'alg-none' ? `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: agent.key.publicJwk })}.${b64({ jti: randomUUID(), htm: 'POST', htu: te, iat: Math.floor(Date.now() / 1000) })}.`
    : null
  const form = new URLSearchParams({
    client_assertion_type: ASSERTION_TYPE, client_assertion: await clientAssertion(agent.key, agent.clientId, s.world.target.issuer),
    grant_type: GRANT_EXCHANGE, client_id: agent.clientId, subject_token: await s.world.idp.assertion(USER, s.world.target.issuer),
    subject_token_type: TYPE_JWT, resource: s.world.rs.audience, scope: 'tickets:read',
  })
  return s.world.http('POST', te, { 'content-type': 'application/x-www-form-urlencoded', ...(proof !== null ? { dpop: proof } : {}) }, form.toString())
}

describe('correct target: the token endpoint checks the DPoP proof → 400 invalid_dpop_proof, the client only', () => {
  let s: Setup
  beforeAll(async () => {
    s = await setUp([])
  })
  afterAll(async () => {
    await s?.world.stop()
  })

  test.each([
    ['other-uri', 'dpop.htu_mismatch', 'a proof for a resource server\'s tool URL'],
    ['other-method', 'dpop.htm_mismatch', 'a proof for GET'],
    ['alg-none', 'dpop.alg', 'alg none'],
    ['missing', 'dpop.missing', 'no DPoP header (RFC 9449 §5.2: the client registered dpop_bound_access_tokens)'],
  ] as const)('replay.token-dpop.%s (RFC 9449 §5): refused as %s, %s', async (variant: Variant, reason: string, _what: string) => {
    const res = await exchangeWithProof(s, variant)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_dpop_proof')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({
      decision: 'deny', status: 400, error: 'invalid_dpop_proof', reason,
      client_id: s.pop.agent.clientId, principal: { sub: null }, actors: [], resource: { tenant: TENANT },
    })
  })
})

describe('token-endpoint DPoP flaw switches: each lets its cases through', () => {
  let f: Setup
  beforeAll(async () => {
    f = await setUp(['token-dpop-proof-unchecked', 'token-dpop-optional'])
  })
  afterAll(async () => {
    await f?.world.stop()
  })

  test('each flaw names its control and its cases', () => {
    const byName = new Map(referenceTarget.flaws.map((x) => [x.name, x]))
    expect(byName.get('token-dpop-proof-unchecked')?.caughtBy).toEqual(['replay.token-dpop.other-uri', 'replay.token-dpop.other-method', 'replay.token-dpop.alg-none'])
    expect(byName.get('token-dpop-optional')?.caughtBy).toEqual(['replay.token-dpop.missing'])
  })

  test.each(['other-uri', 'other-method', 'alg-none'] as const)('token-dpop-proof-unchecked (replay.token-dpop.%s): a token bound to the proof\'s key is issued', async (variant) => {
    const res = await exchangeWithProof(f, variant)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.token_type).toBe('DPoP')
    expect(decodeJwt(res.body.access_token as string)).toMatchObject({ sub: USER.sub, cnf: { jkt: f.pop.agent.key.jkt } })
  })

  test('token-dpop-optional (replay.token-dpop.missing): without a proof the agent gets an unbound Bearer token', async () => {
    const res = await exchangeWithProof(f, 'missing')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.token_type).toBe('Bearer')
    expect(decodeJwt(res.body.access_token as string).cnf).toBeUndefined()
  })
})
