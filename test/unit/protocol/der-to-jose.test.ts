import { generateKeyPairSync, sign, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { derToJose, derToJoseB64url } from '../../../harness/protocol/der-to-jose.ts'

describe('RFC 7518 §3.4: DER ECDSA signatures become fixed-width r‖s', () => {
  it('verifies as ieee-p1363 for many signatures (short r/s included)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    for (let i = 0; i < 300; i++) {
      const data = Buffer.from(`message ${i}`)
      const raw = derToJose(sign('sha256', data, privateKey))
      expect(raw).toHaveLength(64)
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true)
    }
  })
  it('derToJoseB64url: the same r‖s as base64url, short r/s padded with zeros (the shared scratch is cleared)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    let short = 0
    for (let i = 0; i < 3000; i++) {
      const data = Buffer.from(`message ${i}`)
      const der = sign('sha256', data, privateKey)
      // DER: 30 len 02 rlen r 02 slen s; a length under 32 means a leading zero byte was dropped
      if (der[3] < 32 || der[5 + der[3]] < 32) short++
      const b64 = derToJoseB64url(der)
      expect(b64).toBe(derToJose(der).toString('base64url'))
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(b64, 'base64url'))).toBe(true)
    }
    // about 1 in 128 signatures has a short r or s: ~23 expected in 3,000 (none at all: odds ~1e-10)
    expect(short).toBeGreaterThan(0)
  })
  it('derToJoseB64url after a full-width signature: a short one still gets its leading zeros', () => {
    // hand-made DER: r = 32 bytes of 0xff, then r = 31 bytes of 0x11 (the scratch held 0xff before)
    const full = Buffer.concat([Buffer.from([0x30, 0x46, 0x02, 0x21, 0x00]), Buffer.alloc(32, 0xff), Buffer.from([0x02, 0x21, 0x00]), Buffer.alloc(32, 0xff)])
    expect(derToJoseB64url(full)).toBe(Buffer.alloc(64, 0xff).toString('base64url'))
    const short = Buffer.concat([Buffer.from([0x30, 0x42, 0x02, 0x1f]), Buffer.alloc(31, 0x11), Buffer.from([0x02, 0x1f]), Buffer.alloc(31, 0x22)])
    const want = Buffer.concat([Buffer.from([0]), Buffer.alloc(31, 0x11), Buffer.from([0]), Buffer.alloc(31, 0x22)])
    expect(derToJoseB64url(short)).toBe(want.toString('base64url'))
  })
  it('refuses input that is not a DER signature', () => {
    expect(() => derToJose(Buffer.from([0x30, 0x06, 0x05, 0x01, 0x01, 0x02, 0x01, 0x01]))).toThrow(TypeError)
    expect(() => derToJoseB64url(Buffer.from([0x30, 0x06, 0x05, 0x01, 0x01, 0x02, 0x01, 0x01]))).toThrow(TypeError)
  })
})
