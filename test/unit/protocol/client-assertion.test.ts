import { createLocalJWKSet, jwtVerify } from 'jose'
import { describe, expect, test } from 'vitest'
import { clientAssertion, clientAssertionFor } from '../../../harness/protocol/client-assertion.ts'
import { generateIdentityKey } from '../../../harness/protocol/identity-key.ts'
import { foreignAudience } from '../../../harness/attacks/as/unattributed-client-assertion.ts'

const key = generateIdentityKey()
const AS = { issuer: 'http://127.0.0.1:9000', token_endpoint: 'http://127.0.0.1:9000/token' }
const jwks = createLocalJWKSet({ keys: [{ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' }] })
const payloadOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString())

describe('RFC 7523 §3 client assertion (private_key_jwt)', () => {
  test('verifies with jose against the registered jwks and carries iss = sub = client_id, aud, jti, iat, exp', async () => {
    const jwt = clientAssertion(key, 'agent_1', AS)
    const { payload, protectedHeader } = await jwtVerify(jwt, jwks, {
      issuer: 'agent_1',
      subject: 'agent_1',
      audience: AS.issuer,
      typ: 'JWT',
      algorithms: ['ES256'],
      requiredClaims: ['jti', 'iat', 'exp'],
    })
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'JWT', kid: key.kid })
    expect(payload.exp! - payload.iat!).toBe(60)
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/)
  })

  test('draft-ietf-oauth-rfc7523bis: aud is the issuer identifier by default, a single string', () => {
    expect(payloadOf(clientAssertion(key, 'c', AS)).aud).toBe(AS.issuer)
    expect(payloadOf(clientAssertion(key, 'c', AS, { audience: 'issuer' })).aud).toBe(AS.issuer)
  })

  test("RFC 7523 §3: audience 'token-endpoint' names the token endpoint URL instead", async () => {
    const jwt = clientAssertion(key, 'c', AS, { audience: 'token-endpoint' })
    expect(payloadOf(jwt).aud).toBe(AS.token_endpoint)
    await expect(jwtVerify(jwt, jwks, { audience: AS.token_endpoint })).resolves.toBeDefined()
  })

  test('jti is fresh per assertion; iat, ttl and jti can be set (expired and reused-jti cases)', async () => {
    const a = payloadOf(clientAssertion(key, 'c', AS))
    const b = payloadOf(clientAssertion(key, 'c', AS))
    expect(a.jti).not.toBe(b.jti)
    const old = clientAssertion(key, 'c', AS, { iat: 1_000_000, ttlS: 30, jti: 'same' })
    expect(payloadOf(old)).toMatchObject({ iat: 1_000_000, exp: 1_000_030, jti: 'same' })
    await expect(jwtVerify(old, jwks, { audience: AS.issuer })).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
  })

  test('unattributed.client-assertion.wrong-aud: clientAssertionFor signs exactly the aud given, one naming another AS on the same host', async () => {
    const issuerLike = foreignAudience(AS, 0)
    const endpointLike = foreignAudience(AS, 1)
    expect(issuerLike).toBe('http://127.0.0.1:9001')
    expect(endpointLike).toBe('http://127.0.0.1:9001/token')
    for (const aud of [issuerLike, endpointLike]) {
      const jwt = clientAssertionFor(key, 'agent_1', aud)
      expect(payloadOf(jwt).aud).toBe(aud)
      await expect(jwtVerify(jwt, jwks, { audience: [AS.issuer, AS.token_endpoint] })).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' })
    }
  })
})
