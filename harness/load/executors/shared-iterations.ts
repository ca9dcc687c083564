/**
 * k6's `shared-iterations`: `vus` VUs share `iterations` iterations in all, each VU taking the next
 * one as soon as it is free, within `maxDuration` (default 10m). Numbers come from one shared
 * counter (0…iterations−1); which VU runs a number does not matter, since the seeded action depends
 * on the number only. Iterations still unstarted when maxDuration runs out are dropped.
 */
import { parseDuration } from '../../contracts/duration.ts'
import type { SharedIterations } from './config.ts'
import { runClosedModel } from './closed-model.ts'
import { ownedCount, ownedCounter, sharedCounter } from './constant-vus.ts'
import type { ExecutionSegment, ExecutorModule, ExecutorStats, Iterate } from './types.ts'

/** With several workers, each runs the numbers of [0, iterations) it owns: the set is the same for any W. */
export async function runSharedIterations(cfg: SharedIterations, iterate: Iterate, stop: AbortSignal, segment?: ExecutionSegment): Promise<ExecutorStats> {
  const total = cfg.iterations ?? 1
  const vus = cfg.vus ?? 1
  const r = await runClosedModel(
    {
      steps: [{ at: 0, vus: segment ? segment.vus(vus) : vus }],
      endMs: parseDuration(cfg.maxDuration ?? '10m')!,
      graceMs: parseDuration(cfg.gracefulStop ?? '30s')!,
      finishWhenIdle: true,
      next: segment ? ownedCounter(total, segment.owns) : sharedCounter(total),
    },
    iterate,
    stop,
  )
  return {
    iterations: r.started,
    dropped: r.reachedEnd ? ownedCount(total, segment) - r.started : 0,
    achievedRate: r.windowMs > 0 ? r.started / (r.windowMs / 1000) : 0,
    peakVUs: r.peakVUs,
    durationMs: r.elapsedMs,
  }
}

export const sharedIterations: ExecutorModule<SharedIterations> = {
  run: runSharedIterations,
  maxVUs: (cfg) => cfg.vus ?? 1,
  describe: (cfg) => `${cfg.iterations ?? 1} iterations shared by ${cfg.vus ?? 1} VUs (maxDuration ${cfg.maxDuration ?? '10m'})`,
}
