/**
 * Fault injectors: the plugin interface of the chaos engine (docs/architecture.md "Chaos"). An injector
 * handles some fault kinds; `inject` starts one fault and returns a handle whose `heal()` undoes it.
 * The scheduler calls `heal()` at the end of the window, on a graceful stop and on failure, so an
 * injector only has to make `heal()` idempotent.
 *
 * The built-ins (injectors/) cover the network toxics of the fault proxy, process faults through
 * the target's chaos hooks, agent clock skew and signing-key rotation; a scenario reaches any other
 * injector with `Fault.custom({ injector: '<name>', component, at, for, params })`.
 *
 * @example
 * ```ts
 * const dnsOutage: FaultInjector = {
 *   name: 'dns',
 *   kinds: ['custom'],
 *   async inject(spec, ctx) {
 *     await myDns.block(spec.component)
 *     return { heal: () => myDns.unblock(spec.component) }
 *   },
 * }
 * await run({ scenarioFile, target, injectors: [dnsOutage] })
 * ```
 */
import type { CaseKit } from '../attacks/kit.ts'
import type { RunIdentity } from '../contracts/identity.ts'
import type { StartedTarget } from '../contracts/target.ts'
import type { FaultKind, FaultSpec } from './fault.ts'
import type { ToxicDriver } from './toxics.ts'

export interface ActiveFault {
  /** undoes the fault; called once per fault, but must tolerate a second call */
  heal(): Promise<void>
  /** what was done, for the log: 'latency 800±100 ms on jwks (downstream)' */
  detail?: string
}

export interface InjectContext {
  target: StartedTarget
  identities: readonly RunIdentity[]
  /** AS metadata, workforce IdP, principals: what re-exchanging tokens needs */
  kit?: CaseKit
  /** the fault proxy's toxics, when the run put the fault proxy into the target's links */
  toxics?: ToxicDriver
  seed: number
  /** index of the fault in the scenario's list (seeds per-fault choices) */
  index: number
  log(line: string): void
}

export interface FaultInjector {
  name: string
  kinds: readonly FaultKind[]
  inject(spec: FaultSpec, ctx: InjectContext): Promise<ActiveFault>
}

/** The injector for one fault: a custom fault by its `injector` name, any other by its kind. */
export function injectorFor(spec: FaultSpec, injectors: readonly FaultInjector[]): FaultInjector | undefined {
  if (spec.kind === 'custom') return injectors.find((i) => i.name === spec.injector && i.kinds.includes('custom'))
  return injectors.find((i) => i.kinds.includes(spec.kind))
}
