/**
 * Agent clock skew: for the window, a seeded share of the identities sign their DPoP proofs and
 * client assertions with a clock that is off by `skewS` (protocol/agent-clock.ts). Beyond the
 * target's `iat` tolerance their legitimate calls must be refused (fail closed) while attacks stay
 * blocked; within it they must still succeed.
 */
import { seededUnit } from '../../load/seeded.ts'
import { agentClock } from '../../protocol/agent-clock.ts'
import type { RunIdentity } from '../../contracts/identity.ts'
import type { FaultInjector } from '../injector.ts'

/** The identities a clock-skew fault picks: each with probability `share`, from the run's seed. */
export function skewedIdentities(identities: readonly RunIdentity[], share: number, seed: number, faultIndex: number): RunIdentity[] {
  return identities.filter((_, i) => seededUnit(seed, i, `clock-skew:${faultIndex}`) < share)
}

export const clockSkewInjector: FaultInjector = {
  name: 'clock-skew',
  kinds: ['clock-skew'],
  async inject(spec, ctx) {
    if (spec.kind !== 'clock-skew') throw new TypeError(`clock-skew cannot inject ${spec.kind}`)
    const chosen = skewedIdentities(ctx.identities, spec.share ?? 1, ctx.seed, ctx.index)
    const keys = chosen.map((id) => id.credential.key)
    for (const k of keys) agentClock.skew(k, spec.skewS * 1000)
    let healed = false
    return {
      detail: `clocks ${spec.skewS >= 0 ? '+' : ''}${spec.skewS} s on ${chosen.length} of ${ctx.identities.length} identities`,
      async heal() {
        if (healed) return
        healed = true
        for (const k of keys) agentClock.reset(k)
      },
    }
  },
}
