/**
 * A golden grading: two generated run stores graded by gradeStore, everything it produced reduced
 * to one JSON value (results, gates, faults, metric series, and digests of the verdicts, joins and
 * tampered tables row by row). The fixture golden-grading.json was written by the grader before
 * its speed work (bench `join`, issue 14); golden-grading.test.ts asserts today's grader reproduces
 * it exactly, so a faster grader cannot have changed a verdict, a join or an integrity result.
 *
 * Store A: the join bench's rows (bench/lib/join-rows.ts: trace and token-window joins, every
 * verdict kind) with the irregular ones a grader must handle the same: unparseable and unusual
 * timestamps, late records (one exactly at the deadline), credential-shaped detail, a second record
 * per attempt, records joining nothing, unrecorded attempts, a concurrency group, transport errors,
 * a case not in the catalog, altered records on one chain, head samples, a redelivered record and a
 * re-read problem; and the same without altered records. Store B: the store fixtures' mixed traffic with synthetic group and control
 * cases and a fault window (chaos adjust).
 *
 * Regenerate (only when grading is meant to change): GATECRASH_WRITE_GOLDEN=1 npx vitest run --project fast test/unit/run/golden-grading.test.ts
 */
import { createHash } from 'node:crypto'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import type { AttackCase } from '../../../harness/contracts/attack-case.ts'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import type { FaultWindowRecord } from '../../../harness/contracts/fault-window.ts'
import { headsOf } from '../../../harness/evidence/chain.ts'
import type { MetricSet } from '../../../harness/oracle/metric-set.ts'
import { summarizeMetrics } from '../../../harness/oracle/metrics.ts'
import { gradeStore, type GradeStoreInput } from '../../../harness/run/grade-store.ts'
import type { RunStore } from '../../../harness/run/run-store.ts'
import { Chainer, rowAt, RATE } from '../../../bench/lib/join-rows.ts'
import { T0 as FIXTURE_T0 } from '../oracle/fixtures.ts'
import { mixedTraffic } from './store-fixtures.ts'

const JWT_LIKE = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJlLWJ5dGVz'
const THRESHOLDS = { 'gatecrash_warns{case:replay.dpop-jti-reuse}': ['count==0'], http_req_duration: ['p(95)<250', 'max<12'], gatecrash_block_rate: ['rate>0.99'] }

export interface GoldenStore {
  attempts: AttemptRecord[]
  /** evidence pages as delivered, each followed by the head sample taken after it (if any) */
  deliveries: { records: EvidenceRecord[]; heads?: Record<string, string | null> }[]
  redelivered: EvidenceRecord[]
  verification: { component: string; problem: string }[]
  input: Omit<GradeStoreInput, 'pageSize'>
}

/**
 * Store A: the bench rows with irregular ones mixed in (see the header). `alter`: whether some
 * records are altered after writing (without, a grading that runs ahead of its record checks keeps
 * what it graded; with, it grades again).
 */
export function benchStore(n = 20_000, alter = true): GoldenStore {
  const chainer = new Chainer()
  const attempts: AttemptRecord[] = []
  const records: EvidenceRecord[] = []
  const lastEnd = rowAt(n).attempt.ended_at
  const deadline = Math.floor(lastEnd) + 5_000
  const iso = (t: number) => new Date(t).toISOString()
  for (let seq = 1; seq <= n; seq++) {
    const { attempt, record } = rowAt(seq)
    const r = { ...record, correlation: { ...record.correlation } }
    if (seq % 1049 === 29) {
      attempts.push(attempt)
      continue // never recorded
    }
    if (seq % 1009 === 5) r.ts = 'not a timestamp'
    else if (seq % 1013 === 7) r.ts = new Date(Date.parse(r.ts) + 2 * 3_600_000).toISOString().replace('Z', '+02:00')
    else if (seq % 1019 === 11) r.ts = iso(deadline + 1_000 + seq)
    else if (seq % 1051 === 31) r.ts = iso(deadline)
    else if (seq % 1061 === 37) r.ts = new Date(Date.parse(r.ts)).toUTCString()
    else if (seq % 1063 === 41) r.ts = `${r.ts.slice(0, 10)}` // a date alone: UTC midnight by Date.parse's rules
    else if (seq % 1069 === 43) r.ts = `+00${r.ts}`
    if (seq % 1021 === 13) r.detail = { note: `forwarded ${JWT_LIKE}` }
    if (seq % 1033 === 19) r.correlation = {}
    if (seq % 1039 === 23) r.correlation = { trace_id: `ffff${attempt.trace_id.slice(4)}` }
    if (seq % 1087 === 47) r.correlation = { trace_id: attempt.trace_id, token_hash: attempt.token_hash }
    if (seq % 1091 === 53) Object.assign(attempt, { status: null, transport_error: 'ECONNRESET', error_code: null, challenge_scheme: null })
    if (seq % 1093 === 59) attempt.case = 'no.such-case'
    attempts.push(attempt)
    records.push(chainer.chain(r))
    if (seq % 1031 === 17) {
      // a second writer's record for the same request, disagreeing on the decision
      records.push(chainer.chain({ ...r, id: `${r.id}-gw`, component: 'gw', decision: r.decision === 'allow' ? 'deny' : 'allow' }))
    }
  }
  // a concurrency group of the catalog's one group-judged case: two of four accepted
  const parallel = CATALOG.find((c) => c.id === 'replay.dpop-jti-reuse.parallel') as AttackCase
  for (let i = 0; i < 4; i++) {
    const seq = n + 1 + i
    const base = rowAt(seq).attempt
    const ok = i < 2
    attempts.push({ ...base, kind: 'attack', case: parallel.id, scenario: 'attacks', group: 'grp-1', status: ok ? 200 : 401, error_code: ok ? null : 'invalid_dpop_proof', challenge_scheme: ok ? null : 'DPoP' })
    const rec = rowAt(seq).record
    records.push(chainer.chain({ ...rec, decision: ok ? 'allow' : 'deny', reason: ok ? 'ok' : 'dpop.jti_replay', status: ok ? 200 : 401, correlation: { trace_id: base.trace_id, token_hash: base.token_hash } }))
  }
  // altered after writing, on one chain only, so the others stay intact
  const altered = records.map((r, i) => (alter && r.component === 'rs-2/1' && i % 997 === 3 ? { ...r, reason: `${r.reason}.altered` } : r))
  const third = Math.floor(altered.length / 3)
  const deliveries = [
    { records: altered.slice(0, third), heads: { ...headsOf(altered.slice(0, third)), ghost: 'not-a-head' } },
    { records: altered.slice(third, 2 * third), heads: headsOf(altered.slice(0, 2 * third)) },
    { records: altered.slice(2 * third) },
  ]
  const again = altered[100]
  return {
    attempts,
    deliveries,
    redelivered: [{ ...again, status: 599 }],
    verification: [{ component: 'rs-1/1', problem: 're-read after the run: 1 of 5000 records read during the run are no longer served (deleted or cut off)' }],
    input: { settleDeadline: deadline, chainStart: {}, integrity: 'chained', cases: [...new Set(attempts.flatMap((a) => (a.case ? [a.case] : [])))].sort(), durationS: n / RATE, thresholds: THRESHOLDS },
  }
}

/** Store B: mixed traffic with synthetic group and control cases, late and altered records, and a fault window. */
export function mixedStore(n = 3_000): GoldenStore {
  const { attempts, evidence, deadline } = mixedTraffic(n, 20261206)
  const parallel: AttackCase = { ...CATALOG[0], id: 'test.parallel', grading: 'should', concurrency: true }
  const control: AttackCase = { ...CATALOG[0], id: 'test.control', grading: 'should', control: true, expect: [{ status: 200, error: null }] }
  const fault: FaultWindowRecord = {
    id: 'f1', kind: 'latency', component: 'jwks', label: 'latency jwks 50s–80s', detail: '', at_ms: 50_000, for_ms: 30_000,
    recover_within_ms: 5_000, t0: FIXTURE_T0, start: FIXTURE_T0 + 50_000, end: FIXTURE_T0 + 80_000, healed: true, error: null,
  }
  return {
    attempts,
    deliveries: [{ records: evidence }],
    redelivered: [],
    verification: [],
    input: { catalog: [...CATALOG, parallel, control], settleDeadline: deadline, integrity: 'chained', faults: [fault], cases: ['escalate.tool-scope', 'replay.dpop-jti-reuse', 'test.parallel', 'test.control'], durationS: n / 10, thresholds: THRESHOLDS, extraCounters: [{ name: 'dropped_iterations', value: 3, tags: { scenario: 'workload' } }] },
  }
}

/** Fills a store the way a run does: attempts, then evidence page by page with head samples between. */
export function fill(store: RunStore, g: GoldenStore): void {
  store.appendAttempts(g.attempts)
  for (const d of g.deliveries) {
    store.appendEvidence(d.records)
    if (d.heads) store.addHeadSample(d.heads, FIXTURE_T0 + 1)
  }
  for (const r of g.redelivered) store.compareServed(r)
  for (const v of g.verification) store.addVerificationProblem(v.component, v.problem)
}

const digest = (rows: unknown[]): { rows: number; sha256: string } => {
  const h = createHash('sha256')
  for (const r of rows) h.update(`${JSON.stringify(r)}\n`)
  return { rows: rows.length, sha256: h.digest('hex') }
}

/** every series of every metric, in the order it was created, one row each */
function metricSeries(set: MetricSet): unknown[] {
  return [...set.metrics.values()].flatMap((m) =>
    [...m.series.entries()].map(([key, s]) => ({
      name: m.name, type: m.type, key, count: s.count, sum: s.sum, min: s.min, max: s.max, passes: s.passes, last: s.last, lastOrder: s.lastOrder,
      hist: s.hist && { count: s.hist.count, min: s.hist.min, max: s.hist.max, mean: s.hist.mean, p50: s.hist.percentile(50), p99: s.hist.percentile(99) },
    })),
  )
}

/** Grades the store and reduces everything the grading produced to one comparable value. */
export function gradeGolden(store: RunStore, g: GoldenStore, pageSize?: number): unknown {
  const { graded, gates, faults } = gradeStore(store, { ...g.input, pageSize })
  const { metrics, ...rest } = graded
  return {
    graded: rest,
    metrics: summarizeMetrics(metrics),
    series: digest(metricSeries(metrics)),
    gates,
    faults,
    verdicts: digest(store.sql('SELECT * FROM verdicts ORDER BY seq').all()),
    joins: digest(store.sql('SELECT * FROM joins ORDER BY rowid').all()),
    tampered: digest(store.sql('SELECT * FROM tampered ORDER BY rowid').all()),
    verdictCounts: Object.fromEntries((store.sql('SELECT verdict, count(*) AS n FROM verdicts GROUP BY verdict ORDER BY verdict').all() as { verdict: string; n: number }[]).map((r) => [r.verdict, r.n])),
  }
}
