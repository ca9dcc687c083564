/**
 * The oracle: a pure function of (attempt log, evidence, catalog) → verdicts, per-case table and
 * evidence statistics (design.md, "Oracle rules"). No clock, no I/O, no target: it can re-grade a
 * finished or crashed run offline, or attempts that came from k6.
 *
 * grade() works on arrays (the self-test sweep, tests). A run's own grading streams from its run
 * store through gradeStream() (grade-stream.ts), which shares gradeOne(), the group judges and the
 * case-table and chain builders with this file and must agree with it (test/unit/run/stream-grade.test.ts).
 *
 * @example
 * ```ts
 * const g = grade({ attempts, evidence, catalog: CATALOG, settleDeadline: lastEnd + 5_000 })
 * g.cases.filter((row) => row.verdict === 'breach')
 * ```
 */
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { AttackCase } from '../contracts/attack-case.ts'
import { recordHash } from '../evidence/chain.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { CaseRow, RunJson } from '../contracts/run-json.ts'
import { buildCaseRows } from './case-rows.ts'
import { chainStats } from './chain-stats.ts'
import { gradeAttack, gradeLegit } from './grade-attempt.ts'
import { matchEvidence, type EvidenceMatch } from './match.ts'
import type { GradedAttempt } from '../contracts/verdict.ts'

export interface GradeInput {
  attempts: readonly AttemptRecord[]
  evidence: readonly EvidenceRecord[]
  catalog: readonly AttackCase[]
  /** epoch ms after which records are late (design.md: settle window after the last attempt) */
  settleDeadline?: number
  /** chain head per component read before the run; a component absent here starts a fresh chain */
  chainStart?: Record<string, string | null>
  /** attack case ids the scenario selected: those never sent still get a `not-covered` row */
  cases?: readonly string[]
  /** slack for the token-hash fallback join, ms */
  windowMs?: number
}

export interface GradeResult {
  /** one per attempt, in attempt-log order */
  attempts: GradedAttempt[]
  cases: CaseRow[]
  legit: RunJson['legit']
  evidence: RunJson['evidence']
  /** how records joined attempts (for evidence.csv and investigations) */
  match: EvidenceMatch
}

/**
 * Extension point for cases judged as a group (design.md: "N parallel replays of one proof: at most
 * one 2xx"). When the catalog marks a case as a concurrency case, register a judge under its id: it
 * receives the group's attempts and their individual verdicts and returns the final verdicts (e.g.
 * the first 2xx passes as the original, any further 2xx is a breach). Empty until the catalog has
 * such cases; members of groups without a judge keep their individual verdicts.
 */
export type GroupJudge = (members: readonly { attempt: AttemptRecord; graded: GradedAttempt }[], c: AttackCase, regrade: (a: AttemptRecord) => GradedAttempt) => GradedAttempt[]

/**
 * N parallel sends of one proof (or grant): a correct target accepts at most one of them, which is
 * then judged like a legitimate call (served and recorded as an allow); every further acceptance
 * keeps its individual verdict (breach or warn, by the case's grading).
 */
export const atMostOneAccepted: GroupJudge = (members, _c, regrade) => {
  const accepted = members.filter((m) => m.attempt.status !== null && m.attempt.status >= 200 && m.attempt.status < 300)
  if (accepted.length === 0) return []
  const first = accepted.reduce((x, y) => (y.attempt.ended_at < x.attempt.ended_at ? y : x))
  const g = regrade(first.attempt)
  const others = accepted.length - 1
  return [{ ...g, why: `the one accepted send of ${members.length} in its group${others ? ` (${others} more accepted: see them)` : ''}; ${g.why}` }]
}

export const GROUP_JUDGES: ReadonlyMap<string, GroupJudge> = new Map()

export function judgeFor(c: AttackCase): GroupJudge | undefined {
  return GROUP_JUDGES.get(c.id) ?? (c.concurrency ? atMostOneAccepted : undefined)
}

function applyGroupJudges(attempts: readonly AttemptRecord[], graded: Map<number, GradedAttempt>, catalog: readonly AttackCase[], regrade: (a: AttemptRecord) => GradedAttempt): void {
  const judged = new Set(catalog.filter((c) => judgeFor(c)).map((c) => c.id))
  if (judged.size === 0) return
  const groups = new Map<string, { attempt: AttemptRecord; graded: GradedAttempt }[]>()
  for (const a of attempts) {
    if (a.kind !== 'attack' || !a.group || !a.case || !judged.has(a.case)) continue
    const key = `${a.case}\u0000${a.group}`
    const list = groups.get(key) ?? []
    list.push({ attempt: a, graded: graded.get(a.seq) as GradedAttempt })
    groups.set(key, list)
  }
  for (const members of groups.values()) {
    const id = members[0].attempt.case as string
    const c = catalog.find((x) => x.id === id)
    const judge = c && judgeFor(c)
    if (!c || !judge) continue
    for (const g of judge(members, c, regrade)) graded.set(g.seq, g)
  }
}

/**
 * One attempt's individual verdict from the records joined to it in time and late. `altered` names
 * a record with the attempt's trace id whose hash fails: it joined nothing, and an unrecorded
 * verdict says why.
 */
export function gradeOne(a: AttemptRecord, c: AttackCase | undefined, records: readonly EvidenceRecord[], late: readonly EvidenceRecord[], altered?: string): GradedAttempt {
  const g = a.kind === 'legit' ? gradeLegit(a, records, late) : gradeAttack(a, c, records, late)
  return altered && g.verdict === 'unrecorded' ? { ...g, why: `${g.why}; record ${altered} fails its hash (altered after it was written)` } : g
}

export function grade(input: GradeInput): GradeResult {
  // A record whose hash does not recompute was altered after it was written: it proves nothing, so
  // it joins no attempt (those attempts come out unrecorded, and say why).
  const tampered = input.evidence.filter((r) => recordHash(r) !== r.hash)
  const tamperedTraces = new Map(tampered.map((r) => [r.correlation?.trace_id ?? '', r.id]))
  const trusted = tampered.length === 0 ? input.evidence : input.evidence.filter((r) => !tampered.includes(r))
  const match = matchEvidence(input.attempts, trusted, { settleDeadline: input.settleDeadline, windowMs: input.windowMs })
  const caseById = new Map(input.catalog.map((c) => [c.id, c]))
  const bySeq = new Map<number, GradedAttempt>()
  for (const a of input.attempts) {
    const c = a.case === undefined ? undefined : caseById.get(a.case)
    bySeq.set(a.seq, gradeOne(a, c, match.bySeq.get(a.seq) ?? [], match.lateBySeq.get(a.seq) ?? [], tamperedTraces.get(a.trace_id)))
  }
  applyGroupJudges(input.attempts, bySeq, input.catalog, (a) => gradeLegit(a, match.bySeq.get(a.seq) ?? [], match.lateBySeq.get(a.seq) ?? []))

  const legit: RunJson['legit'] = { attempts: 0, counts: {} }
  for (const a of input.attempts) {
    if (a.kind !== 'legit') continue
    const v = (bySeq.get(a.seq) as GradedAttempt).verdict
    legit.attempts++
    legit.counts[v] = (legit.counts[v] ?? 0) + 1
  }
  let matched = 0
  for (const list of match.bySeq.values()) matched += list.length

  return {
    attempts: input.attempts.map((a) => bySeq.get(a.seq) as GradedAttempt),
    cases: buildCaseRows(input.attempts, bySeq, input.catalog, input.cases),
    legit,
    evidence: { records: input.evidence.length, matched, late: match.lateIds.size, tampered: tampered.length, chains: chainStats(input.evidence, input.chainStart) },
    match,
  }
}
