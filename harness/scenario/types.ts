/** Scenario shape (design.md "Scenario shape"): k6's vocabulary so k6 users can read it. */
import type { FaultSpec } from '../chaos/fault.ts'
import type { FaultInjector } from '../chaos/injector.ts'

export interface PopulationSpec {
  tenants: number
  agents: number
  subAgentsPerAgent?: number
  /** 1 = agents only, 2 = agents and sub-agents */
  depth?: number
  principalsPerTenant?: number
}

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

export interface AttackMix {
  /** fraction of iterations that are attacks, 0..1 */
  share: number
  /** case ids or `class.*` patterns from the catalog */
  cases: string[]
}

export type ThresholdValue = string | { threshold: string; abortOnFail?: boolean }

export interface EvidenceOptions {
  /** how long after the last attempt records may still arrive (k6 duration) */
  settle?: string
}

export interface ScenarioConfig {
  name?: string
  description?: string
  seed?: number
  population: PopulationSpec
  scenarios: Record<string, ExecutorConfig>
  attacks?: AttackMix
  /** chaos during the measured phase, built with `Fault.*` (harness/chaos/fault.ts) */
  faults?: FaultSpec[]
  /** fault injector plugins: a `Fault.custom({ injector: name })` fault goes to the one of that name (tried before the built-ins) */
  injectors?: FaultInjector[]
  thresholds?: Record<string, ThresholdValue[]>
  evidence?: EvidenceOptions
  /**
   * worker threads for the measured phase (default 1: no thread). The population splits into
   * contiguous segments like k6 execution segments; the seeded schedule stays the same for any count.
   */
  workers?: number
}

/** Identity function that exists for type inference in scenario files (like vitest's defineConfig). */
export function defineScenario<const T extends ScenarioConfig>(config: T): T {
  return config
}
