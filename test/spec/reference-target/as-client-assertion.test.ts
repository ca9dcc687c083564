/**
 * Client assertions that prove the wrong thing (RFC 7523 §3, RFC 7521 §4.2, RFC 8725 §3.1), as the
 * unattributed.client-assertion.* cases of client-assertion-forged.ts send them: refused by the
 * correct reference target with 401 invalid_client and an anonymous deny record in area `client`;
 * and the flaw switch for each control letting exactly its case through. The assertions are made
 * here with jose and by hand, independently of the harness's own JWS code.
 */
import { createPublicKey, randomUUID } from 'node:crypto'
import { decodeJwt, SignJWT, type JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { referenceTarget } from '../../../targets/reference/adapter.ts'
import { setUp, USER, type Setup } from './helpers/as-attacks.ts'
import { tokenWithAssertion } from './helpers/as-requests.ts'
import { newKeyPair, type KeyPair } from './helpers/client-crypto.ts'
import { GRANT_EXCHANGE, TYPE_JWT, type Actor } from './helpers/world.ts'

function claims(s: Setup, clientId: string, more: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000)
  return { iss: clientId, sub: clientId, aud: s.world.target.issuer, jti: randomUUID(), iat: now, exp: now + 60, ...more }
}

function signed(key: KeyPair, payload: JWTPayload): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.jkt }).sign(key.privateKey)
}

const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url')

/** The carrier's ordinary exchange for its user, authenticated by `assertion`, with `client_id` = `clientId`. */
async function exchangeWith(s: Setup, carrier: Actor, assertion: string, clientId = carrier.clientId) {
  return tokenWithAssertion(s.world, carrier, assertion, {
    grant_type: GRANT_EXCHANGE, client_id: clientId, subject_token: await s.world.idp.assertion(USER, s.world.target.issuer),
    subject_token_type: TYPE_JWT, resource: s.world.rs.audience, scope: 'tickets:read',
  })
}

/** Each case's request: the agent is the carrier, the stranger (another agent of the tenant) the victim. */
const forged = {
  unregisteredKey: async (s: Setup) => exchangeWith(s, s.pop.agent, await signed(await newKeyPair(), claims(s, s.pop.agent.clientId))),
  algNone: async (s: Setup) => exchangeWith(s, s.pop.agent, `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims(s, s.pop.agent.clientId))}.`),
  hs256PublicKey: async (s: Setup, form: 'jwk' | 'pem') => {
    const jwk = s.pop.agent.key.publicJwk
    const secret = form === 'jwk' ? Buffer.from(JSON.stringify(jwk)) : Buffer.from(createPublicKey({ key: { ...jwk } as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString())
    const assertion = await new SignJWT(claims(s, s.pop.agent.clientId)).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret)
    return exchangeWith(s, s.pop.agent, assertion)
  },
  /** the agent signs, with its own key and kid, an assertion naming the stranger, and sends it as the stranger */
  otherClientKey: async (s: Setup) => exchangeWith(s, s.pop.agent, await signed(s.pop.agent.key, claims(s, s.stranger.clientId)), s.stranger.clientId),
  issNotSub: async (s: Setup) => exchangeWith(s, s.pop.agent, await signed(s.pop.agent.key, claims(s, s.pop.agent.clientId, { sub: s.stranger.clientId }))),
  clientIdMismatch: async (s: Setup) => exchangeWith(s, s.pop.agent, await signed(s.pop.agent.key, claims(s, s.pop.agent.clientId)), s.stranger.clientId),
  noExp: async (s: Setup) => {
    const { exp: _exp, ...rest } = claims(s, s.pop.agent.clientId)
    return exchangeWith(s, s.pop.agent, await signed(s.pop.agent.key, rest))
  },
  nbfFuture: async (s: Setup) => {
    const now = Math.floor(Date.now() / 1000)
    return exchangeWith(s, s.pop.agent, await signed(s.pop.agent.key, claims(s, s.pop.agent.clientId, { nbf: now + 600, exp: now + 660 })))
  },
  /** RFC 8725 §3.12: the agent's access token (signed by the AS) as its client assertion */
  accessToken: async (s: Setup) => exchangeWith(s, s.pop.agent, s.pop.agentToken),
  iatOld: async (s: Setup) => exchangeWith(s, s.pop.agent, await signed(s.pop.agent.key, claims(s, s.pop.agent.clientId, { iat: Math.floor(Date.now() / 1000) - 86_400 }))),
}

const ANONYMOUS = { decision: 'deny', status: 401, error: 'invalid_client', principal: { sub: null, type: 'anonymous' }, client_id: null, actors: [] }

describe('correct target: client assertions that prove the wrong thing → 401 invalid_client, anonymous', () => {
  let s: Setup
  beforeAll(async () => {
    s = await setUp([])
  })
  afterAll(async () => {
    await s?.world.stop()
  })

  test('unattributed.client-assertion.unregistered-key (RFC 7523 §3 (9)): signed by a fresh key → 401 invalid_client (client.assertion_signature, detail alg)', async () => {
    const res = await forged.unregisteredKey(s)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ ...ANONYMOUS, reason: 'client.assertion_signature', detail: { alg: 'ES256' } })
  })

  test('unattributed.client-assertion.alg-none (RFC 7523 §3 (9); RFC 8725 §3.1): alg none → 401 invalid_client (client.assertion_alg, detail alg none)', async () => {
    const res = await forged.algNone(s)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ ...ANONYMOUS, reason: 'client.assertion_alg', detail: { alg: 'none' } })
  })

  test.each(['jwk', 'pem'] as const)('unattributed.client-assertion.hs256-public-key (RFC 8725 §3.1): HS256 keyed with the public key as %s → 401 invalid_client (client.assertion_alg)', async (form) => {
    const res = await forged.hs256PublicKey(s, form)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ ...ANONYMOUS, reason: 'client.assertion_alg', detail: { alg: 'HS256' } })
  })

  test('unattributed.client-assertion.other-client-key (RFC 7523 §3 (1)): iss = sub = client_id = another agent, signed with the sender\'s key → 401 invalid_client (client.assertion_signature)', async () => {
    const res = await forged.otherClientKey(s)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ ...ANONYMOUS, reason: 'client.assertion_signature', detail: { alg: 'ES256' } })
  })

  test('unattributed.client-assertion.iss-not-sub (RFC 7523 §3 (2)): sub names another agent → 401 invalid_client (client.assertion_claims, detail claim sub)', async () => {
    const res = await forged.issNotSub(s)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ ...ANONYMOUS, reason: 'client.assertion_claims', detail: { claim: 'sub' } })
  })

  test('unattributed.client-assertion.client-id-mismatch (RFC 7521 §4.2): client_id = another agent with the sender\'s valid assertion → 401 invalid_client (client.id_mismatch)', async () => {
    const res = await forged.clientIdMismatch(s)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ ...ANONYMOUS, reason: 'client.id_mismatch', detail: { claimed_client_id: s.stranger.clientId } })
  })

  test('unattributed.client-assertion.no-exp (RFC 7523 §3 (4)): no exp → 401 invalid_client (client.assertion_claims, detail claim exp)', async () => {
    const res = await forged.noExp(s)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ ...ANONYMOUS, reason: 'client.assertion_claims', detail: { claim: 'exp' } })
  })

  test('unattributed.client-assertion.nbf-future (RFC 7523 §3 (5), MAY): nbf ten minutes ahead → the reference refuses, 401 invalid_client (client.assertion_claims, detail claim nbf)', async () => {
    const res = await forged.nbfFuture(s)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ ...ANONYMOUS, reason: 'client.assertion_claims', detail: { claim: 'nbf' } })
  })

  test('unattributed.client-assertion.iat-old (RFC 7523 §3 (6), MAY): iat a day back → the reference refuses, 401 invalid_client (client.assertion_lifetime, detail lifetime_s)', async () => {
    const res = await forged.iatOld(s)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ ...ANONYMOUS, reason: 'client.assertion_lifetime', detail: { lifetime_s: 86_460 } })
  })

  test('unattributed.client-assertion.access-token (RFC 8725 §3.12): the agent\'s access token as client_assertion → 401 invalid_client (client.unknown: its iss is the AS, no client)', async () => {
    const res = await forged.accessToken(s)
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_client')
    expect(await s.world.recordFor(res.traceId)).toMatchObject({ ...ANONYMOUS, reason: 'client.unknown', detail: { claimed_client_id: s.world.target.issuer } })
  })
})

// Two flawed targets whose flaws sit on separate checks: in group A a valid signature stays
// required only where the signature flaw is off, so key-by-kid and exp-optional go to group B.
const FLAWS_A = ['client-assertion-signature-unchecked', 'client-assertion-sub-unchecked', 'client-id-param-ignored']
const FLAWS_B = ['client-assertion-key-by-kid', 'client-assertion-exp-optional']

describe('client-assertion flaw switches: each lets its case through', () => {
  let a: Setup
  let b: Setup
  beforeAll(async () => {
    ;[a, b] = await Promise.all([setUp(FLAWS_A), setUp(FLAWS_B)])
  })
  afterAll(async () => {
    await Promise.all([a?.world.stop(), b?.world.stop()])
  })

  test('each flaw is known, names its control and the cases that catch it', () => {
    const caught: Record<string, string[]> = {
      'client-assertion-signature-unchecked': ['unregistered-key', 'alg-none', 'hs256-public-key'],
      'client-assertion-key-by-kid': ['other-client-key'],
      'client-assertion-sub-unchecked': ['iss-not-sub'],
      'client-id-param-ignored': ['client-id-mismatch'],
      'client-assertion-exp-optional': ['no-exp'],
    }
    expect(Object.keys(caught).sort()).toEqual([...FLAWS_A, ...FLAWS_B].sort())
    for (const [name, variants] of Object.entries(caught)) {
      const flaw = referenceTarget.flaws.find((f) => f.name === name)
      expect(flaw?.caughtBy, name).toEqual(variants.map((v) => `unattributed.client-assertion.${v}`))
      expect(flaw?.control.length, name).toBeGreaterThan(20)
    }
    expect(a.world.target.flaws).toEqual(FLAWS_A)
  })

  test.each([
    ['unregistered-key', (s: Setup) => forged.unregisteredKey(s)],
    ['alg-none', (s: Setup) => forged.algNone(s)],
    ['hs256-public-key', (s: Setup) => forged.hs256PublicKey(s, 'pem')],
  ] as const)('client-assertion-signature-unchecked (unattributed.client-assertion.%s): the forged assertion authenticates the agent', async (_variant, send) => {
    const res = await send(a)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(decodeJwt(res.body.access_token as string)).toMatchObject({ sub: USER.sub, client_id: a.pop.agent.clientId })
  })

  test('client-assertion-sub-unchecked (unattributed.client-assertion.iss-not-sub): sub naming another agent is accepted', async () => {
    const res = await forged.issNotSub(a)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
  })

  test('client-id-param-ignored (unattributed.client-assertion.client-id-mismatch): client_id naming another agent is ignored', async () => {
    const res = await forged.clientIdMismatch(a)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
  })

  test('client-assertion-key-by-kid (unattributed.client-assertion.other-client-key): the agent passes for the stranger and gets a token issued to it', async () => {
    const res = await forged.otherClientKey(b)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(decodeJwt(res.body.access_token as string)).toMatchObject({ client_id: b.stranger.clientId })
  })

  test('client-assertion-exp-optional (unattributed.client-assertion.no-exp): an assertion without exp is accepted', async () => {
    const res = await forged.noExp(b)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
  })

  test('each group keeps the other group\'s controls: A refuses no-exp; B refuses alg none, sub ≠ iss and a mismatched client_id', async () => {
    expect((await forged.noExp(a)).status).toBe(401)
    expect((await forged.algNone(b)).status).toBe(401)
    expect((await forged.issNotSub(b)).status).toBe(401)
    expect((await forged.clientIdMismatch(b)).status).toBe(401)
  })
})
