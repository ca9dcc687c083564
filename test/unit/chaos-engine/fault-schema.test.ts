/**
 * `faults` in a scenario: a strict tagged union on `kind` (exit 104 on anything else), each kind
 * with its own keys, the message naming the file, the dotted key and what is allowed there.
 */
import { describe, expect, test } from 'vitest'
import { Fault } from '../../../harness/chaos/fault.ts'
import { validateScenario } from '../../../harness/scenario/load.ts'

const base = () => ({
  population: { tenants: 2, agents: 4 },
  scenarios: { workload: { executor: 'constant-arrival-rate', rate: 10, duration: '30s', preAllocatedVUs: 2 } },
})

function refused(faults: unknown[]): { code: string; message: string; key: string; hint: string } {
  try {
    validateScenario({ ...base(), faults }, 'scenarios/chaos-x.ts')
  } catch (e: any) {
    return { code: e.code, message: e.message, key: e.key, hint: e.hint }
  }
  throw new Error('expected the faults to be refused')
}

describe('scenario faults', () => {
  test('every Fault.* builder yields a valid fault', () => {
    const faults = [
      Fault.latency({ component: 'jwks', ms: 800, jitterMs: 100, probability: 0.5, stream: 'upstream', at: '20s', for: '10s', recoverWithin: '3s' }),
      Fault.bandwidth({ component: 'evidence-sink', rate: 16, at: '1s', for: '1s' }),
      Fault.reset({ component: 'rs-1', afterMs: 10, at: '1s', for: '1s' }),
      Fault.blackhole({ component: 'replay-store', closeAfterMs: 0, at: '1s', for: '1s' }),
      Fault.slowClose({ component: 'rs-2', delayMs: 500, at: '1s', for: '1s' }),
      Fault.kill({ component: 'rs-1/0', at: '1s', for: '1s' }),
      Fault.pause({ component: 'replay-store', at: '1s', for: '1s' }),
      Fault.restart({ component: 'as', at: '1s', for: '1s' }),
      Fault.clockSkew({ skewS: -300, share: 0.2, at: '1s', for: '1s' }),
      Fault.keyRotation({ at: '10s' }),
      Fault.keyRotation({ at: '10s', for: '5s', reexchange: 1 }),
      Fault.custom({ injector: 'dns', component: 'as', params: { nxdomain: true, ttl: 5, zone: 'x' }, at: '1s', for: '1s' }),
    ]
    expect(validateScenario({ ...base(), faults }, 'scenarios/chaos-x.ts').faults).toHaveLength(12)
  })

  test('an unknown kind lists the kinds', () => {
    const e = refused([{ kind: 'jitter', component: 'jwks', at: '1s', for: '1s' }])
    expect(e.code).toBe('ERR_SCENARIO_INVALID')
    expect(e.key).toBe('faults.0.kind')
    expect(e.message).toContain('scenarios/chaos-x.ts')
    expect(e.hint).toContain("'latency', 'bandwidth', 'reset', 'blackhole', 'slow-close', 'kill', 'pause', 'restart', 'clock-skew', 'key-rotation', 'custom'")
  })

  test('a key of another kind is refused with the keys this kind allows', () => {
    const e = refused([{ ...Fault.reset({ component: 'rs-1', at: '1s', for: '1s' }), ms: 800 }])
    expect(e.key).toBe('faults.0.ms')
    expect(e.hint).toBe('allowed: kind, component, at, for, recoverWithin, probability, stream, afterMs')
  })

  test('a typo in a key is refused', () => {
    const e = refused([{ kind: 'latency', component: 'jwks', ms: 800, jiterMs: 5, at: '1s', for: '1s' }])
    expect(e.key).toBe('faults.0.jiterMs')
  })

  test('required keys, ranges and durations are checked', () => {
    expect(refused([{ kind: 'latency', component: 'jwks', at: '1s', for: '1s' }]).key).toBe('faults.0.ms')
    expect(refused([Fault.pause({ component: 'replay-store', at: '1s', for: '0s' })])).toMatchObject({ key: 'faults.0.for', hint: expect.stringContaining('longer than zero') })
    expect(refused([Fault.latency({ component: 'jwks', ms: 1, probability: 1.5, at: '1s', for: '1s' })]).key).toBe('faults.0.probability')
    expect(refused([Fault.latency({ component: 'jwks', ms: 1, at: 'soon', for: '1s' })])).toMatchObject({ key: 'faults.0.at', hint: expect.stringContaining("'1m30s'") })
    expect(refused([Fault.clockSkew({ skewS: 1, share: -0.1, at: '1s', for: '1s' })]).key).toBe('faults.0.share')
    expect(refused([{ kind: 'pause', component: 'Replay Store', at: '1s', for: '1s' }]).key).toBe('faults.0.component')
    expect(refused([{ kind: 'latency', component: 'jwks', ms: 1, stream: 'both', at: '1s', for: '1s' }]).hint).toBe("allowed: 'downstream', 'upstream'")
  })

  test('faults must be a list', () => {
    expect(refused({ kind: 'pause' } as never).key).toBe('faults')
  })
})

describe('scenario injectors (fault plugins)', () => {
  const plugin = { name: 'dns', kinds: ['custom'], inject: async () => ({ heal: async () => {} }) }
  test('a plugin object is accepted beside the Fault.custom fault that names it', () => {
    const faults = [Fault.custom({ injector: 'dns', component: 'as', at: '1s', for: '1s' })]
    expect(validateScenario({ ...base(), faults, injectors: [plugin] }, 'scenarios/chaos-x.ts').injectors).toEqual([plugin])
  })
  test('a plugin without inject() is refused (exit 104) naming the key and what is allowed', () => {
    try {
      validateScenario({ ...base(), injectors: [{ name: 'dns', kinds: ['custom'] }] }, 'scenarios/chaos-x.ts')
      expect.unreachable()
    } catch (e: any) {
      expect([e.code, e.key]).toEqual(['ERR_SCENARIO_INVALID', 'injectors.0.inject'])
      expect(e.hint).toContain('inject')
    }
  })
})
