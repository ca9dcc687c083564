/**
 * User assertions the AS must not trust as subject tokens (RFC 8693 §2.1; RFC 7519 §4.1.3, §4.1.5;
 * RFC 8725 §3.1), as the escalate.subject-token.* cases send them: refused by the correct reference
 * target with 400 invalid_request before the subject is trusted (the record names the agent only),
 * and the flaw switch for each check letting its case through. Made here with jose and by hand,
 * independently of the harness's IdP.
 */
import { randomUUID } from 'node:crypto'
import { decodeJwt, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { referenceTarget } from '../../../targets/reference/adapter.ts'
import { otherIssuer, setUp, TENANT, USER, type Setup } from './helpers/as-attacks.ts'
import { tokenWithAssertion } from './helpers/as-requests.ts'
import { newKeyPair } from './helpers/client-crypto.ts'
import { GRANT_EXCHANGE, TYPE_JWT } from './helpers/world.ts'

const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url')

/** The claims the trusted IdP puts into a fresh assertion for USER, aimed at this AS. */
async function genuineClaims(s: Setup) {
  return decodeJwt(await s.world.idp.assertion(USER, s.world.target.issuer))
}

const subject = {
  unknownKey: async (s: Setup) => {
    const key = await newKeyPair()
    return new SignJWT(await genuineClaims(s)).setProtectedHeader({ alg: 'ES256', kid: key.jkt }).sign(key.privateKey)
  },
  algNone: async (s: Setup) => `${b64({ alg: 'none' })}.${b64(await genuineClaims(s))}.`,
  otherAud: (s: Setup) => s.world.idp.assertion(USER, otherIssuer(s.world)),
  /** RFC 8725 §3.12: the agent's own client assertion, with the tenant and scope claims a subject carries */
  clientAssertion: (s: Setup) => {
    const now = Math.floor(Date.now() / 1000)
    const a = s.pop.agent
    return new SignJWT({ iss: a.clientId, sub: a.clientId, aud: s.world.target.issuer, jti: randomUUID(), iat: now, exp: now + 60, tenant: TENANT, scope: 'tickets:read' })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: a.key.jkt }).sign(a.key.privateKey)
  },
  nbfFuture: (s: Setup) => s.world.idp.assertion(USER, s.world.target.issuer, 3900, { nbf: Math.floor(Date.now() / 1000) + 3600 }),
}

const exchange = async (s: Setup, token: Promise<string> | string) => s.world.exchange(s.pop.agent, await token, TYPE_JWT, 'tickets:read')

describe('correct target: subject tokens it must not trust → 400 invalid_request, the agent only', () => {
  let s: Setup
  beforeAll(async () => {
    s = await setUp([])
  })
  afterAll(async () => {
    await s?.world.stop()
  })

  const refused = (s: Setup, detail: Record<string, unknown>) => ({
    decision: 'deny', status: 400, error: 'invalid_request', reason: 'exchange.subject_invalid',
    client_id: s.pop.agent.clientId, principal: { sub: null }, actors: [], resource: { tenant: TENANT },
    detail: { subject_token_type: TYPE_JWT, ...detail },
  })

  test('escalate.subject-token.unknown-key (RFC 8693 §2.1; RFC 8725 §3.8): the IdP\'s claims signed by a fresh key → 400 invalid_request (exchange.subject_invalid, detail alg)', async () => {
    const res = await exchange(s, subject.unknownKey(s))
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await s.world.recordFor(res.traceId)).toMatchObject(refused(s, { alg: 'ES256' }))
  })

  test('escalate.subject-token.alg-none (RFC 8725 §3.1): alg none → 400 invalid_request (exchange.subject_invalid, detail alg none)', async () => {
    const res = await exchange(s, subject.algNone(s))
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await s.world.recordFor(res.traceId)).toMatchObject(refused(s, { alg: 'none' }))
  })

  test('escalate.subject-token.other-aud (RFC 7519 §4.1.3): a genuine assertion for another AS → 400 invalid_request (exchange.subject_invalid, detail claim aud)', async () => {
    const res = await exchange(s, subject.otherAud(s))
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await s.world.recordFor(res.traceId)).toMatchObject(refused(s, { claim: 'aud' }))
  })

  test('escalate.subject-token.nbf-future (RFC 7519 §4.1.5): nbf an hour ahead → 400 invalid_request (exchange.subject_invalid, detail claim nbf)', async () => {
    const res = await exchange(s, subject.nbfFuture(s))
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await s.world.recordFor(res.traceId)).toMatchObject(refused(s, { claim: 'nbf' }))
  })

  test('escalate.subject-token.client-assertion (RFC 8725 §3.12): the agent\'s own client assertion as subject token → 400 invalid_request (exchange.subject_invalid)', async () => {
    const res = await exchange(s, subject.clientAssertion(s))
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(await s.world.recordFor(res.traceId)).toMatchObject(refused(s, {}))
  })
})

// The signature flaw and the claim flaws sit on separate checks; one target holds all three, and
// each case still needs its own flaw (a forged token carries a valid aud and no nbf).
const FLAWS = ['subject-token-signature-unchecked', 'subject-token-aud-unchecked', 'subject-token-nbf-unchecked']

describe('subject-token flaw switches: each lets its case through', () => {
  let f: Setup
  beforeAll(async () => {
    f = await setUp(FLAWS)
  })
  afterAll(async () => {
    await f?.world.stop()
  })

  test('each flaw is known, names its control and the cases that catch it', () => {
    const caught: Record<string, string[]> = {
      'subject-token-signature-unchecked': ['unknown-key', 'alg-none'],
      'subject-token-aud-unchecked': ['other-aud'],
      'subject-token-nbf-unchecked': ['nbf-future'],
    }
    for (const [name, variants] of Object.entries(caught)) {
      const flaw = referenceTarget.flaws.find((x) => x.name === name)
      expect(flaw?.caughtBy, name).toEqual(variants.map((v) => `escalate.subject-token.${v}`))
      expect(flaw?.control.length, name).toBeGreaterThan(20)
    }
    expect(f.world.target.flaws).toEqual(FLAWS)
  })

  test.each([
    ['subject-token-signature-unchecked', 'unknown-key', (s: Setup) => subject.unknownKey(s)],
    ['subject-token-signature-unchecked', 'alg-none', (s: Setup) => subject.algNone(s)],
    ['subject-token-aud-unchecked', 'other-aud', (s: Setup) => subject.otherAud(s)],
    ['subject-token-nbf-unchecked', 'nbf-future', (s: Setup) => subject.nbfFuture(s)],
  ] as const)('%s (escalate.subject-token.%s): the agent gets a token acting for the user', async (_flaw, _variant, make) => {
    const res = await exchange(f, make(f))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(decodeJwt(res.body.access_token as string)).toMatchObject({ sub: USER.sub, client_id: f.pop.agent.clientId })
  })
})

describe('jwt-kind-unchecked: a JWT of the wrong kind passes where another kind belongs', () => {
  let k: Setup
  beforeAll(async () => {
    k = await setUp(['jwt-kind-unchecked'])
  })
  afterAll(async () => {
    await k?.world.stop()
  })

  test('the flaw names its control and both cases', () => {
    expect(referenceTarget.flaws.find((x) => x.name === 'jwt-kind-unchecked')?.caughtBy).toEqual(['unattributed.client-assertion.access-token', 'escalate.subject-token.client-assertion'])
  })

  test('jwt-kind-unchecked (unattributed.client-assertion.access-token): the agent\'s access token authenticates it', async () => {
    const res = await tokenWithAssertion(k.world, k.pop.agent, k.pop.agentToken, {
      grant_type: GRANT_EXCHANGE, client_id: k.pop.agent.clientId, subject_token: await k.world.idp.assertion(USER, k.world.target.issuer),
      subject_token_type: TYPE_JWT, resource: k.world.rs.audience, scope: 'tickets:read',
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(decodeJwt(res.body.access_token as string)).toMatchObject({ sub: USER.sub, client_id: k.pop.agent.clientId })
  })

  test('jwt-kind-unchecked (escalate.subject-token.client-assertion): the agent acts for a subject it wrote itself', async () => {
    const res = await exchange(k, subject.clientAssertion(k))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(decodeJwt(res.body.access_token as string)).toMatchObject({ sub: k.pop.agent.clientId, client_id: k.pop.agent.clientId })
  })

  test('the other subject checks hold under it: alg none and another AS\'s assertion are still refused', async () => {
    expect((await exchange(k, subject.algNone(k))).status).toBe(400)
    expect((await exchange(k, subject.otherAud(k))).status).toBe(400)
  })
})
