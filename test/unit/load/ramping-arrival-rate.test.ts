import { describe, expect, it } from 'vitest'
import { rampingArrivalSchedule, runRampingArrivalRate, scheduleOf } from '../../../harness/load/executors/ramping-arrival-rate.ts'
import type { RampingArrivalRate } from '../../../harness/load/executors/config.ts'

const never = new AbortController().signal
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

function dueTimes(s: { total: number; at(i: number): number }): number[] {
  return Array.from({ length: s.total }, (_, i) => s.at(i))
}

describe('k6 ramping-arrival-rate: due times integrate the piecewise-linear rate', () => {
  it('a 2-stage ramp up then down (0 → 10/s over 1s, 10 → 0/s over 1s): iteration n is due where the integral reaches n', () => {
    const s = rampingArrivalSchedule(0, 1000, [
      { durationMs: 1000, target: 10 },
      { durationMs: 1000, target: 0 },
    ])
    // rate 10t /s: integral 5t² = n → t = √(n/5); then rate 10 − 10u: 5 + 10u − 5u² = n → u = 1 − √(1 − (n − 5)/5)
    const expected = [1, 2, 3, 4, 5].map((n) => 1000 * Math.sqrt(n / 5)).concat([6, 7, 8, 9, 10].map((n) => 1000 + 1000 * (1 - Math.sqrt(1 - (n - 5) / 5))))
    expect(s.total).toBe(10)
    expect(s.durationMs).toBe(2000)
    const got = dueTimes(s)
    got.forEach((t, i) => expect(Math.abs(t - expected[i])).toBeLessThan(1e-6))
  })

  it('a 2-stage ramp from startRate then a constant stage (5 → 15/s over 2s, 15/s for 1s)', () => {
    const s = scheduleOf({ startRate: 5, timeUnit: '1s', stages: [{ duration: '2s', target: 15 }, { duration: '1s', target: 15 }] })
    // rate 5 + 5t: integral 5t + 2.5t² = n → t = (−5 + √(25 + 10n))/5, 20 by t = 2; then 15/s: t = 2 + (n − 20)/15
    const expected: number[] = []
    for (let n = 1; n <= 20; n++) expected.push(1000 * ((-5 + Math.sqrt(25 + 10 * n)) / 5))
    for (let n = 21; n <= 35; n++) expected.push(1000 * (2 + (n - 20) / 15))
    expect(s.total).toBe(35)
    expect(s.targetRate).toBeCloseTo(35 / 3, 9)
    dueTimes(s).forEach((t, i) => expect(Math.abs(t - expected[i])).toBeLessThan(1e-6))
  })

  it('timeUnit scales startRate and targets; a zero-length stage jumps; due times never go backwards', () => {
    const perMinute = scheduleOf({ startRate: 60, timeUnit: '1m', stages: [{ duration: '3s', target: 60 }] })
    expect(dueTimes(perMinute)).toEqual([1000, 2000, 3000])
    const jump = scheduleOf({ startRate: 0, stages: [{ duration: '0s', target: 4 }, { duration: '1s', target: 4 }, { duration: '1s', target: 0 }] })
    expect(jump.total).toBe(6)
    const t = dueTimes(jump)
    t.slice(0, 4).forEach((x, i) => expect(Math.abs(x - 250 * (i + 1))).toBeLessThan(1e-6))
    for (let i = 1; i < t.length; i++) expect(t[i]).toBeGreaterThanOrEqual(t[i - 1])
    expect(t[t.length - 1]).toBeLessThanOrEqual(2000)
  })

  it('the executor starts exactly the scheduled iterations, numbered 0…n−1, at the scheduled offsets', async () => {
    const cfg: RampingArrivalRate = { executor: 'ramping-arrival-rate', startRate: 0, stages: [{ duration: '300ms', target: 100 }, { duration: '300ms', target: 100 }], preAllocatedVUs: 45 }
    const seen: { iteration: number; scheduledAt: number }[] = []
    const stats = await runRampingArrivalRate(cfg, async (ctx) => void seen.push({ iteration: ctx.iteration, scheduledAt: ctx.scheduledAt }), never)
    const schedule = scheduleOf(cfg)
    expect(schedule.total).toBe(45) // 15 on the ramp + 30 at 100/s
    expect(stats.iterations).toBe(45)
    expect(stats.dropped).toBe(0)
    expect(stats.targetRate).toBeCloseTo(75, 9)
    expect(seen.map((s) => s.iteration)).toEqual([...Array(45).keys()])
    // scheduledAt is start + at(i) in epoch ms (float resolution there is ~2.4e-4 ms): compare the spacing
    for (let i = 1; i < seen.length; i++) {
      expect(Math.abs(seen[i].scheduledAt - seen[0].scheduledAt - (schedule.at(i) - schedule.at(0)))).toBeLessThan(1e-3)
    }
  })

  it('open model: a due iteration that finds every VU busy is dropped and counted', async () => {
    const cfg: RampingArrivalRate = { executor: 'ramping-arrival-rate', startRate: 50, stages: [{ duration: '400ms', target: 150 }], preAllocatedVUs: 2, gracefulStop: '2s' }
    let ran = 0
    const stats = await runRampingArrivalRate(cfg, async () => {
      ran++
      await sleep(200)
    }, never)
    expect(stats.iterations + stats.dropped).toBe(scheduleOf(cfg).total)
    expect(stats.dropped).toBeGreaterThan(20)
    expect(stats.iterations).toBe(ran)
    expect(stats.peakVUs).toBeLessThanOrEqual(2)
  })

  it('a stop signal ends scheduling early and waits for in-flight iterations', async () => {
    const stop = new AbortController()
    let finished = 0
    setTimeout(() => stop.abort(), 150)
    const cfg: RampingArrivalRate = { executor: 'ramping-arrival-rate', startRate: 100, stages: [{ duration: '10s', target: 200 }], preAllocatedVUs: 10 }
    const stats = await runRampingArrivalRate(cfg, async () => {
      await sleep(30)
      finished++
    }, stop.signal)
    expect(stats.iterations).toBeLessThan(scheduleOf(cfg).total)
    expect(finished).toBe(stats.iterations)
    expect(stats.durationMs).toBeLessThan(8000)
  })

  it('iterations still running after gracefulStop are aborted through their signal', async () => {
    let aborted = 0
    await runRampingArrivalRate({ executor: 'ramping-arrival-rate', startRate: 20, stages: [{ duration: '100ms', target: 20 }], preAllocatedVUs: 4, gracefulStop: '50ms' }, (ctx) =>
      new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => (aborted++, resolve()))), never)
    expect(aborted).toBe(2)
  })
})
