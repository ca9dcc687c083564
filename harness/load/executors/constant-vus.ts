/**
 * k6's `constant-vus`: `vus` VUs loop iterations back to back for `duration` (closed model).
 * Iterations are numbered from one shared counter in the order they start, so a run's iterations are
 * 0…n−1 and map to the seeded schedule's first n actions, whichever VU runs them.
 */
import { parseDuration } from '../../contracts/duration.ts'
import type { ConstantVUs } from './config.ts'
import { runClosedModel } from './closed-model.ts'
import { ITERATION_LIMIT, type ExecutionSegment, type ExecutorModule, type ExecutorStats, type Iterate } from './types.ts'

/** A shared, bounded iteration counter for the duration-based closed executors. */
export function sharedCounter(limit = ITERATION_LIMIT): () => number | null {
  let n = 0
  return () => (n < limit ? n++ : null)
}

/**
 * With several workers (run/measure/coordinator.ts), each worker's VUs share one counter that skips the numbers
 * other workers own: every number still maps to the same seeded action, but which numbers run
 * depends on how fast each worker goes, so a duration-bound closed model is not W-independent
 * (nor run-to-run independent with one worker). The scan is capped per call so a worker that owns
 * no further number stops instead of spinning; a non-empty segment owns a number in about W.
 */
export function ownedCounter(limit: number, owns: (i: number) => boolean, scanCap = 1 << 16): () => number | null {
  let n = 0
  return () => {
    for (let k = 0; n < limit && k < scanCap; k++) {
      const i = n++
      if (owns(i)) return i
    }
    return null
  }
}

/** How many of the numbers [0, limit) this worker owns (its part of an iteration-count executor). */
export function ownedCount(limit: number, segment: ExecutionSegment | undefined): number {
  if (!segment) return limit
  let n = 0
  for (let i = 0; i < limit; i++) if (segment.owns(i)) n++
  return n
}

export async function runConstantVUs(cfg: ConstantVUs, iterate: Iterate, stop: AbortSignal, segment?: ExecutionSegment): Promise<ExecutorStats> {
  const next = segment ? ownedCounter(ITERATION_LIMIT, segment.owns) : sharedCounter()
  const vus = cfg.vus ?? 1
  const r = await runClosedModel(
    {
      steps: [{ at: 0, vus: segment ? segment.vus(vus) : vus }],
      endMs: parseDuration(cfg.duration)!,
      graceMs: parseDuration(cfg.gracefulStop ?? '30s')!,
      finishWhenIdle: false,
      next,
    },
    iterate,
    stop,
  )
  return {
    iterations: r.started,
    dropped: 0,
    achievedRate: r.windowMs > 0 ? r.started / (r.windowMs / 1000) : 0,
    peakVUs: r.peakVUs,
    durationMs: r.elapsedMs,
  }
}

export const constantVUs: ExecutorModule<ConstantVUs> = {
  run: runConstantVUs,
  maxVUs: (cfg) => cfg.vus ?? 1,
  describe: (cfg) => `${cfg.vus ?? 1} looping VUs for ${cfg.duration}`,
}
