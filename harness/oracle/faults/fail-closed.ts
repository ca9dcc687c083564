/**
 * Fail closed, graded as such. During a fault a correct target refuses what it cannot check
 * (docs/architecture.md "Chaos"): the reference target answers 503 `temporarily_unavailable` with a deny record
 * whose reason is `system.*` (replay store, JWKS or evidence sink unavailable). The catalog's
 * expected response describes the target in health (e.g. 403 `insufficient_scope`), so on its own
 * the oracle would call such a refusal a wrong code (`warn`) with a record of the wrong reason area
 * (`misattributed`). Inside a fault window it is the right answer: the attack was blocked, the
 * refusal recorded; the record must still attribute the call as the case says. Likewise, while a
 * clock-skew fault has agents' clocks off, a skewed proof is refused for its `iat` first.
 */
import type { AttemptRecord } from '../../contracts/attempt.ts'
import type { AttackCase } from '../../contracts/attack-case.ts'
import { reasonArea, type GradingRecord } from '../../contracts/evidence.ts'
import { attackRecordProblems } from '../attribution.ts'
import type { GradedAttempt } from '../../contracts/verdict.ts'
import type { FaultWindowRecord } from '../../contracts/fault-window.ts'

const isUnavailable = (status: number | null): boolean => status !== null && status >= 500 && status <= 599
const isRefusal = (status: number | null): boolean => status !== null && status >= 400 && status <= 499

/** Refusals a clock-skew fault causes by itself: the proof's or the assertion's time is off. */
const CLOCK_REASONS = /^(dpop\.iat|client\.assertion_(expired|claims|iat))/

/** The refusal record that shows the fault, not the attack, decided (or undefined). */
function faultRefusal(a: AttemptRecord, records: readonly GradingRecord[], window: FaultWindowRecord): GradingRecord | undefined {
  if (isUnavailable(a.status)) return records.find((x) => x.decision === 'deny' && reasonArea(x.reason) === 'system')
  if (window.kind === 'clock-skew' && isRefusal(a.status)) return records.find((x) => x.decision === 'deny' && CLOCK_REASONS.test(x.reason))
  return undefined
}

/**
 * The attack's grade with a fail-closed refusal inside `window` counted as a pass (else unchanged):
 * a 5xx with a `system.*` deny record, or, while agents' clocks are off, a refusal of the skewed
 * proof or assertion itself.
 */
export function gradeFailClosed(a: AttemptRecord, g: GradedAttempt, c: AttackCase | undefined, records: readonly GradingRecord[], window: FaultWindowRecord | undefined): GradedAttempt {
  if (!window || !c || c.control || a.kind !== 'attack') return g
  if (g.verdict !== 'warn' && g.verdict !== 'misattributed') return g
  const r = faultRefusal(a, records, window)
  if (!r) return g
  // attribution is still checked: only the reason area is the fault's
  const problems = attackRecordProblems(r, { ...c, evidence: { ...c.evidence, area: reasonArea(r.reason) as AttackCase['evidence']['area'] } }, a.expected, a.status)
  const how = `${a.status}${a.error_code ? ` ${a.error_code}` : ''}`
  if (problems.length > 0) {
    return { ...g, verdict: 'misattributed', why: `refused during ${window.label} (fail closed, ${how}), but record ${r.id}: ${problems.join(', ')}`, evidence_id: r.id, matched: true, faithful: false }
  }
  return { ...g, verdict: 'pass', why: `refused during ${window.label} (fail closed): ${how}, deny record ${r.id} (${r.reason})`, evidence_id: r.id, matched: true, faithful: true }
}
