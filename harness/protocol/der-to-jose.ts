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
  const out = Buffer.alloc(2 * size)
  writeRs(der, size, out)
  return out
}

// One scratch for the hot path's conversion: the string leaves it before anything else can run.
const SCRATCH_SIZE = 132
const scratch = Buffer.alloc(SCRATCH_SIZE)

/**
 * The same r‖s as `derToJose`, straight to base64url (a compact JWS's third segment): written into
 * a shared scratch buffer, so no Buffer is made per signature.
 */
export function derToJoseB64url(der: Buffer, size = 32): string {
  if (2 * size > SCRATCH_SIZE) return derToJose(der, size).toString('base64url')
  scratch.fill(0, 0, 2 * size)
  writeRs(der, size, scratch)
  return scratch.toString('base64url', 0, 2 * size)
}

/** r and s, right-aligned in `size` bytes each, into `out` (which holds zeros where they are shorter). */
function writeRs(der: Buffer, size: number, out: Buffer): void {
  let o = 2
  if (der[1] & 0x80) o += der[1] & 0x7f
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
    const to = k * size + (size - n)
    for (let j = 0; j < n; j++) out[to + j] = der[start + j]
    o += 2 + len
  }
}
