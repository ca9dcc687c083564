/**
 * DER ECDSA-Sig-Value (SEQUENCE { r INTEGER, s INTEGER }) → the fixed-width r‖s that JWS wants
 * (RFC 7518 §3.4), `size` bytes each (32 for P-256). DER integers are minimal and may carry a
 * leading 0x00 sign byte or be shorter than `size`; both are normalised here.
 *
 * Why convert in JS: on Node 24 `crypto.sign(alg, data, { key, dsaEncoding: 'ieee-p1363' })` costs
 * about twice a bare `crypto.sign(alg, data, keyObject)` (with an options object Node probes it as a
 * KeyObject and a CryptoKey by throwing and catching two native errors per call); measured by
 * `npm run bench`: 121 → 53 µs per signature.
 */
export function derToJose(der: Buffer, size = 32): Buffer {
  let o = 2
  if (der[1] & 0x80) o += der[1] & 0x7f
  const out = Buffer.alloc(2 * size)
  for (let k = 0; k < 2; k++) {
    if (der[o] !== 0x02) throw new TypeError('not a DER ECDSA signature')
    const len = der[o + 1]
    let start = o + 2
    let n = len
    while (n > size && der[start] === 0) {
      start++
      n--
    }
    if (n > size) throw new TypeError('DER integer longer than the curve order')
    der.copy(out, k * size + (size - n), start, start + n)
    o += 2 + len
  }
  return out
}
