import { createLocalJWKSet, jwtVerify } from 'jose'
import { describe, expect, test } from 'vitest'
import { clientAssertion } from '../../../harness/protocol/client-assertion.ts'
import { generateIdentityKey } from '../../../harness/protocol/identity-key.ts'

const key = generateIdentityKey()
const TOKEN_ENDPOINT = 'http://127.0.0.1:9000/token'
const jwks = createLocalJWKSet({ keys: [{ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' }] })

describe('RFC 7523 §3 client assertion (private_key_jwt)', () => {
  test('verifies with jose against the registered jwks and carries iss = sub = client_id, aud, jti, iat, exp', async () => {
    const jwt = clientAssertion(key, 'agent_1', TOKEN_ENDPOINT)
    const { payload, protectedHeader } = await jwtVerify(jwt, jwks, {
      issuer: 'agent_1',
      subject: 'agent_1',
      audience: TOKEN_ENDPOINT,
      typ: 'JWT',
      algorithms: ['ES256'],
      requiredClaims: ['jti', 'iat', 'exp'],
    })
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'JWT', kid: key.kid })
    expect(payload.exp! - payload.iat!).toBe(60)
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/)
  })

  test('jti is fresh per assertion; iat, ttl and jti can be set (expired and reused-jti cases)', async () => {
    const a = JSON.parse(Buffer.from(clientAssertion(key, 'c', TOKEN_ENDPOINT).split('.')[1], 'base64url').toString())
    const b = JSON.parse(Buffer.from(clientAssertion(key, 'c', TOKEN_ENDPOINT).split('.')[1], 'base64url').toString())
    expect(a.jti).not.toBe(b.jti)
    const old = clientAssertion(key, 'c', TOKEN_ENDPOINT, { iat: 1_000_000, ttlS: 30, jti: 'same' })
    await expect(jwtVerify(old, jwks, { audience: TOKEN_ENDPOINT })).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
  })

  test('an assertion for another audience fails the aud check (wrong-aud case)', async () => {
    const jwt = clientAssertion(key, 'agent_1', 'http://127.0.0.1:9000')
    await expect(jwtVerify(jwt, jwks, { audience: TOKEN_ENDPOINT })).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' })
  })
})
