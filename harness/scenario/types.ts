/** Scenario shape (docs/architecture.md "Scenario shape"): k6's vocabulary so k6 users can read it. */
import type { FaultSpec } from '../chaos/fault.ts'
import type { FaultInjector } from '../chaos/injector.ts'
import type { ExecutorConfig } from '../load/executors/config.ts'

export type * from '../load/executors/config.ts'

export interface PopulationSpec {
  tenants: number
  agents: number
  subAgentsPerAgent?: number
  /** 1 = agents only, 2 = agents and sub-agents */
  depth?: number
  principalsPerTenant?: number
}

export interface AttackMix {
  /** fraction of iterations that are attacks, 0..1 */
  share: number
  /** `'all'` (every case of the catalog), or case ids and family patterns (`replay.*`, `replay.stolen-token.*`) */
  cases: 'all' | string[]
}

/**
 * k6's threshold entry. `abortOnFail` stops the run as soon as the threshold fails while it runs
 * (evaluated every 2 s, on metrics that need no evidence: oracle/live-gates.ts); `delayAbortEval`
 * (a k6 duration) postpones that evaluation from the start of the measured phase.
 */
export type ThresholdValue = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string }

export interface EvidenceOptions {
  /** how long after the last attempt records may still arrive (k6 duration) */
  settle?: string
}

/** The deployment's policy as this scenario judges it (the target profile may state it too; the scenario wins). */
export interface PolicyOptions {
  /** the longest lifetime an issued access token may have (k6 duration); default the profile's, else '1h' */
  maxTokenLifetime?: string
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
  policy?: PolicyOptions
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
