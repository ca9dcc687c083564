/**
 * The executor registry, keyed by k6's executor names (k6 registers one per file in
 * lib/executor/). measure.ts dispatches through runExecutor; the run uses maxVUs to size
 * connection pools and describe for its log line.
 */
import type { ExecutorConfig, ExecutorName } from './config.ts'
import { constantArrivalRate } from './constant-arrival-rate.ts'
import { constantVUs } from './constant-vus.ts'
import { perVUIterations } from './per-vu-iterations.ts'
import { rampingArrivalRate } from './ramping-arrival-rate.ts'
import { rampingVUs } from './ramping-vus.ts'
import { sharedIterations } from './shared-iterations.ts'
import type { ExecutionSegment, ExecutorModule, ExecutorStats, Iterate } from './types.ts'

export type { ExecutionSegment, ExecutorStats, Iterate, IterationContext } from './types.ts'

const EXECUTORS: { [K in ExecutorName]: ExecutorModule<Extract<ExecutorConfig, { executor: K }>> } = {
  'constant-arrival-rate': constantArrivalRate,
  'ramping-arrival-rate': rampingArrivalRate,
  'constant-vus': constantVUs,
  'ramping-vus': rampingVUs,
  'per-vu-iterations': perVUIterations,
  'shared-iterations': sharedIterations,
}

export const EXECUTOR_NAMES = Object.keys(EXECUTORS) as ExecutorName[]

function moduleOf(cfg: ExecutorConfig): ExecutorModule<ExecutorConfig> {
  const m = EXECUTORS[cfg.executor] as ExecutorModule<ExecutorConfig> | undefined
  // validateScenario refuses unknown executors; reaching this is a programming error
  if (!m) throw new TypeError(`no executor named ${JSON.stringify(cfg.executor)}`)
  return m
}

/** `segment`: this worker's part of the scenario when the run has several workers */
export function runExecutor(cfg: ExecutorConfig, iterate: Iterate, stop: AbortSignal, segment?: ExecutionSegment): Promise<ExecutorStats> {
  return moduleOf(cfg).run(cfg, iterate, stop, segment)
}

export function executorMaxVUs(cfg: ExecutorConfig): number {
  return moduleOf(cfg).maxVUs(cfg)
}

export function describeExecutor(cfg: ExecutorConfig): string {
  return `${cfg.executor}: ${moduleOf(cfg).describe(cfg)}`
}
