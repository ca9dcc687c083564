import { describe, expect, test } from 'vitest'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import { gradeRecords } from '../../../harness/run/grade-records.ts'
import { aggregate, sampleCount, seriesOf, tagKey } from '../../../harness/oracle/metric-set.ts'
import type { FaultWindowRecord } from '../../../harness/contracts/fault-window.ts'
import { attemptTagKey, attemptTags, summarizeMetrics } from '../../../harness/oracle/metrics.ts'
import { attack, legit, metricsTraffic, T0 } from './fixtures.ts'

const { attempts, evidence } = metricsTraffic()
// One fault in effect from T0+5 s to T0+6 s: attempts scheduled from a second before it (in flight
// when it began, IN_FLIGHT_LEAD_MS) to its end are tagged fault:yes.
const fault: FaultWindowRecord = {
  id: 'f1', kind: 'latency', component: 'jwks', label: 'latency jwks 5s–6s', detail: '', at_ms: 5_000, for_ms: 1_000,
  recover_within_ms: null, t0: T0, start: T0 + 5_000, end: T0 + 6_000, healed: true, error: null,
}
const { metrics: set } = gradeRecords({
  attempts,
  evidence,
  catalog: CATALOG,
  durationS: 10,
  extraCounters: [{ name: 'dropped_iterations', value: 3, tags: { scenario: 'workload' } }],
  faults: [fault],
})
const agg = (name: string, kind: 'count' | 'rate' | 'min' | 'max', filter = {}) => aggregate(set, name, { kind }, filter)

describe('metrics: k6-style metric set from graded attempts', () => {
  test('every sample carries kind, case, class, grading, tool, scenario and fault tags', () => {
    // Samples fold into one series per tag set: attempt 4's tag set is a series of its own.
    const tags = seriesOf(set, 'gatecrash_attempts').map((s) => s.tags)
    expect(tags).toContainEqual({ kind: 'attack', case: 'escalate.tool-scope', class: 'escalate', grading: 'must', tool: 'refund.issue', scenario: 'workload', fault: 'no' })
    // attempt 2 was scheduled inside the fault window
    expect(seriesOf(set, 'gatecrash_attempts', { kind: 'legit', fault: 'yes' }).map((s) => [s.tags, s.count])).toEqual([
      [expect.objectContaining({ kind: 'legit', case: '', grading: '', fault: 'yes' }), 1],
    ])
    expect(sampleCount(set, 'gatecrash_attempts')).toBe(7)
  })

  test('an attempt\'s series key, built without its tags, is the key of its tags (legit, attack, unknown case, in and out of a fault)', () => {
    const byId = new Map(CATALOG.map((c) => [c.id, c]))
    for (const a of [...attempts, { ...attempts[0], kind: 'attack' as const, case: 'no.such-case' }]) {
      const c = a.case === undefined ? undefined : byId.get(a.case)
      for (const windows of [[], [{ start: a.scheduled_at, end: a.scheduled_at + 1 }]]) {
        expect(attemptTagKey(a, c, windows.length > 0)).toBe(tagKey(attemptTags(a, c, windows)))
      }
    }
  })

  test('memory is per tag set, not per sample: attempts with the same tags share one series', () => {
    // legit 1 and 3 share every tag (attempt 2 fell in the fault window)
    expect(seriesOf(set, 'gatecrash_attempts', { kind: 'legit', fault: 'no' }).map((s) => s.count)).toEqual([2])
  })

  test('http_req_duration is measured from scheduled_at to ended_at, only for attempts with a status', () => {
    expect(sampleCount(set, 'http_req_duration')).toBe(6)
    expect(agg('http_req_duration', 'max')).toBe(250)
    expect(agg('http_req_duration', 'max', { kind: 'legit' })).toBe(40)
    // the deny path: refused attacks only (the accepted one went down the allow path)
    expect(sampleCount(set, 'deny_path_duration')).toBe(3)
  })

  test('counters per verdict, http_reqs for sent attempts, extra counters from the caller', () => {
    expect(agg('gatecrash_attempts', 'count')).toBe(7)
    expect(agg('http_reqs', 'count')).toBe(7)
    expect(agg('gatecrash_breaches', 'count')).toBe(1)
    expect(agg('gatecrash_breaches', 'count', { case: 'escalate.tool-scope' })).toBe(1)
    expect(agg('gatecrash_false_denies', 'count')).toBe(1)
    expect(agg('gatecrash_errors', 'count')).toBe(1)
    expect(agg('gatecrash_misattributed', 'count')).toBe(1)
    expect(agg('gatecrash_not_covered', 'count')).toBe(1)
    expect(agg('gatecrash_warns', 'count')).toBe(0)
    expect(agg('dropped_iterations', 'count')).toBe(3)
  })

  test('gatecrash_block_rate: refused / attacks with a status, not-covered left out', () => {
    expect(agg('gatecrash_block_rate', 'rate')).toBeCloseTo(2 / 3)
    expect(agg('gatecrash_block_rate', 'rate', { grading: 'must' })).toBe(0.5)
    expect(agg('gatecrash_block_rate', 'rate', { grading: 'should' })).toBe(1)
  })

  test('gatecrash_evidence_coverage: matched / attempts not graded error (or not-covered)', () => {
    // 1 pass, 2 false-deny (recorded), 4 pass, 5 breach (unrecorded), 6 misattributed (recorded) → 4/5
    expect(agg('gatecrash_evidence_coverage', 'rate')).toBe(0.8)
  })

  test('gatecrash_attribution_accuracy: faithful / matched', () => {
    expect(agg('gatecrash_attribution_accuracy', 'rate')).toBe(0.75)
    expect(agg('gatecrash_attribution_accuracy', 'rate', { case: 'replay.dpop-jti-reuse' })).toBe(0)
  })

  test('gatecrash_legit_success over all legit traffic, and outside fault windows with {fault:no}', () => {
    expect(agg('gatecrash_legit_success', 'rate')).toBeCloseTo(1 / 3)
    expect(agg('gatecrash_legit_success', 'rate', { fault: 'no' })).toBe(0.5)
  })

  test('gatecrash_legit_success counts calls served: a served call with no record is a coverage failure, not a failed call', async () => {
    const { chain, recordFor } = await import('./fixtures.ts')
    const served = [legit(1), legit(2), legit(3), legit(4, { status: 403, error_code: 'insufficient_scope', challenge_scheme: 'DPoP' })]
    // calls 1 and 2 recorded, 3 served without a record, 4 refused (recorded)
    const { metrics } = gradeRecords({ attempts: served, evidence: chain([recordFor(served[0]), recordFor(served[1]), recordFor(served[3])]), catalog: CATALOG, durationS: 1, faults: [] })
    expect(aggregate(metrics, 'gatecrash_legit_success', { kind: 'rate' }, {})).toBe(3 / 4)
    expect(aggregate(metrics, 'gatecrash_evidence_coverage', { kind: 'rate' }, {})).toBe(3 / 4)
    expect(aggregate(metrics, 'gatecrash_unrecorded', { kind: 'count' }, {})).toBe(1)
  })

  test('http_req_failed: no response, legit refused, or attack accepted', () => {
    expect(agg('http_req_failed', 'rate')).toBeCloseTo(3 / 7)
  })

  test('summarizeMetrics gives run.json trend summaries, counters and rates', () => {
    const s = summarizeMetrics(set)
    expect(s.http_req_duration).toMatchObject({ count: 6, max: 250, min: 11 })
    expect(s.http_req_duration.p95).toBeGreaterThan(200)
    expect(s.deny_path_duration.count).toBe(3)
    expect(s.gatecrash_breaches).toEqual({ count: 1, rate: 0.1 })
    expect(s.gatecrash_evidence_coverage).toEqual({ rate: 0.8, passes: 4, fails: 1 })
  })
})
