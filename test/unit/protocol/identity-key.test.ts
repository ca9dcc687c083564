import { calculateJwkThumbprint } from 'jose'
import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { generateIdentityKey, importIdentityKey, publicKeyOf } from '../../../harness/protocol/identity-key.ts'

describe('RFC 7638 §3 JWK thumbprint of an identity key', () => {
  test('jkt equals jose calculateJwkThumbprint, is 43 base64url chars, and is the kid', async () => {
    for (let i = 0; i < 20; i++) {
      const key = generateIdentityKey()
      expect(key.jkt).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'))
      expect(key.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(key.kid).toBe(key.jkt)
    }
  })

  test('the public jwk matches the private key and holds no d; the DPoP header is pre-encoded', () => {
    const key = generateIdentityKey()
    const exported = publicKeyOf(key).export({ format: 'jwk' })
    expect(key.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: exported.x, y: exported.y })
    expect(key.publicJwk).not.toHaveProperty('d')
    expect(JSON.parse(Buffer.from(key.dpopHeaderB64, 'base64url').toString())).toEqual({
      typ: 'dpop+jwt',
      alg: 'ES256',
      jwk: { crv: 'P-256', kty: 'EC', x: key.publicJwk.x, y: key.publicJwk.y },
    })
  })

  test('importIdentityKey rebuilds the same identity from a private JWK, and refuses other curves', () => {
    const key = generateIdentityKey()
    const again = importIdentityKey(key.privateKey.export({ format: 'jwk' }))
    expect({ ...again, privateKey: null }).toEqual({ ...key, privateKey: null })
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' })
    expect(() => importIdentityKey(p384)).toThrow(TypeError)
  })
})
