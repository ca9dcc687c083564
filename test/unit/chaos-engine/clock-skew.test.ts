/**
 * Agent clock skew: proofs and client assertions of the chosen identities carry a skewed `iat`,
 * only while the fault is in effect, and only for a seeded share of identities (the same share for
 * the same seed); every other identity's clock stays right.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { Fault } from '../../../harness/chaos/fault.ts'
import { clockSkewInjector, skewedIdentities } from '../../../harness/chaos/injectors/clock-skew.ts'
import { FaultScheduler } from '../../../harness/chaos/scheduler.ts'
import type { RunIdentity } from '../../../harness/contracts/identity.ts'
import { agentClock } from '../../../harness/protocol/agent-clock.ts'
import { clientAssertion } from '../../../harness/protocol/client-assertion.ts'
import { createDpopProof } from '../../../harness/protocol/dpop-proof.ts'
import { generateIdentityKey } from '../../../harness/protocol/identity-key.ts'
import { unverifiedPayload } from '../../../harness/protocol/jws.ts'
import type { StartedTarget } from '../../../harness/contracts/target.ts'

const T0 = Date.parse('2026-11-26T03:00:00.000Z')
const NOW_S = T0 / 1000

function identities(n: number): RunIdentity[] {
  return Array.from({ length: n }, (_, i) => ({
    ref: `a${i}`,
    kind: 'agent',
    clientId: `client_${i}`,
    tenant: 't_1',
    principal: 'user_1',
    scope: ['tickets:read'],
    actors: [`client_${i}`],
    credential: { accessToken: 'x.y.z', tokenHash: 'h', key: generateIdentityKey() },
  }))
}

const proofIat = (id: RunIdentity): number => unverifiedPayload(createDpopProof(id.credential.key, { htm: 'GET', htu: 'http://127.0.0.1:1/t' }).proof)!.iat as number
const assertionIat = (id: RunIdentity): number => unverifiedPayload(clientAssertion(id.credential.key, id.clientId, { issuer: 'http://127.0.0.1:1', token_endpoint: 'http://127.0.0.1:1/token' }))!.iat as number

const POP = identities(40)

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(T0)
})
afterEach(() => {
  vi.useRealTimers()
})

describe('clock-skew fault', () => {
  test('the share is seeded: same seed, same identities; about the share asked for', () => {
    const a = skewedIdentities(POP, 0.25, 42, 0).map((i) => i.ref)
    expect(skewedIdentities(POP, 0.25, 42, 0).map((i) => i.ref)).toEqual(a)
    expect(a.length).toBeGreaterThan(3)
    expect(a.length).toBeLessThan(20)
    expect(skewedIdentities(POP, 0.25, 43, 0).map((i) => i.ref)).not.toEqual(a)
    expect(skewedIdentities(POP, 1, 42, 0)).toHaveLength(40)
    expect(skewedIdentities(POP, 0, 42, 0)).toHaveLength(0)
  })

  test('only the chosen identities sign with a skewed iat, and only inside the window', async () => {
    const chosen = new Set(skewedIdentities(POP, 0.25, 42, 0).map((i) => i.ref))
    const s = new FaultScheduler({
      specs: [Fault.clockSkew({ skewS: 300, share: 0.25, at: '2s', for: '5s' })],
      injectors: [clockSkewInjector],
      context: { target: {} as StartedTarget, identities: POP, seed: 42, log: () => {} },
      log: () => {},
    })
    s.start(T0)

    await vi.advanceTimersByTimeAsync(1_000) // before the window
    for (const id of POP) expect(proofIat(id)).toBe(NOW_S + 1)

    await vi.advanceTimersByTimeAsync(2_000) // t = 3 s: inside
    expect(agentClock.skewed).toBe(chosen.size)
    for (const id of POP) {
      const want = NOW_S + 3 + (chosen.has(id.ref) ? 300 : 0)
      expect(proofIat(id), id.ref).toBe(want)
      expect(assertionIat(id), id.ref).toBe(want)
    }
    // an explicit iat (the iat-window attack cases) is never moved
    const one = POP.find((i) => chosen.has(i.ref))!
    expect(unverifiedPayload(createDpopProof(one.credential.key, { htm: 'GET', htu: 'http://x/', iat: 123 }).proof)!.iat).toBe(123)

    await vi.advanceTimersByTimeAsync(5_000) // t = 8 s: healed
    expect(agentClock.skewed).toBe(0)
    for (const id of POP) expect(proofIat(id)).toBe(NOW_S + 8)
    expect(s.windows[0]).toMatchObject({ healed: true, label: 'clock-skew agents 2s–7s' })
    expect(s.windows[0].detail).toBe(`clocks +300 s on ${chosen.size} of 40 identities`)
  })

  test('a clock behind the harness works the same way', async () => {
    const active = await clockSkewInjector.inject(Fault.clockSkew({ skewS: -30, at: '0s', for: '1s' }), {
      target: {} as StartedTarget, identities: POP.slice(0, 3), seed: 1, index: 0, log: () => {},
    })
    expect(POP.slice(0, 3).map(proofIat)).toEqual([NOW_S - 30, NOW_S - 30, NOW_S - 30])
    expect(proofIat(POP[3])).toBe(NOW_S)
    await active.heal()
    await active.heal()
    expect(agentClock.skewed).toBe(0)
    expect(proofIat(POP[0])).toBe(NOW_S)
  })
})
