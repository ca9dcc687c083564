/**
 * What a key-cache miss costs (harness/protocol/identity-key.ts keeps only a 32-byte scalar per
 * identity and re-imports the signing KeyObject when it is not cached), CPU µs per op over
 * `keys` distinct keys touched in turn:
 *   proofHit:   a whole DPoP proof (createDpopProof) whose key is in the cache;
 *   proofMiss:  the same with a key that is not cached (rebuilt from exportIdentityKey's string
 *               each time, ~2 µs) and a full cache: every proof is signed straight from the private
 *               JWK (node:crypto imports it for that call), what a population much larger than the
 *               cache pays on most attempts;
 *   importRaw / importJwk / importPkcs8: createPrivateKey from the 32-byte scalar ('raw-private'),
 *               from a private JWK, from PKCS#8 DER (138 B), each followed by its first sign (a
 *               fresh OpenSSL key pays extra on its first signature): the import formats compared.
 */
import { createPrivateKey, generateKeyPairSync, sign, type JsonWebKey } from 'node:crypto'
import { createDpopProof } from '../../harness/protocol/dpop-proof.ts'
import { exportIdentityKey, generateIdentityKey, identityKeyFrom, keyCacheStats, setKeyCacheSize } from '../../harness/protocol/identity-key.ts'
import { childMain, cpuSinceUs } from '../lib/child.ts'

interface Params {
  keys: number
  ms: number
}

function timed(ms: number, op: (i: number) => void): { ops: number; cpuUs: number } {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let ops = 0
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 20; i++) op(ops++)
  }
  return { ops, cpuUs: cpuSinceUs(cpu0) }
}

await childMain<Params, unknown>(async ({ keys: n, ms }) => {
  const keys = Array.from({ length: n }, () => generateIdentityKey())
  const jwks = Array.from({ length: n }, () => generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { format: 'jwk' }, privateKeyEncoding: { format: 'jwk' } } as never).privateKey as unknown as JsonWebKey)
  const raws = jwks.map((j) => Buffer.from(j.d!, 'base64url'))
  const ders = jwks.map((j) => createPrivateKey({ key: j, format: 'jwk' }).export({ format: 'der', type: 'pkcs8' }))
  const input = Buffer.from(`${keys[0].dpopHeaderB64}.${'e'.repeat(190)}`, 'latin1')
  const htu = 'http://127.0.0.1:40000/t/t_1/tickets/T-00001'
  const ath = 'x'.repeat(43)
  const hot = keys.slice(0, 256)
  const wires = keys.map(exportIdentityKey)
  const ops: Record<string, (i: number) => void> = {
    proofHit: (i) => createDpopProof(hot[i % hot.length], { htm: 'GET', htu, ath }),
    proofMiss: (i) => createDpopProof(identityKeyFrom(wires[i % n]), { htm: 'GET', htu, ath }),
    importRaw: (i) => sign('sha256', input, createPrivateKey({ key: raws[i % n], format: 'raw-private', asymmetricKeyType: 'ec', namedCurve: 'P-256' } as never)),
    importJwk: (i) => sign('sha256', input, createPrivateKey({ key: jwks[i % n], format: 'jwk' })),
    importPkcs8: (i) => sign('sha256', input, createPrivateKey({ key: ders[i % n], format: 'der', type: 'pkcs8' })),
  }
  const acc: Record<string, { ops: number; cpuUs: number }> = {}
  let missImports = 0
  // Interleaved in quarters so a noisy second hits every form alike.
  for (let q = 0; q < 4; q++) {
    for (const [name, op] of Object.entries(ops)) {
      // proofHit: the 256 hot keys fit; proofMiss: a small cache, full after its first 16 keys.
      setKeyCacheSize(name === 'proofMiss' ? 16 : 4096)
      for (let i = 0; i < 50; i++) op(i) // warm-up
      const before = keyCacheStats().imports
      const t = timed(ms / 4, op)
      if (name === 'proofMiss') missImports += keyCacheStats().imports - before
      const a = (acc[name] ??= { ops: 0, cpuUs: 0 })
      a.ops += t.ops
      a.cpuUs += t.cpuUs
    }
  }
  const out: Record<string, number> = {}
  for (const [name, a] of Object.entries(acc)) out[name] = a.cpuUs / a.ops
  return { cpuUsPerOp: out, proofMissOps: acc.proofMiss.ops, proofMissImports: missImports }
})
