import { describe, expect, it } from 'vitest'
import { epochNow } from '../../../harness/load/clock.ts'
import { runConstantVUs } from '../../../harness/load/executors/constant-vus.ts'
import { rampingVUSteps, runRampingVUs } from '../../../harness/load/executors/ramping-vus.ts'
import type { IterationContext } from '../../../harness/load/executors/types.ts'

const never = new AbortController().signal
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Wraps an iteration body and records the highest number of iterations in flight at once. */
function concurrency(body: (ctx: IterationContext) => Promise<void>) {
  const state = { now: 0, max: 0, iterations: [] as number[] }
  const iterate = async (ctx: IterationContext) => {
    state.iterations.push(ctx.iteration)
    state.max = Math.max(state.max, ++state.now)
    try {
      await body(ctx)
    } finally {
      state.now--
    }
  }
  return { state, iterate }
}

const untilAborted = (ctx: IterationContext) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }))

describe('k6 constant-vus executor (closed model)', () => {
  it('VUs loop iterations back to back and never more than `vus` run at once; numbers are 0…n−1 in start order', async () => {
    const { state, iterate } = concurrency(() => sleep(10))
    const stats = await runConstantVUs({ executor: 'constant-vus', vus: 3, duration: '300ms' }, iterate, never)
    expect(state.max).toBe(3)
    expect(stats.peakVUs).toBe(3)
    expect(stats.iterations).toBe(state.iterations.length)
    expect(stats.iterations).toBeGreaterThan(3) // each VU looped
    expect(state.iterations).toEqual([...Array(stats.iterations).keys()])
    expect(stats.dropped).toBe(0)
    expect(stats.targetRate).toBeUndefined()
    expect(stats.lagP50Us).toBeUndefined()
  })

  it('scheduledAt is the moment the VU starts the iteration', async () => {
    const late: number[] = []
    let prevEnd = 0
    await runConstantVUs({ executor: 'constant-vus', vus: 1, duration: '100ms' }, async (ctx) => {
      late.push(epochNow() - ctx.scheduledAt)
      expect(ctx.scheduledAt).toBeGreaterThanOrEqual(prevEnd) // one VU: an iteration starts after the last one ended
      await sleep(5)
      prevEnd = epochNow()
    }, never)
    for (const l of late) expect(l).toBeGreaterThanOrEqual(0)
  })

  it('iterations that resolve at once do not starve timers, and the duration still ends the loop', async () => {
    let ticks = 0
    const ticker = setInterval(() => ticks++, 10)
    const stats = await runConstantVUs({ executor: 'constant-vus', vus: 2, duration: '200ms' }, async () => {}, never)
    clearInterval(ticker)
    expect(stats.iterations).toBeGreaterThan(10)
    expect(ticks).toBeGreaterThan(2)
  })

  it('a stop signal ends the loop early; iterations in flight finish', async () => {
    const stop = new AbortController()
    setTimeout(() => stop.abort(), 100)
    let finished = 0
    const stats = await runConstantVUs({ executor: 'constant-vus', vus: 4, duration: '10s' }, async () => {
      await sleep(20)
      finished++
    }, stop.signal)
    expect(finished).toBe(stats.iterations)
    expect(stats.durationMs).toBeLessThan(8000)
  })

  it('iterations still running after gracefulStop are aborted through their signal', async () => {
    let aborted = 0
    const stats = await runConstantVUs({ executor: 'constant-vus', vus: 3, duration: '50ms', gracefulStop: '50ms' }, async (ctx) => {
      await untilAborted(ctx)
      aborted++
    }, never)
    expect(stats.iterations).toBe(3)
    expect(aborted).toBe(3)
  })
})

describe('k6 ramping-vus executor', () => {
  it('the VU count steps one VU at a time along each stage (0 → 4 over 1s, 4 → 0 over 1s)', () => {
    const steps = [...rampingVUSteps(0, [{ durationMs: 1000, target: 4 }, { durationMs: 1000, target: 0 }])]
    expect(steps).toEqual([
      { at: 0, vus: 0 },
      { at: 250, vus: 1 },
      { at: 500, vus: 2 },
      { at: 750, vus: 3 },
      { at: 1000, vus: 4 },
      { at: 1250, vus: 3 },
      { at: 1500, vus: 2 },
      { at: 1750, vus: 1 },
      { at: 2000, vus: 0 },
    ])
  })

  it('a zero-length stage jumps; a flat stage adds no step', () => {
    expect([...rampingVUSteps(2, [{ durationMs: 0, target: 5 }, { durationMs: 1000, target: 5 }, { durationMs: 0, target: 1 }])]).toEqual([
      { at: 0, vus: 2 },
      { at: 0, vus: 5 },
      { at: 1000, vus: 1 },
    ])
  })

  it('never runs more iterations at once than the highest VU target; every VU starts work', async () => {
    const { state, iterate } = concurrency(() => sleep(10))
    const stats = await runRampingVUs({ executor: 'ramping-vus', startVUs: 1, stages: [{ duration: '150ms', target: 4 }, { duration: '150ms', target: 1 }], gracefulRampDown: '1s' }, iterate, never)
    expect(state.max).toBeLessThanOrEqual(4)
    expect(state.max).toBeGreaterThanOrEqual(2)
    expect(stats.peakVUs).toBe(state.max)
    expect(state.iterations).toEqual([...Array(stats.iterations).keys()])
    expect(stats.dropped).toBe(0)
  })

  it('a VU removed by a ramp-down gets gracefulRampDown, then its iteration is aborted; the others run on to gracefulStop', async () => {
    const aborts: number[] = []
    const stats = await runRampingVUs(
      { executor: 'ramping-vus', startVUs: 2, stages: [{ duration: '100ms', target: 2 }, { duration: '0s', target: 1 }, { duration: '300ms', target: 1 }], gracefulRampDown: '50ms', gracefulStop: '300ms' },
      async (ctx) => {
        await untilAborted(ctx)
        aborts.push(ctx.iteration)
      },
      never,
    )
    // each VU started one iteration that only ends when aborted: the removed VU's first, at the ramp-down
    expect(stats.iterations).toBe(2)
    expect(aborts).toEqual([1, 0]) // VU 1 (iteration 1) is cut at ramp-down + 50ms, VU 0 at the end + gracefulStop
  })

  it('an iteration that finishes within gracefulRampDown is not aborted, and the removed VU starts no new one', async () => {
    // VU 1 (removed at 50ms, the most recently added) runs iteration 1 for 200ms; VU 0 runs short ones
    let aborted = 0
    let slowDone = false
    const afterSlow: number[] = []
    const { state, iterate } = concurrency(async (ctx) => {
      if (slowDone) afterSlow.push(state.now)
      await Promise.race([sleep(ctx.iteration === 1 ? 200 : 10), untilAborted(ctx)])
      if (ctx.signal.aborted) aborted++
      if (ctx.iteration === 1) slowDone = true
    })
    await runRampingVUs({ executor: 'ramping-vus', startVUs: 2, stages: [{ duration: '50ms', target: 2 }, { duration: '0s', target: 1 }, { duration: '350ms', target: 1 }], gracefulRampDown: '5s', gracefulStop: '5s' }, iterate, never)
    expect(state.iterations.slice(0, 2)).toEqual([0, 1])
    expect(aborted).toBe(0)
    expect(slowDone).toBe(true)
    expect(afterSlow.length).toBeGreaterThan(0)
    expect(Math.max(...afterSlow)).toBe(1) // only VU 0 still loops
  })

  it('a stop signal ends the ramp early', async () => {
    const stop = new AbortController()
    setTimeout(() => stop.abort(), 100)
    const stats = await runRampingVUs({ executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '10s', target: 50 }] }, () => sleep(10), stop.signal)
    expect(stats.durationMs).toBeLessThan(8000)
    expect(stats.peakVUs).toBeLessThanOrEqual(2)
  })
})
