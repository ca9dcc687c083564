/**
 * k6's `constant-vus`: `vus` VUs loop iterations back to back for `duration` (closed model).
 * Iterations are numbered from one shared counter in the order they start, so a run's iterations are
 * 0…n−1 and map to the seeded schedule's first n actions, whichever VU runs them.
 */
import { parseDuration } from '../../scenario/duration.ts'
import type { ConstantVUs } from '../../scenario/types.ts'
import { runClosedModel } from './closed-model.ts'
import { ITERATION_LIMIT, type ExecutorModule, type ExecutorStats, type Iterate } from './types.ts'

/** A shared, bounded iteration counter for the duration-based closed executors. */
export function sharedCounter(limit = ITERATION_LIMIT): () => number | null {
  let n = 0
  return () => (n < limit ? n++ : null)
}

export async function runConstantVUs(cfg: ConstantVUs, iterate: Iterate, stop: AbortSignal): Promise<ExecutorStats> {
  const next = sharedCounter()
  const r = await runClosedModel(
    {
      steps: [{ at: 0, vus: cfg.vus ?? 1 }],
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
