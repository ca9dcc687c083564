import { describe, expect, it } from 'vitest'
import { encodeSegment, unverifiedPayload } from '../../../harness/protocol/jws.ts'

const reference = (value: object) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')

describe('RFC 7515 §2: encodeSegment is BASE64URL(UTF8(JSON))', () => {
  it('ASCII, non-ASCII (2-, 3- and 4-byte UTF-8) and escaped characters encode as Buffer.from would', () => {
    const values = [{ a: 1 }, { htu: 'http://127.0.0.1/t/é/ü' }, { n: '日本語', e: '😀' }, { q: '"\\\n\u0001' }, {}]
    for (const v of values) {
      expect(encodeSegment(v)).toBe(reference(v))
      expect(unverifiedPayload(`x.${encodeSegment(v)}.y`)).toEqual(v)
    }
  })
  it('a value too large for the shared scratch, then a small one: both exact (no stale bytes)', () => {
    const big = { htu: `http://127.0.0.1/${'ä'.repeat(3000)}` }
    expect(encodeSegment(big)).toBe(reference(big))
    // 1,365 chars of JSON (× 3 ≤ 4,096): the largest that still uses the scratch; 1,366 does not
    const near = { s: 'x'.repeat(1357) }
    expect(encodeSegment(near)).toBe(reference(near))
    const over = { s: 'x'.repeat(1358) }
    expect(encodeSegment(over)).toBe(reference(over))
    expect(encodeSegment({ a: 1 })).toBe(reference({ a: 1 }))
  })
})
