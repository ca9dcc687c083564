/**
 * The fault schedule: faults start at `at` from the start of the measured phase and heal when their
 * window ends, in time order, independently of each other; stop() (end of load, Ctrl-C, failure)
 * cancels what has not started and heals what is active, once.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { Fault, type FaultSpec } from '../../../harness/chaos/fault.ts'
import type { FaultInjector, InjectContext } from '../../../harness/chaos/injector.ts'
import { FaultScheduler } from '../../../harness/chaos/scheduler.ts'
import type { StartedTarget } from '../../../harness/contracts/target.ts'

const T0 = Date.parse('2026-11-26T03:00:00.000Z')

/** Records every inject/heal with the fake clock's offset from T0. */
function recorder(opts: { failInject?: string; failHeal?: string; injectMs?: number } = {}) {
  const events: string[] = []
  const injector: FaultInjector = {
    name: 'fake',
    kinds: ['latency', 'pause', 'kill', 'clock-skew', 'key-rotation', 'reset'],
    async inject(spec, ctx) {
      const name = `${spec.kind}#${ctx.index}`
      if (opts.injectMs) await new Promise((r) => setTimeout(r, opts.injectMs))
      events.push(`${Date.now() - T0} inject ${name}`)
      if (opts.failInject === name) throw new Error('boom')
      let healed = false
      return {
        detail: `fake ${name}`,
        async heal() {
          if (healed) throw new Error(`${name} healed twice`)
          healed = true
          events.push(`${Date.now() - T0} heal ${name}`)
          if (opts.failHeal === name) throw new Error('stuck')
        },
      }
    },
  }
  return { events, injector }
}

function scheduler(specs: FaultSpec[], injector: FaultInjector, log: string[] = []) {
  const context: Omit<InjectContext, 'index'> = { target: {} as StartedTarget, identities: [], seed: 1, log: (l) => log.push(l) }
  return new FaultScheduler({ specs, injectors: [injector], context, log: (l) => log.push(l) })
}

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(T0)
})
afterEach(() => {
  vi.useRealTimers()
})

describe('fault schedule', () => {
  test('injects at `at` and heals at `at + for`, in time order across overlapping faults', async () => {
    const { events, injector } = recorder()
    const s = scheduler([
      Fault.latency({ component: 'jwks', ms: 800, at: '2s', for: '10s' }),
      Fault.pause({ component: 'replay-store', at: '5s', for: '3s' }),
      Fault.clockSkew({ skewS: 300, at: '500ms', for: '1s' }),
    ], injector)
    s.start(T0)
    await vi.advanceTimersByTimeAsync(20_000)
    expect(events).toEqual([
      '500 inject clock-skew#2',
      '1500 heal clock-skew#2',
      '2000 inject latency#0',
      '5000 inject pause#1',
      '8000 heal pause#1',
      '12000 heal latency#0',
    ])
    expect(s.windows.map((w) => [w.id, w.label, w.start! - T0, w.end! - T0, w.healed])).toEqual([
      ['f1', 'latency jwks 2s–12s', 2000, 12000, true],
      ['f2', 'pause replay-store 5s–8s', 5000, 8000, true],
      ['f3', 'clock-skew agents 500ms–1.5s', 500, 1500, true],
    ])
    expect(s.windows[0].detail).toBe('fake latency#0')
    await s.stop()
    expect(events).toHaveLength(6) // nothing healed twice
  })

  test('stop() heals what is active at once and cancels faults that have not started', async () => {
    const { events, injector } = recorder()
    const s = scheduler([
      Fault.latency({ component: 'jwks', ms: 800, at: '1s', for: '10s' }),
      Fault.kill({ component: 'rs-1/0', at: '30s', for: '5s' }),
    ], injector)
    s.start(T0)
    await vi.advanceTimersByTimeAsync(3_000)
    expect(s.active.map((w) => w.id)).toEqual(['f1'])
    await s.stop()
    expect(events).toEqual(['1000 inject latency#0', '3000 heal latency#0'])
    expect(s.windows[0]).toMatchObject({ healed: true, end: T0 + 3_000 })
    expect(s.windows[1]).toMatchObject({ start: null, end: null, healed: false })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(events).toHaveLength(2) // the cancelled fault never starts
    await s.stop() // idempotent
  })

  test('a heal due while the injection is still running waits for it', async () => {
    const { events, injector } = recorder({ injectMs: 3_000 })
    const s = scheduler([Fault.restart({ component: 'as', at: '1s', for: '1s' })], recorderKinds(injector))
    s.start(T0)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(events).toEqual(['4000 inject restart#0', '4000 heal restart#0'])
  })

  test('a failed injection is recorded on its window and nothing is healed for it', async () => {
    const log: string[] = []
    const { events, injector } = recorder({ failInject: 'reset#0' })
    const s = scheduler([Fault.reset({ component: 'rs-1', at: '1s', for: '2s' })], injector, log)
    s.start(T0)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(events).toEqual(['1000 inject reset#0'])
    expect(s.windows[0]).toMatchObject({ error: 'injection failed: boom', healed: false, start: T0 + 1000, end: T0 + 3000 })
    expect(log.join('\n')).toContain('f1 reset rs-1 1s–3s: injection failed: boom')
  })

  test('a failed heal is recorded and does not stop the others from healing', async () => {
    const { events, injector } = recorder({ failHeal: 'latency#0' })
    const s = scheduler([
      Fault.latency({ component: 'jwks', ms: 1, at: '1s', for: '1s' }),
      Fault.latency({ component: 'rs-1', ms: 1, at: '1s', for: '1s' }),
    ], injector)
    s.start(T0)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(events.filter((e) => e.includes('heal'))).toEqual(['2000 heal latency#0', '2000 heal latency#1'])
    expect(s.windows.map((w) => [w.healed, w.error])).toEqual([[false, 'healing failed: stuck'], [true, null]])
  })

  test('a fault no injector handles is refused before anything starts', () => {
    const { injector } = recorder()
    expect(() => scheduler([Fault.custom({ injector: 'dns', component: 'as', at: '1s', for: '1s' })], injector)).toThrow(/custom injector 'dns'/)
    expect(() => scheduler([Fault.bandwidth({ component: 'rs-1', rate: 1, at: '1s', for: '1s' })], injector)).toThrow(/'bandwidth'/)
  })

  test('a plugin handles Fault.custom by name', async () => {
    const seen: string[] = []
    const plugin: FaultInjector = {
      name: 'dns',
      kinds: ['custom'],
      async inject(spec) {
        seen.push(`inject ${JSON.stringify(spec.kind === 'custom' ? spec.params : null)}`)
        return { heal: async () => void seen.push('heal') }
      },
    }
    const s = scheduler([Fault.custom({ injector: 'dns', component: 'as', params: { nxdomain: true }, at: '1s', for: '1s' })], plugin)
    s.start(T0)
    await vi.advanceTimersByTimeAsync(3_000)
    expect(seen).toEqual(['inject {"nxdomain":true}', 'heal'])
  })
})

function recorderKinds(i: FaultInjector): FaultInjector {
  return { ...i, kinds: [...i.kinds, 'restart'] }
}
