/**
 * k6's `per-vu-iterations`: each of `vus` VUs runs exactly `iterations` iterations, back to back,
 * within `maxDuration` (default 10m). VU v's k-th iteration is number v·iterations + k whatever the
 * timing, so the seeded action of every iteration is fixed before the run starts. Iterations still
 * unstarted when maxDuration runs out are dropped (k6's dropped_iterations).
 */
import { parseDuration } from '../../contracts/duration.ts'
import type { PerVUIterations } from './config.ts'
import { runClosedModel } from './closed-model.ts'
import { ownedCount, ownedCounter } from './constant-vus.ts'
import type { ExecutionSegment, ExecutorModule, ExecutorStats, Iterate } from './types.ts'

/**
 * With several workers the set of numbers stays [0, vus·iterations) for any W, but which VU runs a
 * number cannot: a number belongs to the worker owning its identity, not to VU ⌊n / iterations⌋. So
 * each worker's VUs (its share of `vus`) share the numbers it owns, like shared-iterations.
 */
export async function runPerVUIterations(cfg: PerVUIterations, iterate: Iterate, stop: AbortSignal, segment?: ExecutionSegment): Promise<ExecutorStats> {
  const vus = cfg.vus ?? 1
  const perVU = cfg.iterations ?? 1
  const done = new Array<number>(vus).fill(0)
  const r = await runClosedModel(
    {
      steps: [{ at: 0, vus: segment ? segment.vus(vus) : vus }],
      endMs: parseDuration(cfg.maxDuration ?? '10m')!,
      graceMs: parseDuration(cfg.gracefulStop ?? '30s')!,
      finishWhenIdle: true,
      next: segment ? ownedCounter(vus * perVU, segment.owns) : (vu) => (done[vu] < perVU ? vu * perVU + done[vu]++ : null),
    },
    iterate,
    stop,
  )
  return {
    iterations: r.started,
    dropped: r.reachedEnd ? ownedCount(vus * perVU, segment) - r.started : 0,
    achievedRate: r.windowMs > 0 ? r.started / (r.windowMs / 1000) : 0,
    peakVUs: r.peakVUs,
    durationMs: r.elapsedMs,
  }
}

export const perVUIterations: ExecutorModule<PerVUIterations> = {
  run: runPerVUIterations,
  maxVUs: (cfg) => cfg.vus ?? 1,
  describe: (cfg) => `${cfg.iterations ?? 1} iterations for each of ${cfg.vus ?? 1} VUs (maxDuration ${cfg.maxDuration ?? '10m'})`,
}
