/**
 * The verdict of one attempt (docs/architecture.md, "Verdicts" and "Oracle rules"), from the attempt log line,
 * the evidence records joined to it and, for attacks, the catalog case. Pure: same input, same verdict.
 */
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { AttackCase, ExpectedResponse } from '../contracts/attack-case.ts'
import type { GradingRecord } from '../contracts/evidence.ts'
import { attackRecordProblems, legitRecordProblems, missingDetail, pickRecord } from './attribution.ts'
import { worse, type GradedAttempt, type Verdict } from '../contracts/verdict.ts'

const is2xx = (status: number): boolean => status >= 200 && status < 300

/**
 * A legitimate call the target served (2xx): what `gatecrash_legit_success` and the fault windows'
 * legit success count. Whether its record is right is the evidence rates' business (coverage,
 * attribution), so a served call with a wrong record is not also a failed call.
 */
export const legitServed = (a: Pick<AttemptRecord, 'kind' | 'status'>): boolean => a.kind === 'legit' && a.status !== null && is2xx(a.status)

/**
 * An attack the target held: refused, or, for a case judged on the issued token, served with a
 * token no wider than the attempt's ceiling (RFC 8693 §2.2.1, RFC 6749 §3.3: a server may grant
 * less instead of refusing). gradeAttack gives such a lawful grant a legitimate call's verdict and a
 * too-wide one breach or warn, so the verdict tells them apart. What the block rates count.
 */
export const attackHeld = (a: Pick<AttemptRecord, 'status' | 'ceiling' | 'issued'>, g: Pick<GradedAttempt, 'verdict'>): boolean =>
  a.status !== null && (!is2xx(a.status) || (a.ceiling !== undefined && g.verdict !== 'breach' && (g.verdict !== 'warn' || unstatedNarrowerGrant(a))))

/**
 * A grant within the ceiling whose response did not state its scope: the warn gradeAttack gives it
 * is about RFC 6749 §5.1 conformance, the boundary held, so attackHeld still counts it as blocked.
 */
const unstatedNarrowerGrant = (a: Pick<AttemptRecord, 'ceiling' | 'issued'>): boolean =>
  a.issued?.scope_stated === false && widerThanCeiling(a) === null

/** How the response looked, for `why`: `401 DPoP error=invalid_token`. */
export function describeResponse(r: { status: number | null; error_code: string | null; challenge_scheme: string | null }): string {
  const parts = [String(r.status), r.challenge_scheme ?? 'no challenge', r.error_code ? `error=${r.error_code}` : 'no error code']
  return parts.join(' ')
}

const describeExpected = (e: ExpectedResponse): string =>
  describeResponse({ status: e.status, error_code: e.error, challenge_scheme: e.scheme ?? 'any challenge' })

/**
 * Does the refusal match one of the catalog's alternatives? Any listed one passes. `error: null`
 * means the response must carry no error code at all (RFC 6750 §3.1: a request without credentials
 * gets a bare challenge). A scheme is compared only where the RFC fixes it; auth schemes are
 * case-insensitive (RFC 9110 §11.1).
 */
export function matchesExpected(a: AttemptRecord, alternatives: readonly ExpectedResponse[]): boolean {
  return alternatives.some(
    (e) =>
      e.status === a.status &&
      e.error === a.error_code &&
      (e.scheme === undefined || e.scheme.toLowerCase() === (a.challenge_scheme ?? '').toLowerCase()),
  )
}

function lateNote(late: readonly GradingRecord[]): string {
  return late.length > 0 ? `; record ${late.map((r) => r.id).join(', ')} arrived after the settle deadline` : ''
}

function result(a: AttemptRecord, verdict: Verdict, why: string[], record: GradingRecord | undefined, matched: boolean, faithful: boolean | null): GradedAttempt {
  const g: GradedAttempt = { seq: a.seq, verdict, why: why.join('; '), matched, faithful }
  if (record) g.evidence_id = record.id
  return g
}

export function gradeLegit(a: AttemptRecord, records: readonly GradingRecord[], late: readonly GradingRecord[]): GradedAttempt {
  const record = records.length > 0 ? pickRecord(records, a.status !== null && is2xx(a.status) ? 'allow' : 'deny') : undefined
  const problems = record ? legitRecordProblems(record, a.expected, a.status) : []
  const faithful = record ? problems.length === 0 : null
  const done = (v: Verdict, why: string[]): GradedAttempt => result(a, v, why, record, record !== undefined, faithful)

  if (a.transport_error) return done('error', [`transport error: ${a.transport_error}`])
  if (a.status === null) return done('error', ['no response and no transport error in the attempt log'])
  if (!is2xx(a.status)) return done('false-deny', [`legitimate call refused: ${describeResponse(a)}`])
  if (!record) return done('unrecorded', [`no evidence record for trace ${a.trace_id}${lateNote(late)}`])
  if (problems.length > 0) return done('misattributed', [`record ${record.id}: ${problems.join(', ')}`])
  return done('pass', [`${a.status} and allow record ${record.id}`])
}

/**
 * Attack. Order matters: acceptance outranks everything (a breach stays a breach however well it
 * was logged); then the refusal's conformance; then the evidence.
 *
 * A refusal with a status, error code or scheme the catalog does not list is graded `warn`, not
 * `breach`: the attack was still blocked, and a wrong code is a conformance problem for the target's
 * clients, not a crossed boundary. The mismatch goes into `why`, and a board can gate it with
 * `gatecrash_warns{case:<id>}`.
 */
export function gradeAttack(a: AttemptRecord, c: AttackCase | undefined, records: readonly GradingRecord[], late: readonly GradingRecord[]): GradedAttempt {
  if (!c) return result(a, 'not-covered', [`case ${JSON.stringify(a.case ?? null)} is not in this catalog version`], undefined, records.length > 0, null)
  if (a.status === null && !a.transport_error) {
    return result(a, 'not-covered', ['the attempt was not sent (no response, no transport error)'], undefined, records.length > 0, null)
  }
  if (c.control) return gradeControl(a, c, records, late)
  const accepted = (a.status !== null && is2xx(a.status)) || (a.transport_error !== null && records.some((r) => r.decision === 'allow'))
  const record = records.length > 0 ? pickRecord(records, accepted ? 'allow' : 'deny') : undefined
  const problems = record ? attackRecordProblems(record, c, a.expected, a.transport_error ? null : a.status) : []
  // An accepted attack's allow record is not held to the refusal's attribution (a client-assertion
  // case expects a deny naming nobody): the acceptance is the finding, and its grading says what it
  // costs, so it neither counts for nor against attribution accuracy.
  const faithful = record && !accepted ? problems.length === 0 : null
  const done = (v: Verdict, why: string[]): GradedAttempt => result(a, v, why, record, record !== undefined, faithful)
  const acceptedVerdict: Verdict = c.grading === 'must' ? 'breach' : 'warn'

  if (a.transport_error) {
    // A transport error proves nothing, unless the target's own record says it let the call through.
    if (accepted) return done(acceptedVerdict, [`transport error (${a.transport_error}) but the target recorded allow ${record?.id}: accepted (${c.grading} rule: ${c.rule})`])
    return done('error', [`transport error: ${a.transport_error}`])
  }
  if (accepted && c.judge === 'issued-token') {
    // RFC 8693 §2.2.1 / RFC 6749 §3.3: a server may answer with a narrower token instead of an error.
    const wider = widerThanCeiling(a)
    if (wider !== null) return done(acceptedVerdict, [`accepted with ${a.status} and issued ${wider} (${c.grading} rule: ${c.rule})`])
    const legit = gradeLegit(a, records, late)
    const why = `issued a token no wider than the subject's (a lawful narrower grant); ${legit.why}`
    // An issued-token case asks for more than its ceiling, or for no scope at all, so a grant within
    // the ceiling always differs from the request: RFC 6749 §5.1 then requires `scope` in the
    // response, or the client cannot know what it holds. Absent from old logs: not judged.
    if (a.issued?.scope_stated === false) {
      return { ...legit, verdict: worse(legit.verdict, 'warn'), why: `${why}; but the response does not state the scope it granted (RFC 6749 §5.1: scope is REQUIRED when it differs from the scope requested)` }
    }
    return { ...legit, why }
  }
  if (accepted && c.judge === 'side-effect' && a.side_effect === false) {
    // answered 2xx but did nothing (a probe saw the state unchanged): no boundary crossed, a conformance warn
    return done('warn', [`answered ${a.status}, but the target's state shows nothing happened (side-effect probe); the rule asks for a refusal (${c.grading} rule: ${c.rule})`])
  }
  if (accepted) {
    const logged = record ? `recorded as ${record.decision} ${record.id}` : 'not recorded'
    return done(acceptedVerdict, [`accepted with ${a.status} (${c.grading} rule: ${c.rule}); ${logged}`])
  }
  if (c.write && a.side_effect === true) {
    return done(acceptedVerdict, [`refused with ${describeResponse(a)}, but the target's state shows the write happened (side effect)`])
  }

  // Refused, with no side effect seen. Grouped concurrency cases (N parallel replays, at most one
  // 2xx) are re-judged per group in grade.ts; here each member is judged alone.
  const why: string[] = []
  let verdict: Verdict = 'pass'
  if (!matchesExpected(a, c.expect)) {
    verdict = 'warn'
    why.push(`refused, but with ${describeResponse(a)}; catalog expects ${c.expect.map(describeExpected).join(' or ')}`)
  } else {
    why.push(`refused with ${describeResponse(a)}`)
  }
  if (!record) return done(worse(verdict, 'unrecorded'), [...why, `no evidence record for trace ${a.trace_id}${lateNote(late)}`])
  if (problems.length > 0) return done(worse(verdict, 'misattributed'), [...why, `record ${record.id}: ${problems.join(', ')}`])
  const missing = missingDetail(record, c.evidence.detail)
  if (missing.length > 0) why.push(`record ${record.id} lacks detail ${missing.join(', ')}`)
  else why.push(`deny record ${record.id}`)
  return done(verdict, why)
}

/** What an issued token holds beyond the attempt's ceiling, or null when it is within it (or unknown). */
function widerThanCeiling(a: Pick<AttemptRecord, 'ceiling' | 'issued'>): string | null {
  if (!a.issued) return 'a token the attempt log could not read'
  if (!a.ceiling) return null
  const extra = a.issued.scope.filter((s) => !a.ceiling!.scope.includes(s))
  if (extra.length > 0) return `scope beyond the subject's: ${extra.join(' ')}`
  if (a.ceiling.aud != null && a.issued.aud !== null && a.issued.aud !== a.ceiling.aud) return `audience ${a.issued.aud} instead of ${a.ceiling.aud}`
  return null
}

/**
 * A control case (e.g. htu with an upper-case host): a correct target accepts it and records an
 * allow like any legitimate call. Refusing it is not a crossed boundary, so it grades as a warn
 * (or as the case's grading says), never a breach.
 */
function gradeControl(a: AttemptRecord, c: AttackCase, records: readonly GradingRecord[], late: readonly GradingRecord[]): GradedAttempt {
  const g = gradeLegit(a, records, late)
  if (g.verdict !== 'false-deny') return g
  const verdict: Verdict = c.grading === 'must' ? 'false-deny' : 'warn'
  return { ...g, verdict, why: `control refused: ${describeResponse(a)} (${c.grading} rule: ${c.rule})` }
}

/**
 * One attempt's individual verdict from the records joined to it in time and late. `altered` names
 * a record with the attempt's trace id whose hash fails: it joined nothing, and an unrecorded
 * verdict says why.
 */
export function gradeOne(a: AttemptRecord, c: AttackCase | undefined, records: readonly GradingRecord[], late: readonly GradingRecord[], altered?: string): GradedAttempt {
  const g = a.kind === 'legit' ? gradeLegit(a, records, late) : gradeAttack(a, c, records, late)
  return altered && g.verdict === 'unrecorded' ? { ...g, why: `${g.why}; record ${altered} fails its hash (altered after it was written)` } : g
}
