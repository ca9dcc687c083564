/**
 * The grader's pass 3 (grade-stream.ts): attempts in send order (seq), each graded with the records
 * joined to it, concurrency groups judged together, metrics, the case table and legit counts fed,
 * verdicts handed on. It grades a range of seqs into a VerdictPart, so one grading can be shared
 * between threads (run/grade-aside.ts): each share is graded alone and the parts are merged in seq
 * order (mergeParts), which gives exactly what one thread grading every attempt in turn gives.
 *
 * A concurrency group belongs to the range holding its first member: that range judges all its
 * members (fetching those beyond it), and a range meeting a later member of a group begun before
 * it skips it, as one pass skips a member of a group already judged.
 */
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { AttackCase } from '../contracts/attack-case.ts'
import type { GradingRecord } from '../contracts/evidence.ts'
import type { RunJson } from '../contracts/run-json.ts'
import type { GradedAttempt } from '../contracts/verdict.ts'
import { CaseRowsBuilder, type CaseRowsPart } from './case-rows.ts'
import { lateCheck } from './evidence-checks.ts'
import { gradeLegit, gradeOne } from './grade-attempt.ts'
import { judgeFor } from './group-judges.ts'
import { mergeMetricSet, type MetricSet } from './metric-set.ts'
import { MetricsBuilder, type FaultWindow } from './metrics.ts'

export interface JoinedRecord {
  seq: number
  /** Date.parse(record.ts) as the store keeps it, null when not a time */
  ts: number | null
  /** what the grader reads of the record (a whole record will do) */
  record: GradingRecord
}

/** What pass 3 asks of a store (run/run-store.ts answers it from SQLite). */
export interface VerdictSource {
  /** attempts with seq in [from, to] (default: all), in seq order, in pages */
  attemptPages(size: number, from?: number, to?: number): Iterable<AttemptRecord[]>
  /** records joined to attempts with seq in [from, to], in delivery order */
  joinedRecords(from: number, to: number): JoinedRecord[]
  /** the attack attempts of one concurrency group, in seq order */
  groupMembers(caseId: string, group: string): AttemptRecord[]
  /** the id of the last-delivered tampered record carrying a trace id */
  tamperedIdForTrace(traceId: string): string | undefined
}

export interface VerdictPassInput {
  catalog: readonly AttackCase[]
  /** epoch ms after which records are late */
  settleDeadline?: number
  faultWindows?: readonly FaultWindow[]
  /** see GradeStreamInput.adjust */
  adjust?: (a: AttemptRecord, g: GradedAttempt, records: readonly GradingRecord[]) => GradedAttempt
  /** see GradeStreamInput.observe */
  observe?: (a: AttemptRecord, g: GradedAttempt) => void
}

/** One range's grading, as plain data: it may come from another thread. */
export interface VerdictPart {
  metrics: MetricSet
  cases: CaseRowsPart
  legit: RunJson['legit']
  /** in-time records joined to the range's attempts */
  matched: number
  attempts: number
}

/**
 * Grades the attempts with seq in [from, to] (default: all), handing each page's verdicts to
 * `write` in the order they were graded.
 */
export function gradeRange(source: VerdictSource, input: VerdictPassInput, size: number, write: (out: GradedAttempt[]) => void, range?: { from: number; to: number }): VerdictPart {
  const isLate = lateCheck(input.settleDeadline)
  const caseById = new Map(input.catalog.map((c) => [c.id, c]))
  const judged = new Set(input.catalog.filter((c) => judgeFor(c)).map((c) => c.id))
  // a range's trend samples wait for the merge as numbers (MetricSet.deferTrends); the whole run's go straight into histograms
  const metrics = new MetricsBuilder(input.catalog, { faultWindows: input.faultWindows, deferTrends: range !== undefined })
  const cases = new CaseRowsBuilder(input.catalog)
  const legit: RunJson['legit'] = { attempts: 0, counts: {} }
  let matched = 0
  let attempts = 0
  /** groups already judged → their highest seq (forgotten once pages have moved past it) */
  const judgedGroups = new Map<string, number>()

  for (const page of source.attemptPages(size, range?.from, range?.to)) {
    if (page.length === 0) continue
    const first = page[0].seq
    const last = page[page.length - 1].seq
    for (const [key, maxSeq] of judgedGroups) if (maxSeq < first) judgedGroups.delete(key)
    const joined = bySeq(source.joinedRecords(first, last))
    const out: GradedAttempt[] = []
    const split = (seq: number) => {
      const all = joined.get(seq) ?? (seq < first || seq > last ? source.joinedRecords(seq, seq) : [])
      const inTime: GradingRecord[] = []
      const late: GradingRecord[] = []
      for (const j of all) (isLate(j.ts) ? late : inTime).push(j.record)
      return { inTime, late }
    }
    const individual = (a: AttemptRecord) => {
      const { inTime, late } = split(a.seq)
      const c = a.case === undefined ? undefined : caseById.get(a.case)
      let g = gradeOne(a, c, inTime, late)
      // grade.ts: an unrecorded attempt whose record was altered says so (asked only then: it is rare)
      if (g.verdict === 'unrecorded') {
        const altered = source.tamperedIdForTrace(a.trace_id)
        if (altered) g = gradeOne(a, c, inTime, late, altered)
      }
      return { g, inTime, late }
    }
    const emit = (a: AttemptRecord, graded: GradedAttempt, inTime: readonly GradingRecord[]): void => {
      const g = input.adjust ? input.adjust(a, graded, inTime) : graded
      out.push(g)
      input.observe?.(a, g)
      metrics.add(a, g)
      cases.add(a, g)
      attempts++
      matched += inTime.length
      if (a.kind === 'legit') {
        legit.attempts++
        legit.counts[g.verdict] = (legit.counts[g.verdict] ?? 0) + 1
      }
    }

    for (const a of page) {
      if (!(a.kind === 'attack' && a.group && a.case && judged.has(a.case))) {
        const { g, inTime } = individual(a)
        emit(a, g, inTime)
        continue
      }
      // Concurrency case (docs/architecture.md: "N parallel replays of one proof: at most one 2xx"): the
      // group's members are few and close in seq, so the first one met brings in the rest.
      const key = `${a.case}\u0000${a.group}`
      if (judgedGroups.has(key)) continue
      const c = caseById.get(a.case) as AttackCase
      const found = source.groupMembers(a.case, a.group)
      // begun in an earlier range, which judged it whole
      if (range && found.length > 0 && found[0].seq < range.from) {
        judgedGroups.set(key, found[found.length - 1].seq)
        continue
      }
      const members = found.map((m) => ({ attempt: m, ...individual(m) }))
      const verdicts = new Map(members.map((m) => [m.attempt.seq, m.g]))
      const regrade = (x: AttemptRecord): GradedAttempt => {
        const m = members.find((y) => y.attempt === x) as (typeof members)[number]
        return gradeLegit(x, m.inTime, m.late)
      }
      const judge = judgeFor(c)
      if (judge) for (const g of judge(members.map((m) => ({ attempt: m.attempt, graded: m.g })), c, regrade)) verdicts.set(g.seq, g)
      for (const m of members) emit(m.attempt, verdicts.get(m.attempt.seq) as GradedAttempt, m.inTime)
      judgedGroups.set(key, members.reduce((x, m) => Math.max(x, m.attempt.seq), a.seq))
    }
    write(out)
  }
  return { metrics: metrics.set, cases: cases.part(), legit, matched, attempts }
}

/** What pass 3 gives grade-stream.ts: the parts merged, the case table still open for its own rows. */
export interface VerdictTotal {
  metrics: MetricsBuilder
  cases: CaseRowsBuilder
  legit: RunJson['legit']
  matched: number
  attempts: number
}

/**
 * Folds parts in seq order (the first range's first) into one total, each as soon as those before
 * it are in: a part waiting for its turn is the only one kept. `selected` cases get a row even if never sent.
 */
export class PartMerger {
  readonly total: VerdictTotal
  readonly #waiting = new Map<number, VerdictPart>()
  #next = 0

  constructor(input: VerdictPassInput, selected?: readonly string[]) {
    this.total = { metrics: new MetricsBuilder(input.catalog, { faultWindows: input.faultWindows }), cases: new CaseRowsBuilder(input.catalog, selected), legit: { attempts: 0, counts: {} }, matched: 0, attempts: 0 }
  }

  /** the part of range `index` (ranges counted from 0 in seq order) */
  add(index: number, part: VerdictPart): void {
    this.#waiting.set(index, part)
    for (let p = this.#waiting.get(this.#next); p; p = this.#waiting.get(this.#next)) {
      this.#waiting.delete(this.#next++)
      this.#fold(p)
    }
  }

  /** whether range `index` has been added */
  has(index: number): boolean {
    return index < this.#next || this.#waiting.has(index)
  }

  #fold(p: VerdictPart): void {
    const t = this.total
    mergeMetricSet(t.metrics.set, p.metrics)
    t.cases.merge(p.cases)
    t.legit.attempts += p.legit.attempts
    for (const [v, n] of Object.entries(p.legit.counts)) t.legit.counts[v as keyof typeof t.legit.counts] = (t.legit.counts[v as keyof typeof t.legit.counts] ?? 0) + (n ?? 0)
    t.matched += p.matched
    t.attempts += p.attempts
  }
}

function bySeq(rows: readonly JoinedRecord[]): Map<number, JoinedRecord[]> {
  const out = new Map<number, JoinedRecord[]>()
  for (const row of rows) {
    const list = out.get(row.seq)
    if (list) list.push(row)
    else out.set(row.seq, [row])
  }
  return out
}
