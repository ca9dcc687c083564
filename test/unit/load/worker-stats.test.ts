import { MessageChannel } from 'node:worker_threads'
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { mergeStats } from '../../../harness/load/workers/merge-stats.ts'
import { epochNow } from '../../../harness/load/clock.ts'
import { runExecutor, type ExecutionSegment, type ExecutorStats } from '../../../harness/load/executors/index.ts'
import { poolShare, vuShare } from '../../../harness/load/workers/segments.ts'

/** Posts a value through a real MessagePort, as a worker's stats travel. */
async function viaPort<T>(v: T): Promise<T> {
  const { port1, port2 } = new MessageChannel()
  try {
    return await new Promise<T>((resolve) => {
      port2.once('message', resolve)
      port1.postMessage(v)
    })
  } finally {
    port1.close()
  }
}

function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
}

describe('merging workers\' executor stats', () => {
  it('lag percentiles of merged worker histograms equal those of one histogram of all samples', async () => {
    const rnd = lcg(42)
    const whole = createHistogram()
    const parts: RecordableHistogram[] = [createHistogram(), createHistogram(), createHistogram()]
    for (let k = 0; k < 30_000; k++) {
      // a heavy tail, so p99 is far from p50
      const us = Math.max(1, Math.round(rnd() < 0.02 ? 5_000 + rnd() * 50_000 : 50 + rnd() * 900))
      whole.record(us)
      parts[k % 3 === 0 ? 0 : rnd() < 0.5 ? 1 : 2].record(us)
    }
    const posted = await Promise.all(parts.map(viaPort))
    const stat = (h: RecordableHistogram, achievedRate: number): ExecutorStats => ({ iterations: h.count, dropped: 0, lagP50Us: h.percentile(50), lagP99Us: h.percentile(99), targetRate: 100, achievedRate, peakVUs: 3, durationMs: 3000 })
    const merged = mergeStats(posted.map((h) => ({ stats: stat(h, h.count / 3), lag: h })))
    expect(merged.iterations).toBe(whole.count)
    expect(merged.lagP50Us).toBe(whole.percentile(50))
    expect(merged.lagP99Us).toBe(whole.percentile(99))
    expect(merged.lagP99Us).not.toBe(merged.lagP50Us)
  })

  it('sums iterations, dropped and peak VUs; rates over the common window', () => {
    const a: ExecutorStats = { iterations: 60, dropped: 2, achievedRate: 20, peakVUs: 4, durationMs: 3100, targetRate: 40 }
    const b: ExecutorStats = { iterations: 57, dropped: 1, achievedRate: 19, peakVUs: 5, durationMs: 3050, targetRate: 40 }
    const m = mergeStats([{ stats: a, lag: createHistogram() }, { stats: b, lag: createHistogram() }])
    expect(m.iterations).toBe(117)
    expect(m.dropped).toBe(3)
    expect(m.peakVUs).toBe(9)
    expect(m.targetRate).toBe(40)
    expect(m.durationMs).toBe(3100)
    // both windows are 3 s: 117 iterations in 3 s
    expect(m.achievedRate).toBeCloseTo(39, 6)
    expect(m.lagP50Us).toBe(0)
  })

  it('closed-model parts carry no lag, and the merge reports none', () => {
    const s: ExecutorStats = { iterations: 10, dropped: 0, achievedRate: 5, peakVUs: 2, durationMs: 2000 }
    const m = mergeStats([{ stats: s }, { stats: { ...s, iterations: 0, achievedRate: 0 } }])
    expect(m.lagP50Us).toBeUndefined()
    expect(m.iterations).toBe(10)
    expect(m.achievedRate).toBeCloseTo(5, 6)
  })
})

describe('executors on segments: the workers together start each iteration exactly once', () => {
  const segments = (count: number, startAt: number) =>
    Array.from({ length: count }, (_, w): ExecutionSegment => ({
      owns: (i) => (i * 2654435761) % 2 ** 32 % count === w,
      vus: (total) => vuShare(total, w, count),
      poolVUs: (total) => poolShare(total, 1 / count),
      startAt,
      lag: createHistogram(),
    }))

  it('constant-arrival-rate: the same timeline, foreign iterations neither started nor dropped', async () => {
    const stop = new AbortController().signal
    const segs = segments(3, epochNow() + 20)
    const started: number[] = []
    const parts = await Promise.all(
      segs.map(async (seg) => {
        const stats = await runExecutor({ executor: 'constant-arrival-rate', rate: 200, timeUnit: '1s', duration: '300ms', preAllocatedVUs: 30 }, async ({ iteration }) => void started.push(iteration), stop, seg)
        return { stats, lag: seg.lag }
      }),
    )
    expect(started.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i))
    const merged = mergeStats(parts)
    expect(merged.iterations).toBe(60)
    expect(merged.dropped).toBe(0)
    expect(parts.reduce((n, p) => n + p.lag.count, 0)).toBe(60)
    expect(merged.achievedRate).toBeGreaterThan(150)
  })

  it('shared-iterations and per-vu-iterations: the set of numbers is the one-worker set', async () => {
    const stop = new AbortController().signal
    for (const cfg of [
      { executor: 'shared-iterations', vus: 2, iterations: 40 },
      { executor: 'per-vu-iterations', vus: 4, iterations: 10 },
    ] as const) {
      const started: number[] = []
      const stats = await Promise.all(segments(3, epochNow()).map((seg) => runExecutor(cfg, async ({ iteration }) => void started.push(iteration), stop, seg)))
      expect(started.sort((a, b) => a - b), cfg.executor).toEqual(Array.from({ length: 40 }, (_, i) => i))
      expect(mergeStats(stats.map((s) => ({ stats: s }))).dropped).toBe(0)
    }
  })
})
