import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify } from 'jose'
import { describe, expect, test } from 'vitest'
import { batchedDpopProof } from '../../../harness/load/proof-batch.ts'
import { generateIdentityKey } from '../../../harness/protocol/identity-key.ts'
import type { IdentityKey } from '../../../harness/contracts/identity.ts'
import { tokenHash } from '../../../harness/protocol/token-hash.ts'

const HTU = 'http://127.0.0.1:8081/t/t_1/tickets/'

describe('batched DPoP proofs (RFC 9449 §4.2, one fresh proof per request)', () => {
  test('proofs asked for in one turn: each is its own key, htu, ath and jti, and verifies with jose against its embedded jwk', async () => {
    const keys = Array.from({ length: 5 }, () => generateIdentityKey())
    const ath = tokenHash('access-token')
    const proofs = await Promise.all(keys.map((k, i) => batchedDpopProof(k, { htm: 'GET', htu: `${HTU}${i}?q=1`, ath })))
    const jtis = new Set<string>()
    for (let i = 0; i < keys.length; i++) {
      const { payload, protectedHeader } = await jwtVerify(proofs[i], EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] })
      expect(await calculateJwkThumbprint(decodeProtectedHeader(proofs[i]).jwk!, 'sha256')).toBe(keys[i].jkt)
      expect(protectedHeader.alg).toBe('ES256')
      expect(payload).toMatchObject({ htm: 'GET', htu: `${HTU}${i}`, ath })
      expect(Math.abs((payload.iat as number) - Date.now() / 1000)).toBeLessThan(5)
      jtis.add(payload.jti as string)
    }
    expect(jtis.size).toBe(keys.length)
  })

  test('signed together at the check phase: none is ready before the turn ends, all are after one setImmediate', async () => {
    const key = generateIdentityKey()
    let settled = 0
    const all = Array.from({ length: 3 }, () => batchedDpopProof(key, { htm: 'POST', htu: HTU }).then((p) => (settled++, p)))
    await Promise.resolve()
    expect(settled).toBe(0)
    await new Promise((r) => setImmediate(r))
    await Promise.resolve()
    expect(settled).toBe(3)
    expect(new Set(await Promise.all(all)).size).toBe(3)
  })

  test('a proof that cannot be signed rejects alone; the rest of its batch is signed', async () => {
    const good = generateIdentityKey()
    const broken = {
      dpopHeaderB64: good.dpopHeaderB64,
      get privateKey(): never {
        throw new TypeError('no signing key')
      },
    } as unknown as IdentityKey
    const [a, b, c] = await Promise.allSettled([
      batchedDpopProof(good, { htm: 'GET', htu: HTU }),
      batchedDpopProof(broken, { htm: 'GET', htu: HTU }),
      batchedDpopProof(good, { htm: 'GET', htu: HTU }),
    ])
    expect(a.status).toBe('fulfilled')
    expect(b).toMatchObject({ status: 'rejected', reason: { message: 'no signing key' } })
    expect(c.status).toBe('fulfilled')
  })
})
