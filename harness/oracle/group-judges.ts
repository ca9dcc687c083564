/**
 * Cases judged as a group (docs/architecture.md "Oracle rules": N parallel replays of one proof, at
 * most one 2xx). A judge receives a concurrency group's attempts with their individual verdicts and
 * returns the verdicts that change.
 */
import type { AttackCase } from '../contracts/attack-case.ts'
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { GradedAttempt } from '../contracts/verdict.ts'

/**
 * Extension point: register a judge under a case id when a case needs a rule of its own; a case the
 * catalog marks `concurrency` without one gets atMostOneAccepted.
 */
export type GroupJudge = (members: readonly { attempt: AttemptRecord; graded: GradedAttempt }[], c: AttackCase, regrade: (a: AttemptRecord) => GradedAttempt) => GradedAttempt[]

/**
 * N parallel sends of one proof (or grant): a correct target accepts at most one of them, which is
 * then judged like a legitimate call (served and recorded as an allow); every further acceptance
 * keeps its individual verdict (breach or warn, by the case's grading). "The one" is the send that
 * completed first; on equal end times, the first in send order (seq).
 */
export const atMostOneAccepted: GroupJudge = (members, _c, regrade) => {
  const accepted = members.filter((m) => m.attempt.status !== null && m.attempt.status >= 200 && m.attempt.status < 300)
  if (accepted.length === 0) return []
  const first = accepted.reduce((x, y) => (y.attempt.ended_at < x.attempt.ended_at || (y.attempt.ended_at === x.attempt.ended_at && y.attempt.seq < x.attempt.seq) ? y : x))
  const g = regrade(first.attempt)
  const others = accepted.length - 1
  return [{ ...g, why: `the one accepted send of ${members.length} in its group${others ? ` (${others} more accepted: see them)` : ''}; ${g.why}` }]
}

export const GROUP_JUDGES: ReadonlyMap<string, GroupJudge> = new Map()

export function judgeFor(c: AttackCase): GroupJudge | undefined {
  return GROUP_JUDGES.get(c.id) ?? (c.concurrency ? atMostOneAccepted : undefined)
}
