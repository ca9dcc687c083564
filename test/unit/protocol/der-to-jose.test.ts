import { generateKeyPairSync, sign, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { derToJose } from '../../../harness/protocol/der-to-jose.ts'

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
  it('refuses input that is not a DER signature', () => {
    expect(() => derToJose(Buffer.from([0x30, 0x06, 0x05, 0x01, 0x01, 0x02, 0x01, 0x01]))).toThrow(TypeError)
  })
})
