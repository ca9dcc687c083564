/** What every executor (k6's names, one file each) receives and returns. */
import type { RecordableHistogram } from 'node:perf_hooks'

export interface IterationContext {
  /** iteration number, unique within its scenario; the seeded schedule maps it to an action */
  iteration: number
  /**
   * epoch ms the iteration was meant to start: the open model's due time (latency is measured
   * from it, so a stalled target shows as latency), or, in a closed model, the moment the VU began it
   */
  scheduledAt: number
  /** aborted when gracefulStop (or, in ramping-vus, gracefulRampDown) runs out */
  signal: AbortSignal
}

export type Iterate = (ctx: IterationContext) => Promise<void>

export interface ExecutorStats {
  /** iterations started */
  iterations: number
  /**
   * k6's dropped_iterations: arrival-rate executors, due iterations that found every VU busy;
   * per-vu-iterations and shared-iterations, iterations never started because maxDuration ran out.
   * Always 0 for constant-vus and ramping-vus. A user's stop is not counted as dropping.
   */
  dropped: number
  /** open model only: dispatch lateness (actual start − due time) in µs */
  lagP50Us?: number
  lagP99Us?: number
  /** arrival-rate executors only: configured iterations per second (ramping: averaged over the stages) */
  targetRate?: number
  /** iterations started per second of the scheduling window (the run's share of duration/maxDuration) */
  achievedRate: number
  /** most iterations in flight at once (busy VUs) */
  peakVUs: number
  /** wall time from the executor's start to its last iteration's end */
  durationMs: number
}

/**
 * One worker's part of a scenario, like a k6 execution segment (run/measure/coordinator.ts): every worker walks
 * the same numbered schedule and starts only the iterations it owns; another worker's iteration is
 * neither started nor dropped here. Absent when the run has one worker.
 */
export interface ExecutionSegment {
  owns(iteration: number): boolean
  /** this worker's part of a VU count (closed model) */
  vus(total: number): number
  /** this worker's part of an arrival-rate executor's maxVUs */
  poolVUs(total: number): number
  /** epoch ms the scenario starts: the same instant in every worker, so their arrival timelines align */
  startAt: number
  /** the open model records its dispatch lag here, so the workers' histograms merge exactly */
  lag: RecordableHistogram
}

/** A k6 executor: runs its schedule, calling iterate, until done, out of time or stopped. */
export type ExecutorRun<C> = (cfg: C, iterate: Iterate, stop: AbortSignal, segment?: ExecutionSegment) => Promise<ExecutorStats>

export interface ExecutorModule<C> {
  run: ExecutorRun<C>
  /** the most iterations this executor can have in flight at once (sizes connection pools) */
  maxVUs(cfg: C): number
  /** one line for the log, in the spirit of k6's executor descriptions */
  describe(cfg: C): string
}

/**
 * seeded.ts hashes the iteration number as a 32-bit integer, so numbers past this would alias
 * earlier iterations' actions. Closed-model loops also use it as their count bound.
 */
export const ITERATION_LIMIT = 2 ** 32

/** A user's stop still lets requests already on the wire finish, briefly, so they are graded. */
export function graceAfter(stop: AbortSignal, graceMs: number): number {
  return stop.aborted ? Math.min(graceMs, 2000) : graceMs
}
