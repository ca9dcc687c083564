/**
 * The bare ES256 sign cost, over a DPoP-sized signing input with a P-256 private KeyObject, in two
 * forms, plus one whole DPoP proof as the harness makes it:
 *   es256Options: crypto.sign(…, { key, dsaEncoding: 'ieee-p1363' }): what harness jws.ts did before
 *                 (Node 24 throws and catches two native errors per call with an options object);
 *   es256Bare:    crypto.sign(…, key) + DER → r‖s in JS: the cheapest JWS-ready ES256 signature, the
 *                 form jws.ts uses;
 *   proof:        harness createDpopProof (payload, base64url, sign, concatenation).
 * CPU µs per op of this process. The converted signatures are verified first (ieee-p1363).
 */
import { createPublicKey, sign, verify } from 'node:crypto'
import { createDpopProof } from '../../harness/protocol/dpop-proof.ts'
import { generateIdentityKey } from '../../harness/protocol/identity-key.ts'
import { childMain, cpuSinceUs } from '../lib/child.ts'
import { derToJose, derToJoseB64url } from '../../harness/protocol/der-to-jose.ts'

interface Params {
  ms: number
}

interface Timed {
  ops: number
  cpuUsPerOp: number
  opsPerSec: number
}

function timed(ms: number, op: () => void): Timed {
  // warm-up: JIT and OpenSSL's lazy initialisation
  for (let i = 0; i < 300; i++) op()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let ops = 0
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 50; i++) op()
    ops += 50
  }
  const elapsed = performance.now() - t0
  return { ops, cpuUsPerOp: cpuSinceUs(cpu0) / ops, opsPerSec: (ops * 1000) / elapsed }
}

await childMain<Params, unknown>(async ({ ms }) => {
  const key = generateIdentityKey()
  // A signing input of the size a DPoP proof has (header ~175 + payload ~190 base64url chars).
  const input = Buffer.from(`${key.dpopHeaderB64}.${'e'.repeat(190)}`, 'latin1')
  const pub = createPublicKey(key.privateKey)
  for (let i = 0; i < 500; i++) {
    const data = Buffer.from(`${i}.${input.toString('latin1')}`, 'latin1')
    if (!verify('sha256', data, { key: pub, dsaEncoding: 'ieee-p1363' }, derToJose(sign('sha256', data, key.privateKey)))) {
      throw new Error('DER → r‖s conversion produced a signature that does not verify')
    }
  }
  const ath = 'x'.repeat(43)
  const htu = 'http://127.0.0.1:40000/t/t_1/tickets/T-00001'
  // Interleaved in halves so a noisy second hits both forms alike.
  const parts: Record<string, Timed[]> = { es256Options: [], es256Bare: [], proof: [] }
  for (let half = 0; half < 2; half++) {
    parts.es256Options.push(timed(ms / 2, () => sign('sha256', input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })))
    parts.es256Bare.push(timed(ms / 2, () => derToJoseB64url(sign('sha256', input, key.privateKey))))
    parts.proof.push(timed(ms / 2, () => createDpopProof(key, { htm: 'GET', htu, ath })))
  }
  const merge = (t: Timed[]): Timed => {
    const ops = t.reduce((s, x) => s + x.ops, 0)
    return { ops, cpuUsPerOp: t.reduce((s, x) => s + x.cpuUsPerOp * x.ops, 0) / ops, opsPerSec: t.reduce((s, x) => s + x.opsPerSec, 0) / t.length }
  }
  return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, merge(v)]))
})
