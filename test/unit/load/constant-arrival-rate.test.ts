import { describe, expect, it } from 'vitest'
import { runConstantArrivalRate } from '../../../harness/load/executors/constant-arrival-rate.ts'

const base = { executor: 'constant-arrival-rate' as const, timeUnit: '1s' }

describe('k6 constant-arrival-rate executor', () => {
  it('starts rate × duration iterations, each scheduled timeUnit/rate apart', async () => {
    const due: number[] = []
    const stats = await runConstantArrivalRate({ ...base, rate: 50, duration: '1s', preAllocatedVUs: 5 }, async (ctx) => {
      due.push(ctx.scheduledAt)
    }, new AbortController().signal)
    expect(stats.iterations).toBe(50)
    expect(stats.dropped).toBe(0)
    const gaps = due.slice(1).map((t, i) => t - due[i])
    for (const g of gaps) expect(g).toBeCloseTo(20, 6)
  })

  it('open model: an iteration that finds every VU busy is dropped and counted, not delayed', async () => {
    const seen: number[] = []
    const stats = await runConstantArrivalRate({ ...base, rate: 100, duration: '500ms', preAllocatedVUs: 2, gracefulStop: '2s' }, async (ctx) => {
      seen.push(ctx.iteration)
      await new Promise((r) => setTimeout(r, 200)) // far slower than the arrival interval
    }, new AbortController().signal)
    expect(stats.iterations + stats.dropped).toBe(50)
    expect(stats.dropped).toBeGreaterThan(30)
    expect(stats.iterations).toBe(seen.length)
  })

  it('a stop signal ends scheduling early and waits for in-flight iterations', async () => {
    const stop = new AbortController()
    let finished = 0
    setTimeout(() => stop.abort(), 150)
    const stats = await runConstantArrivalRate({ ...base, rate: 100, duration: '10s', preAllocatedVUs: 10 }, async () => {
      await new Promise((r) => setTimeout(r, 30))
      finished++
    }, stop.signal)
    expect(stats.iterations).toBeLessThan(100)
    expect(finished).toBe(stats.iterations)
  })

  it('iterations still running after gracefulStop are aborted through their signal', async () => {
    let aborted = 0
    await runConstantArrivalRate({ ...base, rate: 10, duration: '100ms', preAllocatedVUs: 1, gracefulStop: '50ms' }, (ctx) =>
      new Promise<void>((resolve) => {
        ctx.signal.addEventListener('abort', () => (aborted++, resolve()))
      }), new AbortController().signal)
    expect(aborted).toBe(1)
  })
})
