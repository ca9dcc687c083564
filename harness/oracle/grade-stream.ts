/**
 * The oracle (docs/architecture.md "Oracle rules"): the one grader. A pure function of (attempt log,
 * evidence, head samples, catalog) → verdicts, per-case table, evidence statistics and metrics, over
 * a GradeSource that pages them, so memory stays flat however many attempts a run made. The store
 * does the lookups (indexed by trace id, token hash and group); this file keeps the oracle's rules
 * and no I/O of its own. A run grades its run store on disk; tests and small reads grade an
 * in-memory one (run/grade-records.ts), through the same code.
 *
 * Three passes, each in a fixed order so the result does not depend on page sizes:
 * 1. every record in delivery order: hash it once for the tamper check and the integrity check
 *    (links, hashes, head samples, the re-read: evidence/integrity.ts), count late ones
 *    (evidence-checks.ts), and join it to the attempt with its trace id (every attempt carries a
 *    fresh W3C trace id, so the join is exact). A store may run the checks in another thread
 *    (checkEvidenceAside) while this one makes the joins (and, given `restart`, grades), which are
 *    then corrected for the altered records, if any (gradeStream);
 * 2. untraced records with a token hash, in time order: each claims the nearest unclaimed attempt
 *    of its token within the window (targets that do not propagate trace context);
 * 3. attempts in send order (seq): grade each with the records joined to it, judge concurrency
 *    groups together (members are fetched whole when the first is met), feed metrics and the case
 *    table, write the verdicts back (verdict-pass.ts). A store may have another thread grade
 *    shares of the attempts once its checks are done (GradeAside.share), merged in seq order.
 * Records stamped after the settle deadline are late: joined for the report's sake, never counted
 * as evidence, so a slow sink shows up as `unrecorded`.
 */
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { AttackCase } from '../contracts/attack-case.ts'
import type { EvidenceRecord, GradingRecord } from '../contracts/evidence.ts'
import type { EvidenceIntegrity } from '../contracts/evidence-source.ts'
import type { CaseRow, RunJson } from '../contracts/run-json.ts'
import type { GradedAttempt } from '../contracts/verdict.ts'
import type { HeadSample } from '../evidence/integrity.ts'
import type { IssuedCheckOutcome } from '../contracts/issued-token.ts'
import { EvidenceChecks, type EvidenceCheckInput, type EvidenceCheckResult } from './evidence-checks.ts'
import type { MetricSet } from './metric-set.ts'
import type { ExtraCounter, FaultWindow } from './metrics.ts'
import { gradeRange, PartMerger, type VerdictPart, type VerdictPassInput, type VerdictSource, type VerdictTotal } from './verdict-pass.ts'

export type { JoinedRecord } from './verdict-pass.ts'

/**
 * Slack either side of an attempt for the token-hash join: the target's clock and the harness's
 * differ a little even on loopback, and a record is stamped some time between send and response.
 */
export const DEFAULT_TOKEN_WINDOW_MS = 2_000

export interface StoredRecord {
  /** the record's position in delivery order */
  rowid: number
  /** Date.parse(record.ts) as the store keeps it (run-store.ts `tsMs`), null when not a time */
  ts: number | null
  record: EvidenceRecord
}

/** An untraced record and the attempts it may join by token hash and time window (GradeSource.tokenClaimPages). */
export interface TokenClaim {
  rowid: number
  ts: number
  candidates: { seq: number; started_at: number; ended_at: number }[]
}

export interface EvidenceJoin {
  rowid: number
  seq: number
  via: 'trace' | 'token-window'
}

/**
 * The second thread of a store's grading (run/grade-aside.ts): pass 1's record checks, then, if
 * asked, shares of pass 3.
 */
export interface GradeAside {
  /**
   * Waits for the record checks: their result and the rowids of the altered records, or undefined
   * if they could not finish (then they run here after all). A share not started by then never is.
   */
  checks(): { result: EvidenceCheckResult; tampered: number[] } | undefined
  /**
   * Has the other thread grade ranges of seqs too, once its checks are done and found no altered
   * record (the joins are made by then and committed), and write their verdicts to the store. Both threads take ranges in turn from one
   * counter; undefined when this grading cannot be shared (then this thread grades them all).
   */
  share?(ranges: readonly SeqRange[], input: SharedPassInput, size: number): VerdictShare
}

export interface SeqRange {
  from: number
  to: number
}

/** What another thread needs to grade (the callbacks cannot cross threads, so a shared pass has none). */
export type SharedPassInput = Omit<VerdictPassInput, 'adjust' | 'observe'>

export interface VerdictShare {
  /** the next range for this thread, or -1 when all are taken */
  claim(): number
  /** ranges the other thread has graded since last asked (it has written their verdicts) */
  take(): { index: number; part: VerdictPart }[]
  /** waits until the other thread takes no more ranges */
  finish(): void
}

/** What the streaming grader asks of a store. RunStore (run/run-store.ts) answers it from SQLite. */
export interface GradeSource extends VerdictSource {
  /** drops the output of an earlier grading (joins, tamper marks, verdicts) */
  resetGrading(): void
  /**
   * Starts pass 1's record checks (evidence-checks.ts) elsewhere, over the records as stored now,
   * while this thread goes on with indexes and joins; or undefined to have them run here.
   */
  checkEvidenceAside?(input: EvidenceCheckInput, size: number): GradeAside | undefined
  /** every record in delivery order */
  evidencePages(size: number): Iterable<StoredRecord[]>
  /** the lowest and highest rowid of the records, or null when there are none */
  evidenceBounds(): { first: number; last: number } | null
  /** the lowest and highest seq of the attempts, or null when there are none */
  seqRange(): { min: number; max: number } | null
  /**
   * joins each record with rowid in [from, to] that carries a trace id and is not marked tampered
   * to the first attempt (lowest seq) carrying that trace id (match.ts: should one repeat, the first
   * attempt keeps it); one statement per page instead of a lookup per record
   */
  joinByTrace(from: number, to: number): void
  addJoins(joins: readonly EvidenceJoin[]): void
  /** marks records altered, dropping any join they made (made before they were known to be) */
  addTampered(rowids: readonly number[]): void
  /** drops every token-window join (pass 2 is run again when records turn out altered after it) */
  dropTokenJoins(): void
  /**
   * untampered records without a trace id but with a token hash and a readable ts, by (ts, rowid),
   * a page at a time, each with the attempts of its token that no record had joined when the page
   * was read and whose [started_at, ended_at] may come within windowMs of its ts (a superset is
   * fine: distances are checked here), in seq order
   */
  tokenClaimPages(size: number, windowMs: number): Iterable<TokenClaim[]>
  /** the source's chain heads as sampled during the run, each after the records delivered before it */
  headSamples(): HeadSample[]
  /** record ids the source delivered again with other content */
  redeliveredRecords(): { id: string; record: EvidenceRecord }[]
  /** what the re-read of the run's history after the settle window found wrong, per chain */
  verificationProblems(): { component: string; problem: string }[]
  addVerdicts(graded: readonly GradedAttempt[]): void
  /** between pages: a store may commit there, so grading never builds one huge transaction */
  pageDone?(): void
}

export interface GradeStreamInput {
  catalog: readonly AttackCase[]
  /** epoch ms after which records are late */
  settleDeadline?: number
  chainStart?: Record<string, string | null>
  /** whether the source's records carry a hash chain (default chained: every run before sources had a kind) */
  integrity?: EvidenceIntegrity
  /** attack case ids the scenario selected (never-sent ones get a `not-covered` row) */
  cases?: readonly string[]
  windowMs?: number
  /** measured duration in seconds, for counters' per-second rate */
  durationS: number
  extraCounters?: readonly ExtraCounter[]
  faultWindows?: readonly FaultWindow[]
  pageSize?: number
  /**
   * sees every graded attempt once (in seq order, group members together) with the in-time records
   * joined to it, and may return a changed grade (e.g. harness/chaos: a recorded evidence gap);
   * what it returns is what metrics, the case table and the verdicts table get
   */
  adjust?: (a: AttemptRecord, g: GradedAttempt, records: readonly GradingRecord[]) => GradedAttempt
  /** sees every final grade once, for folds of its own */
  observe?: (a: AttemptRecord, g: GradedAttempt) => void
  /**
   * Lets pass 3 start before a store's record checks (checkEvidenceAside) are done. Should they
   * find altered records, that grading is dropped and made again on the corrected joins, with the
   * callbacks this returns: fresh ones, since the first ones saw grades that no longer stand.
   */
  restart?: () => Pick<GradeStreamInput, 'adjust' | 'observe'>
}

export interface GradeStreamResult {
  cases: CaseRow[]
  /** evidence.no-secrets: the records whose detail holds something credential-shaped (never what) */
  secrets: IssuedCheckOutcome
  legit: RunJson['legit']
  evidence: RunJson['evidence']
  metrics: MetricSet
  /** attempts graded */
  attempts: number
  /** in-time records joined to them (as evidence.matched) */
  matched: number
}

/**
 * Rows per page. Small enough that a page's parsed records and attempts die young (a scavenge, not
 * a full collection, frees them: with 5,000 the collector cost a sixth of a million-row grading,
 * and 250 against 1,000 saved another ~4 % of its CPU and ~100 MB of peak RSS), large enough that
 * each page's statements cost nothing against its rows.
 */
const PAGE = 250

/**
 * Attempts per range when another thread shares pass 3: enough that a range's statements and its
 * merge cost nothing against its attempts, few enough that the two threads end close together.
 * Tests make it small, so a small store is split across many ranges.
 */
export const shareRange = { attempts: 25_000 }

export function gradeStream(source: GradeSource, input: GradeStreamInput): GradeStreamResult {
  const size = input.pageSize ?? PAGE
  const windowMs = input.windowMs ?? DEFAULT_TOKEN_WINDOW_MS
  const checkInput: EvidenceCheckInput = { integrity: input.integrity ?? 'chained', chainStart: input.chainStart, settleDeadline: input.settleDeadline }
  // Started before the indexes are built, so the records are parsed and hashed meanwhile.
  const aside = source.checkEvidenceAside?.(checkInput, size)
  source.resetGrading()
  if (!aside) {
    const checked = joinEvidence(source, size, checkInput)
    joinByToken(source, size, windowMs)
    return finishStream(checked, verdictPass(source, size, input), input)
  }
  // The checks run elsewhere: both joins are made as if no record were altered, and corrected
  // below if some were. An altered record's trace join is its own (it depends on no other record),
  // so dropping it gives what excluding it would have; a token-window claim depends on every claim
  // before it, so pass 2 is made again, from none.
  const bounds = source.evidenceBounds()
  for (let from = bounds?.first ?? 1; bounds && from <= bounds.last; from += TRACE_JOIN_SPAN) {
    source.joinByTrace(from, Math.min(bounds.last, from + TRACE_JOIN_SPAN - 1))
    source.pageDone?.()
  }
  joinByToken(source, size, windowMs)
  // With a way to start over, pass 3 does not wait for the checks either: a run whose records were
  // not altered (the usual one) is then graded while they are checked, and by both threads once
  // they are.
  const early = input.restart ? verdictPass(source, size, input, aside) : undefined
  const done = aside.checks()
  if (done && done.tampered.length === 0) return finishStream(done.result, early ?? verdictPass(source, size, input), input)
  let checked: EvidenceCheckResult
  source.dropTokenJoins()
  if (done) {
    source.addTampered(done.tampered)
    source.pageDone?.()
    checked = done.result
  } else {
    // the checks failed elsewhere: here then, remaking the trace joins with them
    source.pageDone?.()
    checked = joinEvidence(source, size, checkInput)
  }
  joinByToken(source, size, windowMs)
  // the early grading saw joins since corrected: dropped, with the callbacks that saw it
  return finishStream(checked, verdictPass(source, size, early && input.restart ? { ...input, ...input.restart() } : input), input)
}

function finishStream(checked: EvidenceCheckResult, graded: VerdictTotal, input: GradeStreamInput): GradeStreamResult {
  const { evidence, secrets } = checked
  // One sample per chain: the integrity gate fails on any broken or rewritten one. An unchained
  // source gives none (nothing to judge) and says so instead.
  graded.metrics.addEvidenceIntegrity(evidence.integrity ?? 'chained', evidence.chains)
  const metrics = graded.metrics.finish({ durationS: input.durationS, extraCounters: input.extraCounters })
  return { cases: graded.cases.build(), legit: graded.legit, metrics, matched: graded.matched, attempts: graded.attempts, secrets, evidence: { ...evidence, matched: graded.matched } }
}

/**
 * Pass 3, in this thread alone, or shared with the aside's thread when it can be: the callbacks
 * (`adjust`, `observe`: a run's fault windows) fold attempts in send order across the whole run, so
 * a grading with them stays in one thread.
 */
function verdictPass(source: GradeSource, size: number, input: GradeStreamInput, aside?: GradeAside): VerdictTotal {
  const pass: VerdictPassInput = { catalog: input.catalog, settleDeadline: input.settleDeadline, faultWindows: input.faultWindows, adjust: input.adjust, observe: input.observe }
  const write = (out: GradedAttempt[]): void => {
    source.addVerdicts(out)
    source.pageDone?.()
  }
  const seqs = source.seqRange()
  const count = seqs ? Math.ceil((seqs.max - seqs.min + 1) / shareRange.attempts) : 0
  const merged = new PartMerger(pass, input.cases)
  if (!seqs || count < 2 || input.adjust || input.observe || !aside?.share) {
    merged.add(0, gradeRange(source, pass, size, write))
    return merged.total
  }
  const span = Math.ceil((seqs.max - seqs.min + 1) / count)
  const ranges: SeqRange[] = Array.from({ length: count }, (_, k) => ({ from: seqs.min + k * span, to: Math.min(seqs.max, seqs.min + (k + 1) * span - 1) }))
  const { catalog, settleDeadline, faultWindows } = pass
  const shared = aside.share(ranges, { catalog, settleDeadline, faultWindows }, size)
  const collect = (): void => {
    for (const d of shared.take()) merged.add(d.index, d.part)
  }
  for (let k = shared.claim(); k >= 0; k = shared.claim()) {
    merged.add(k, gradeRange(source, pass, size, write, ranges[k]))
    collect()
  }
  shared.finish()
  collect()
  // a range the other thread took and could not grade is graded here
  for (let k = 0; k < count; k++) if (!merged.has(k)) merged.add(k, gradeRange(source, pass, size, write, ranges[k]))
  return merged.total
}

/** Pass 1: tamper check, integrity check, late count and trace-id joins, in delivery order. */
function joinEvidence(source: GradeSource, size: number, input: EvidenceCheckInput): EvidenceCheckResult {
  const checks = new EvidenceChecks(input, source.headSamples())
  for (const page of source.evidencePages(size)) {
    if (page.length === 0) continue
    const altered: number[] = []
    for (const { rowid, ts, record } of page) if (!checks.add(rowid, ts, record)) altered.push(rowid)
    source.addTampered(altered)
    source.joinByTrace(page[0].rowid, page[page.length - 1].rowid)
    source.pageDone?.()
  }
  return checks.finish(source.redeliveredRecords(), source.verificationProblems())
}

/** rowids per trace-join statement when the checks run elsewhere (each span commits) */
const TRACE_JOIN_SPAN = 50_000

/**
 * Pass 2, match.ts's fallback: one token serves many attempts of an agent, so each record (in time
 * order) goes to the nearest attempt of its token that no record has claimed yet. Attempts joined
 * by trace id are claimed already: their target propagates trace context.
 */
function joinByToken(source: GradeSource, size: number, windowMs: number): void {
  for (const page of source.tokenClaimPages(size, windowMs)) {
    // the page's candidates were read before its own claims: those are kept here
    const claimed = new Set<number>()
    const joins: EvidenceJoin[] = []
    for (const r of page) {
      let best: number | undefined
      let bestDistance = Infinity
      for (const a of r.candidates) {
        if (claimed.has(a.seq)) continue
        const distance = r.ts < a.started_at ? a.started_at - r.ts : r.ts > a.ended_at ? r.ts - a.ended_at : 0
        if (distance <= windowMs && distance < bestDistance) {
          best = a.seq
          bestDistance = distance
        }
      }
      if (best === undefined) continue
      claimed.add(best)
      joins.push({ rowid: r.rowid, seq: best, via: 'token-window' })
    }
    source.addJoins(joins)
    source.pageDone?.()
  }
}
