/**
 * What iteration i does: a workflow step of one identity, or an attack of one case. Decided from
 * the seed alone (see seeded.ts), so two runs with one seed fire the same attacks at the same
 * iterations against the same identities.
 */
import type { AttackCase } from '../../contracts/attack-case.ts'
import { seededPick, seededUnit } from '../../load/seeded.ts'

export interface Scheduled {
  kind: 'legit' | 'attack'
  caseId?: string
  /** index into the identity list */
  identity: number
  /** a number the action may use to pick resource ids and amounts */
  salt: number
}

export interface ScheduleInput {
  seed: number
  identities: number
  attackShare: number
  cases: readonly AttackCase[]
}

export function scheduleIteration(input: ScheduleInput, iteration: number): Scheduled {
  const salt = Math.floor(seededUnit(input.seed, iteration, 'salt') * 2 ** 31)
  const identity = Math.floor(seededUnit(input.seed, iteration, 'identity') * input.identities)
  if (input.cases.length > 0 && seededUnit(input.seed, iteration, 'attack') < input.attackShare) {
    return { kind: 'attack', caseId: seededPick(input.cases, input.seed, iteration, 'case').id, identity, salt }
  }
  return { kind: 'legit', identity, salt }
}
