/**
 * Which identity carries iteration i of a scenario: the seeded plan (schedule.ts) picks an
 * identity index; for an attack, the index picks among the identities that can carry the case. The
 * same function runs in the main thread (one worker) and in every worker, so an iteration's action
 * and carrier never depend on how the work is split.
 */
import type { AttackCase } from '../../contracts/attack-case.ts'
import { scheduleIteration } from './schedule.ts'
import { seededUnit } from '../../load/seeded.ts'

export interface RouteInput {
  identities: number
  attackShare: number
  /** the cases that can run (prepared and with at least one carrier), in catalog selection order */
  cases: readonly AttackCase[]
  /** case id → indices of the identities that can carry it */
  eligible: ReadonlyMap<string, readonly number[]>
}

export interface Route {
  kind: 'legit' | 'attack'
  caseId?: string
  /** index of the carrying identity in the provisioned population */
  who: number
  salt: number
}

/**
 * Each named scenario draws its own schedule from the run's seed, so two scenarios of one run do
 * not repeat the same identities and attacks at the same iteration numbers.
 */
export function scenarioSeed(seed: number, name: string): number {
  return Math.floor(seededUnit(seed, 0, `scenario:${name}`) * 2 ** 32)
}

export function routeIteration(input: RouteInput, seed: number, iteration: number): Route {
  const plan = scheduleIteration({ seed, identities: input.identities, attackShare: input.attackShare, cases: input.cases }, iteration)
  if (plan.kind === 'attack') {
    const list = input.eligible.get(plan.caseId!)!
    return { kind: 'attack', caseId: plan.caseId, who: list[plan.identity % list.length], salt: plan.salt }
  }
  return { kind: 'legit', who: plan.identity, salt: plan.salt }
}
