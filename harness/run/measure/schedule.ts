/**
 * What iteration i does: a workflow step of one identity, or an attack of one case. Decided from
 * the seed and i alone (see seeded.ts), so two runs with one seed fire the same attacks at the same
 * iterations against the same identities, and worker threads agree without talking.
 *
 * Attacks are spread evenly through the run (every 1/share-th iteration), and the cases are dealt
 * in rounds: each round fires every selected case once, in a rotated order per round. So a run that
 * sweeps the whole catalog fires each case ⌊attacks / cases⌋ times or once more, from its start to
 * its end, instead of leaving a rare case to the luck of a random draw.
 */
import type { AttackCase } from '../../contracts/attack-case.ts'
import { seededUnit } from '../../load/seeded.ts'

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

/** How many of iterations 0..i-1 attack (the attack ordinal of i, when i attacks). */
const attacksBefore = (i: number, share: number): number => Math.floor(i * share + 1e-9)

export function scheduleIteration(input: ScheduleInput, iteration: number): Scheduled {
  const salt = Math.floor(seededUnit(input.seed, iteration, 'salt') * 2 ** 31)
  const identity = Math.floor(seededUnit(input.seed, iteration, 'identity') * input.identities)
  const n = input.cases.length
  const ordinal = attacksBefore(iteration, input.attackShare)
  if (n > 0 && attacksBefore(iteration + 1, input.attackShare) > ordinal) {
    const round = Math.floor(ordinal / n)
    const rotation = Math.floor(seededUnit(input.seed, round, 'case-round') * n)
    return { kind: 'attack', caseId: input.cases[(ordinal + rotation) % n].id, identity, salt }
  }
  return { kind: 'legit', identity, salt }
}
