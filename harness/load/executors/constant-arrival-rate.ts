/** k6's `constant-arrival-rate`: iteration i is due at start + i·(timeUnit/rate), for `duration`. */
import { parseDuration } from '../../contracts/duration.ts'
import type { ConstantArrivalRate } from './config.ts'
import { runOpenModel, type ArrivalSchedule } from './open-model.ts'
import type { ExecutionSegment, ExecutorModule, ExecutorStats, Iterate } from './types.ts'

/** Guards floor() against 2.9999999 where the exact count is 3. */
const EPS = 1e-9

export function constantArrivalSchedule(cfg: Pick<ConstantArrivalRate, 'rate' | 'timeUnit' | 'duration'>): ArrivalSchedule {
  const unitMs = parseDuration(cfg.timeUnit ?? '1s')!
  const durationMs = parseDuration(cfg.duration)!
  const intervalMs = unitMs / cfg.rate
  return {
    total: Math.floor((durationMs * cfg.rate) / unitMs + EPS),
    at: (i) => i * intervalMs,
    durationMs,
    targetRate: (cfg.rate * 1000) / unitMs,
  }
}

export function maxVUs(cfg: { preAllocatedVUs: number; maxVUs?: number }): number {
  return Math.max(cfg.maxVUs ?? cfg.preAllocatedVUs, cfg.preAllocatedVUs)
}

export function runConstantArrivalRate(cfg: ConstantArrivalRate, iterate: Iterate, stop: AbortSignal, segment?: ExecutionSegment): Promise<ExecutorStats> {
  const graceMs = parseDuration(cfg.gracefulStop ?? '30s')!
  const vus = segment ? segment.poolVUs(maxVUs(cfg)) : maxVUs(cfg)
  return runOpenModel(constantArrivalSchedule(cfg), { maxVUs: vus, graceMs }, iterate, stop, segment)
}

export const constantArrivalRate: ExecutorModule<ConstantArrivalRate> = {
  run: runConstantArrivalRate,
  maxVUs,
  describe: (cfg) => `${cfg.rate} iterations/${cfg.timeUnit ?? '1s'} for ${cfg.duration} (maxVUs ${maxVUs(cfg)})`,
}
