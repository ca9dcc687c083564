import { describe, expect, it } from 'vitest'
import { runPerVUIterations } from '../../../harness/load/executors/per-vu-iterations.ts'
import { runSharedIterations } from '../../../harness/load/executors/shared-iterations.ts'
import type { IterationContext } from '../../../harness/load/executors/types.ts'

const never = new AbortController().signal
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const jitter = () => sleep(Math.random() * 8)

function tracked(body: (ctx: IterationContext) => Promise<void>) {
  const state = { now: 0, max: 0, started: [] as number[], finished: 0 }
  const iterate = async (ctx: IterationContext) => {
    state.started.push(ctx.iteration)
    state.max = Math.max(state.max, ++state.now)
    try {
      await body(ctx)
      state.finished++
    } finally {
      state.now--
    }
  }
  return { state, iterate }
}

describe('k6 per-vu-iterations executor', () => {
  it('runs exactly vus × iterations; VU v\'s k-th iteration is number v·iterations + k, in order, whatever the timing', async () => {
    const { state, iterate } = tracked(jitter)
    const stats = await runPerVUIterations({ executor: 'per-vu-iterations', vus: 4, iterations: 5 }, iterate, never)
    expect(stats.iterations).toBe(20)
    expect(stats.dropped).toBe(0)
    expect([...state.started].sort((a, b) => a - b)).toEqual([...Array(20).keys()])
    for (let v = 0; v < 4; v++) expect(state.started.filter((i) => Math.floor(i / 5) === v)).toEqual([0, 1, 2, 3, 4].map((k) => v * 5 + k))
    expect(state.max).toBeLessThanOrEqual(4)
  })

  it('defaults to 1 VU × 1 iteration (k6 defaults)', async () => {
    const { state, iterate } = tracked(async () => {})
    const stats = await runPerVUIterations({ executor: 'per-vu-iterations' }, iterate, never)
    expect(state.started).toEqual([0])
    expect(stats.iterations).toBe(1)
  })

  it('maxDuration stops it: iterations not started by then are dropped (k6 dropped_iterations)', async () => {
    const { state, iterate } = tracked(() => sleep(20))
    const stats = await runPerVUIterations({ executor: 'per-vu-iterations', vus: 2, iterations: 100, maxDuration: '200ms', gracefulStop: '5s' }, iterate, never)
    expect(stats.iterations).toBeLessThan(200)
    expect(stats.iterations + stats.dropped).toBe(200)
    expect(state.finished).toBe(stats.iterations) // in-flight ones finished within gracefulStop
  })

  it('a stop signal ends it early; a user stop is not counted as dropping', async () => {
    const stop = new AbortController()
    setTimeout(() => stop.abort(), 100)
    const { state, iterate } = tracked(() => sleep(10))
    const stats = await runPerVUIterations({ executor: 'per-vu-iterations', vus: 2, iterations: 1000 }, iterate, stop.signal)
    expect(stats.iterations).toBeLessThan(2000)
    expect(stats.dropped).toBe(0)
    expect(state.finished).toBe(stats.iterations)
  })
})

describe('k6 shared-iterations executor', () => {
  it('vus share exactly `iterations`, numbered 0…n−1 in start order, never more than vus at once', async () => {
    const { state, iterate } = tracked(jitter)
    const stats = await runSharedIterations({ executor: 'shared-iterations', vus: 3, iterations: 25 }, iterate, never)
    expect(stats.iterations).toBe(25)
    expect(stats.dropped).toBe(0)
    expect(state.started).toEqual([...Array(25).keys()])
    expect(state.max).toBeLessThanOrEqual(3)
    expect(stats.peakVUs).toBe(state.max)
  })

  it('maxDuration stops it: iterations not started by then are dropped', async () => {
    const { iterate } = tracked(() => sleep(20))
    const stats = await runSharedIterations({ executor: 'shared-iterations', vus: 2, iterations: 500, maxDuration: '150ms' }, iterate, never)
    expect(stats.iterations).toBeLessThan(500)
    expect(stats.iterations + stats.dropped).toBe(500)
  })

  it('iterations still running when maxDuration + gracefulStop run out are aborted through their signal', async () => {
    let aborted = 0
    const stats = await runSharedIterations({ executor: 'shared-iterations', vus: 2, iterations: 10, maxDuration: '50ms', gracefulStop: '50ms' }, (ctx) =>
      new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => (aborted++, resolve()))), never)
    expect(stats.iterations).toBe(2)
    expect(aborted).toBe(2)
    expect(stats.dropped).toBe(8)
  })

  it('a stop signal ends it early', async () => {
    const stop = new AbortController()
    setTimeout(() => stop.abort(), 100)
    const stats = await runSharedIterations({ executor: 'shared-iterations', vus: 2, iterations: 100_000 }, () => sleep(5), stop.signal)
    expect(stats.iterations).toBeLessThan(100_000)
    expect(stats.dropped).toBe(0)
    expect(stats.durationMs).toBeLessThan(8000)
  })

  it('a stop already given starts nothing', async () => {
    const stop = new AbortController()
    stop.abort()
    const stats = await runSharedIterations({ executor: 'shared-iterations', vus: 2, iterations: 10 }, async () => {}, stop.signal)
    expect(stats.iterations).toBe(0)
  })
})
