import type { CaseKit } from '../../attacks/kit.ts'
import type { AttemptRecord } from '../../contracts/attempt.ts'
import type { ScenarioConfig } from '../../scenario/types.ts'
import type { ResourceServerInfo, StartedTarget } from '../../contracts/target.ts'
import type { HttpPools } from '../../load/http-pool.ts'
import type { RunIdentity } from '../../contracts/identity.ts'

/** What the measured phase runs on, in one thread (measure.ts) or across workers (coordinator.ts). */
export interface LoadPhaseInput {
  config: ScenarioConfig
  seed: number
  identities: RunIdentity[]
  rs: ResourceServerInfo
  target: StartedTarget
  kit: CaseKit
  /** the main thread's pools (with workers: for the cases it fires itself) */
  pools: HttpPools
  stop: AbortSignal
  onAttempt(a: AttemptRecord): void
  /** called once cases are prepared, right before the executors start: the start of the measured phase (the fault schedule's zero) */
  onStart?(): void
  /** the selected cases that cannot be exercised against this target, each with its reason */
  onNotCovered?(cases: ReadonlyMap<string, string>): void
}
