import { createLocalJWKSet, jwtVerify } from 'jose'
import { describe, expect, test } from 'vitest'
import { WORKFORCE_IDP_ISSUER, WorkforceIdp } from '../../../harness/population/workforce-idp.ts'

const principal = { id: 'user_7', tenant: 't_2', entitlements: ['tickets:read', 'customers:read'] as ('tickets:read' | 'customers:read')[] }
const AS = 'http://127.0.0.1:9000'

describe('Workforce IdP user assertion (RFC 7519, RFC 7523 §3 claims)', () => {
  test('verifies against its jwks via createLocalJWKSet and names the principal, tenant and entitlements', async () => {
    const idp = new WorkforceIdp()
    const jwt = idp.assertionFor(principal, AS)
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(idp.jwks()), {
      issuer: WORKFORCE_IDP_ISSUER,
      audience: AS,
      subject: 'user_7',
      typ: 'JWT',
      algorithms: ['ES256'],
      requiredClaims: ['jti', 'iat', 'exp'],
    })
    expect(protectedHeader.kid).toBe(idp.jwks().keys[0].kid)
    expect(payload.tenant).toBe('t_2')
    expect(payload.scope).toBe('tickets:read customers:read')
    expect(payload.exp! - payload.iat!).toBe(300)
  })

  test('jwks is public only, ES256 sig; another IdP instance has another key', async () => {
    const idp = new WorkforceIdp()
    const [jwk] = idp.jwks().keys
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'])
    const other = new WorkforceIdp()
    await expect(jwtVerify(other.assertionFor(principal, AS), createLocalJWKSet(idp.jwks()))).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
  })

  test('ttl and iat are settable (expired-subject case)', async () => {
    const idp = new WorkforceIdp()
    const jwt = idp.assertionFor(principal, AS, 60, 1_000_000)
    await expect(jwtVerify(jwt, createLocalJWKSet(idp.jwks()), { audience: AS })).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
  })
})
