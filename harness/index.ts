/**
 * gatecrash: load and chaos tests for the privilege boundaries of AI-agent deployments.
 *
 * @example
 * ```ts
 * import { defineScenario } from 'gatecrash'
 * export default defineScenario({ population: { tenants: 5, agents: 50 }, scenarios: { ... } })
 * ```
 */
export { defineScenario } from './scenario/types.ts'
export { defineTarget } from './profile/types.ts'
export type * from './profile/types.ts'
export type * from './scenario/types.ts'
export { Fault } from './chaos/fault.ts'
export type { FaultSpec, FaultKind } from './chaos/fault.ts'
export type { FaultInjector, ActiveFault, InjectContext } from './chaos/injector.ts'
export { CATALOG, CATALOG_VERSION } from './attacks/catalog.ts'
export type { AttackCase } from './contracts/attack-case.ts'
export type { EvidenceRecord } from './contracts/evidence.ts'
export type { EvidenceMappingSpec, MappingFields, MappingRule, MappedPartial } from './contracts/evidence-mapping.ts'
export type { TargetAdapter, StartedTarget, EvidenceSourceSpec, JsonlSourceSpec, PostgresSourceSpec, OtlpLogsSourceSpec, HttpLogApiSourceSpec, TargetConnectionOptions, HostAllowance, TargetTlsOptions, ToolFixture } from './contracts/target.ts'
// for target adapters that talk to their deployment themselves (readiness checks, admin hooks): the same host policy and TLS
export { HostPolicy, acknowledgementFor } from './protocol/host-policy.ts'
export { HttpClient } from './protocol/http.ts'
export * as errors from './contracts/errors.ts'
export { compareRuns, type CompareOptions } from './compare/compare-runs.ts'
export { DEFAULT_TOLERANCE } from './compare/tolerance.ts'
export type { RunJson, RunComparison, RunChange, ChangeTolerance } from './contracts/run-json.ts'
