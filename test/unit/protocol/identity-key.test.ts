import { calculateJwkThumbprint, importJWK, jwtVerify } from 'jose'
import { generateKeyPairSync, verify } from 'node:crypto'
import { MessageChannel } from 'node:worker_threads'
import { afterEach, describe, expect, test } from 'vitest'
import { clientAssertion } from '../../../harness/protocol/client-assertion.ts'
import { createDpopProof } from '../../../harness/protocol/dpop-proof.ts'
import { DEFAULT_KEY_CACHE_SIZE, clearKeyCache, exportIdentityKey, generateIdentityKey, identityKeyFrom, importIdentityKey, keyCacheStats, publicKeyOf, resetKeyCacheStats, setKeyCacheSize } from '../../../harness/protocol/identity-key.ts'
import type { IdentityKey } from '../../../harness/contracts/identity.ts'

const HTU = 'http://127.0.0.1:8081/t/t_1/tickets/42'

/** ES256 signature check with node:crypto and the key's public JWK, independent of the cache. */
function verifies(compact: string, key: IdentityKey): boolean {
  const [h, p, s] = compact.split('.')
  return verify('sha256', Buffer.from(`${h}.${p}`), { key: publicKeyOf({ publicJwk: key.publicJwk }), dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))
}

afterEach(() => setKeyCacheSize(DEFAULT_KEY_CACHE_SIZE))

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
    const fromPrivate = publicKeyOf({ privateKey: key.privateKey }).export({ format: 'jwk' })
    expect(fromPrivate).toEqual(exported)
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
    expect([again.jkt, again.kid, again.dpopHeaderB64, again.publicJwk]).toEqual([key.jkt, key.kid, key.dpopHeaderB64, key.publicJwk])
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' })
    expect(() => importIdentityKey(p384)).toThrow(TypeError)
  })

  test('keys are random: two keys never share a thumbprint', () => {
    const seen = new Set(Array.from({ length: 50 }, () => generateIdentityKey().jkt))
    expect(seen.size).toBe(50)
  })
})

/** An empty key cache of `capacity`, its counters at zero, and `n` fresh keys to fill it with. */
function emptyCacheOf(capacity: number, n: number): IdentityKey[] {
  setKeyCacheSize(capacity)
  clearKeyCache()
  resetKeyCacheStats()
  return Array.from({ length: n }, () => generateIdentityKey())
}

describe('the bounded KeyObject cache', () => {
  test('signing never holds more than the capacity: once full, misses sign from the JWK (no KeyObject), and verify', async () => {
    const keys = emptyCacheOf(8, 40)
    for (let round = 0; round < 3; round++) {
      for (const key of keys) {
        const { proof } = createDpopProof(key, { htm: 'GET', htu: HTU })
        expect(keyCacheStats().size).toBeLessThanOrEqual(8)
        expect(verifies(proof, key)).toBe(true)
      }
    }
    // the first 8 keys were imported and stay cached; the other 32 sign straight from their JWK
    expect(keyCacheStats()).toMatchObject({ capacity: 8, size: 8, imports: 8, hits: 8 * 2, direct: 32 * 3, evictions: 0 })
    // jose agrees, with the registered public key
    for (const key of [keys[0], keys[39]]) {
      const { proof } = createDpopProof(key, { htm: 'POST', htu: HTU })
      const { protectedHeader } = await jwtVerify(proof, await importJWK(key.publicJwk, 'ES256'), { typ: 'dpop+jwt' })
      expect(protectedHeader.jwk).toEqual({ crv: 'P-256', kty: 'EC', x: key.publicJwk.x, y: key.publicJwk.y })
    }
  })

  test('privateKey is an LRU bounded by the capacity; a key evicted long ago still signs proofs that verify', () => {
    const keys = emptyCacheOf(8, 40)
    for (let round = 0; round < 3; round++) {
      for (const key of keys) {
        expect(key.privateKey.asymmetricKeyType).toBe('ec')
        expect(keyCacheStats().size).toBeLessThanOrEqual(8)
      }
    }
    expect(keyCacheStats().evictions).toBeGreaterThanOrEqual(40 * 3 - 8)
    expect(keyCacheStats().misses).toBe(40 * 3) // round robin over 40 keys through 8 slots
    // keys[0] was evicted twice over; its proof (cached again or straight from the JWK) verifies
    expect(verifies(createDpopProof(keys[0], { htm: 'GET', htu: HTU }).proof, keys[0])).toBe(true)
    expect(verifies(clientAssertion(keys[1], 'client_1', { issuer: 'http://127.0.0.1:1', token_endpoint: 'http://127.0.0.1:1/token' }), keys[1])).toBe(true)
  })

  test('hits are served from the cache; shrinking evicts at once', () => {
    setKeyCacheSize(4)
    const key = generateIdentityKey()
    resetKeyCacheStats()
    const k1 = key.privateKey
    expect(key.privateKey).toBe(k1)
    expect(keyCacheStats()).toMatchObject({ misses: 1, hits: 1, imports: 1 })
    setKeyCacheSize(1)
    expect(keyCacheStats().size).toBe(1)
    expect(() => setKeyCacheSize(0)).toThrow(TypeError)
  })

  test('an evicted KeyObject that someone still holds comes back as the same object', () => {
    setKeyCacheSize(2)
    const key = generateIdentityKey()
    const held = key.privateKey // e.g. a chaos injector keying a WeakMap on it
    for (let i = 0; i < 5; i++) void generateIdentityKey().privateKey // evict it
    resetKeyCacheStats()
    expect(key.privateKey).toBe(held)
    expect(keyCacheStats()).toMatchObject({ misses: 1, imports: 0 })
  })
})

describe('export for worker threads', () => {
  test('exportIdentityKey → identityKeyFrom round-trips: same jkt, header and public jwk; its signatures verify', () => {
    const key = generateIdentityKey()
    const wire = exportIdentityKey(key)
    expect(typeof wire).toBe('string')
    const back = identityKeyFrom(wire)
    expect([back.jkt, back.kid, back.dpopHeaderB64, back.publicJwk]).toEqual([key.jkt, key.kid, key.dpopHeaderB64, key.publicJwk])
    expect(verifies(createDpopProof(back, { htm: 'GET', htu: HTU }).proof, key)).toBe(true)
    expect(verifies(createDpopProof(key, { htm: 'GET', htu: HTU }).proof, back)).toBe(true)
  })

  test('the exported form survives postMessage (structured clone) and rebuilds there', async () => {
    const key = generateIdentityKey()
    const { port1, port2 } = new MessageChannel()
    const received = new Promise<unknown>((resolve) => port2.once('message', resolve))
    port1.postMessage([exportIdentityKey(key)])
    const [wire] = (await received) as [string]
    port1.close()
    port2.close()
    const back = identityKeyFrom(wire)
    expect(back.jkt).toBe(key.jkt)
    expect(verifies(createDpopProof(back, { htm: 'GET', htu: HTU }).proof, key)).toBe(true)
  })

  test('identityKeyFrom also takes PKCS#8 DER bytes, and refuses junk', () => {
    const key = generateIdentityKey()
    const der = new Uint8Array(key.privateKey.export({ format: 'der', type: 'pkcs8' }))
    const back = identityKeyFrom(der)
    expect(back.jkt).toBe(key.jkt)
    expect(verifies(createDpopProof(back, { htm: 'GET', htu: HTU }).proof, key)).toBe(true)
    expect(() => identityKeyFrom('nope')).toThrow(TypeError)
    expect(() => identityKeyFrom(`${'A'.repeat(43)}.${Buffer.from('{"jwk":{"kty":"RSA"}}').toString('base64url')}`)).toThrow(TypeError)
    // a header Buffer's base64url decoder would read despite CR LF in it: refused, proofs carry it as it is
    const good = exportIdentityKey(generateIdentityKey())
    const dot = good.indexOf('.')
    expect(() => identityKeyFrom(`${good.slice(0, dot + 20)}\r\nx: 1${good.slice(dot + 20)}`)).toThrow(/not base64url/)
  })

  test('an IdentityKey that is not compact (a plain object) exports too', () => {
    const src = generateIdentityKey()
    const plain: IdentityKey = { privateKey: src.privateKey, publicJwk: src.publicJwk, jkt: src.jkt, kid: src.kid, dpopHeaderB64: src.dpopHeaderB64 }
    expect(identityKeyFrom(exportIdentityKey(plain)).jkt).toBe(src.jkt)
  })
})
