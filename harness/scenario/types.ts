/** Scenario shape (design.md "Scenario shape"): k6's vocabulary so k6 users can read it. */

export interface PopulationSpec {
  tenants: number
  agents: number
  subAgentsPerAgent?: number
  /** 1 = agents only, 2 = agents and sub-agents */
  depth?: number
  principalsPerTenant?: number
}

interface ExecutorBase {
  startTime?: string
  gracefulStop?: string
  tags?: Record<string, string>
}

export interface ConstantArrivalRate extends ExecutorBase {
  executor: 'constant-arrival-rate'
  rate: number
  timeUnit?: string
  duration: string
  preAllocatedVUs: number
  maxVUs?: number
}

export type ExecutorConfig = ConstantArrivalRate

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
  faults?: never[]
  thresholds?: Record<string, ThresholdValue[]>
  evidence?: EvidenceOptions
}

/** Identity function that exists for type inference in scenario files (like vitest's defineConfig). */
export function defineScenario<const T extends ScenarioConfig>(config: T): T {
  return config
}
