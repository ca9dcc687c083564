/** k6's executor options, one interface per executor (k6 `lib/executor/`), parsed strictly by scenario/. */

/** Options every k6 executor shares (k6 `lib/executor/base_config.go`). */
interface ExecutorBase {
  /** delay from the start of the measured phase (default 0s) */
  startTime?: string
  /** how long in-flight iterations may finish once the scenario ends (default 30s) */
  gracefulStop?: string
  tags?: Record<string, string>
}

/** One k6 stage: reach `target` (VUs, or iterations per timeUnit) linearly over `duration`. */
export interface Stage {
  duration: string
  target: number
}

/** Open model: `rate` iterations per `timeUnit` for `duration`. */
export interface ConstantArrivalRate extends ExecutorBase {
  executor: 'constant-arrival-rate'
  rate: number
  /** default 1s */
  timeUnit?: string
  duration: string
  preAllocatedVUs: number
  /** default preAllocatedVUs */
  maxVUs?: number
}

/** Open model: the rate moves linearly from `startRate` through each stage's target. */
export interface RampingArrivalRate extends ExecutorBase {
  executor: 'ramping-arrival-rate'
  /** iterations per timeUnit at the start, default 0 */
  startRate?: number
  /** default 1s */
  timeUnit?: string
  stages: Stage[]
  preAllocatedVUs: number
  /** default preAllocatedVUs */
  maxVUs?: number
}

/** Closed model: `vus` VUs loop iterations back to back for `duration`. */
export interface ConstantVUs extends ExecutorBase {
  executor: 'constant-vus'
  /** default 1 */
  vus?: number
  duration: string
}

/** Closed model: the VU count moves linearly from `startVUs` through each stage's target. */
export interface RampingVUs extends ExecutorBase {
  executor: 'ramping-vus'
  /** default 1 */
  startVUs?: number
  stages: Stage[]
  /** how long a VU removed by a ramp-down may finish its iteration (default 30s) */
  gracefulRampDown?: string
}

/** Each of `vus` VUs runs exactly `iterations` iterations (vus × iterations in all). */
export interface PerVUIterations extends ExecutorBase {
  executor: 'per-vu-iterations'
  /** default 1 */
  vus?: number
  /** per VU, default 1 */
  iterations?: number
  /** default 10m */
  maxDuration?: string
}

/** `vus` VUs share `iterations` iterations in all. */
export interface SharedIterations extends ExecutorBase {
  executor: 'shared-iterations'
  /** default 1 */
  vus?: number
  /** in total, default 1 */
  iterations?: number
  /** default 10m */
  maxDuration?: string
}

export type ExecutorConfig = ConstantArrivalRate | RampingArrivalRate | ConstantVUs | RampingVUs | PerVUIterations | SharedIterations

export type ExecutorName = ExecutorConfig['executor']
