import { verify } from 'node:crypto'
import { EmbeddedJWK, SignJWT, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify } from 'jose'
import { describe, expect, test } from 'vitest'
import { createDpopProof, dpopHtu, dpopProofPayload } from '../../../harness/protocol/dpop-proof.ts'
import { generateIdentityKey, publicKeyOf } from '../../../harness/protocol/identity-key.ts'
import { tokenHash } from '../../../harness/protocol/token-hash.ts'

const key = generateIdentityKey()
const HTU = 'http://127.0.0.1:8081/t/t_1/tickets/42'
const decode = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))

/** ES256 signature check with node:crypto and our key's public half, independent of jose. */
function nodeVerifies(compact: string): boolean {
  const [h, p, s] = compact.split('.')
  return verify('sha256', Buffer.from(`${h}.${p}`), { key: publicKeyOf(key), dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))
}

describe('RFC 9449 §4.2 proof shape', () => {
  test('a proof verifies with jose against its embedded jwk, with typ dpop+jwt and ES256', async () => {
    const { proof, jti } = createDpopProof(key, { htm: 'GET', htu: HTU })
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] })
    expect(protectedHeader.typ).toBe('dpop+jwt')
    expect(protectedHeader.alg).toBe('ES256')
    expect(payload.jti).toBe(jti)
    expect(payload.htm).toBe('GET')
    expect(payload.htu).toBe(HTU)
    expect(Math.abs((payload.iat as number) - Date.now() / 1000)).toBeLessThan(5)
    expect(payload.ath).toBeUndefined()
  })

  test('the header jwk is public only (no d) and its RFC 7638 thumbprint is key.jkt', async () => {
    const { proof } = createDpopProof(key, { htm: 'POST', htu: HTU })
    const header = decodeProtectedHeader(proof)
    expect(header.jwk).toEqual({ crv: 'P-256', kty: 'EC', x: key.publicJwk.x, y: key.publicJwk.y })
    expect(header.jwk).not.toHaveProperty('d')
    expect(await calculateJwkThumbprint(header.jwk!, 'sha256')).toBe(key.jkt)
    expect(key.kid).toBe(key.jkt)
  })

  test('jti is 16 random bytes, base64url, fresh per proof; iat, jti and nonce can be given', () => {
    const a = createDpopProof(key, { htm: 'GET', htu: HTU })
    const b = createDpopProof(key, { htm: 'GET', htu: HTU })
    expect(a.jti).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(a.jti).not.toBe(b.jti)
    const fixed = createDpopProof(key, { htm: 'GET', htu: HTU, iat: 1_700_000_000, jti: 'j1', nonce: 'n1' })
    expect(decode(fixed.proof.split('.')[1])).toEqual({ jti: 'j1', htm: 'GET', htu: HTU, iat: 1_700_000_000, nonce: 'n1' })
  })

  test('ath is base64url SHA-256 of the access token and equals tokenHash', async () => {
    const accessToken = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.sig'
    const { proof } = createDpopProof(key, { htm: 'GET', htu: HTU, accessToken })
    const { payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] })
    expect(payload.ath).toBe(tokenHash(accessToken))
    // RFC 9449 §4.2: base64url of the SHA-256 of the ASCII token, no padding (43 chars)
    expect(payload.ath).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  test('a tampered signature or payload fails verification', async () => {
    const { proof } = createDpopProof(key, { htm: 'GET', htu: HTU })
    const [h, p, s] = proof.split('.')
    const sig = Buffer.from(s, 'base64url')
    sig[10] ^= 0x01
    await expect(jwtVerify(`${h}.${p}.${sig.toString('base64url')}`, EmbeddedJWK, { algorithms: ['ES256'] })).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    })
    const otherPayload = Buffer.from(JSON.stringify({ ...decode(p), htm: 'POST' })).toString('base64url')
    await expect(jwtVerify(`${h}.${otherPayload}.${s}`, EmbeddedJWK, { algorithms: ['ES256'] })).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    })
    expect(nodeVerifies(`${h}.${p}.${sig.toString('base64url')}`)).toBe(false)
  })
})

describe('RFC 9449 §4.2 htu without query and fragment', () => {
  test.each([
    ['http://127.0.0.1:8081/a/b', 'http://127.0.0.1:8081/a/b'],
    ['http://127.0.0.1:8081/a/b?x=1&y=2', 'http://127.0.0.1:8081/a/b'],
    ['http://127.0.0.1:8081/a/b#frag', 'http://127.0.0.1:8081/a/b'],
    ['http://127.0.0.1:8081/a/b?x=1#frag', 'http://127.0.0.1:8081/a/b'],
    ['http://127.0.0.1:8081/a/b#frag?notquery', 'http://127.0.0.1:8081/a/b'],
    ['http://127.0.0.1:8081/', 'http://127.0.0.1:8081/'],
  ])('%s → %s', (url, htu) => {
    expect(dpopHtu(url)).toBe(htu)
    expect(dpopProofPayload({ htm: 'GET', htu: url }).htu).toBe(htu)
  })
})

describe('RFC 9449 §4.2 cross-check with jose (both directions)', () => {
  test('jose SignJWT with the same claims and key gives the same header and payload bytes, and node:crypto verifies it', async () => {
    const accessToken = 'at-123'
    const { proof } = createDpopProof(key, { htm: 'POST', htu: HTU, accessToken, iat: 1_750_000_000, jti: 'fixed-jti' })
    const [ourHeader, ourPayload] = proof.split('.')
    const joseProof = await new SignJWT(decode(ourPayload))
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: { crv: 'P-256', kty: 'EC', x: key.publicJwk.x, y: key.publicJwk.y } })
      .sign(key.privateKey)
    const [joseHeader, josePayload, joseSig] = joseProof.split('.')
    expect(joseHeader).toBe(ourHeader)
    expect(josePayload).toBe(ourPayload)
    expect(decode(josePayload)).toEqual({ jti: 'fixed-jti', htm: 'POST', htu: HTU, iat: 1_750_000_000, ath: tokenHash(accessToken) })
    // ieee-p1363: raw r||s, 64 bytes for P-256 (RFC 7518 §3.4), as jose emits
    expect(Buffer.from(joseSig, 'base64url')).toHaveLength(64)
    expect(nodeVerifies(joseProof)).toBe(true)
    expect(nodeVerifies(proof)).toBe(true)
  })

  test('micro-check: proofs per second (logged, no threshold)', () => {
    const n = 2_000
    for (let i = 0; i < 200; i++) createDpopProof(key, { htm: 'GET', htu: HTU, accessToken: 'warm' }) // JIT warm-up
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) createDpopProof(key, { htm: 'GET', htu: HTU, accessToken: 'eyJhbGciOiJFUzI1NiJ9.e30.x' })
    const s = Number(process.hrtime.bigint() - t0) / 1e9
    console.log(`createDpopProof: ${n} proofs in ${(s * 1000).toFixed(1)} ms = ${Math.round(n / s)} proofs/s (${((s / n) * 1e6).toFixed(1)} µs/proof)`)
    expect(n / s).toBeGreaterThan(0)
  })
})

describe('RFC 9449 §4.2 ath precomputed', () => {
  test('a given ath (the identity tokenHash) is used as is', () => {
    const p = dpopProofPayload({ htm: 'GET', htu: HTU, accessToken: 'ignored', ath: tokenHash('tok') })
    expect(p.ath).toBe(tokenHash('tok'))
  })
})
