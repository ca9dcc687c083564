/**
 * The one grader (oracle/grade-stream.ts) is a pure function of what the store holds: the same
 * verdicts, case rows, evidence statistics, metrics, gates and CSVs whatever the page size it reads
 * with, and whether the store is a run's run.db on disk or an in-memory one (run/grade-records.ts).
 * Pages split concurrency groups, token-window candidates and chains at every boundary here.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import type { AttackCase } from '../../../harness/contracts/attack-case.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import type { FaultWindowRecord } from '../../../harness/contracts/fault-window.ts'
import { evaluateGates } from '../../../harness/oracle/gates.ts'
import { gradeStream } from '../../../harness/oracle/grade-stream.ts'
import { gradeStore } from '../../../harness/run/grade-store.ts'
import { summarizeMetrics } from '../../../harness/oracle/metrics.ts'
import { gradeRecords } from '../../../harness/run/grade-records.ts'
import { storeRows } from '../../../harness/run/store-rows.ts'
import { writeAttemptsCsv, writeEvidenceCsv } from '../../../reports/csv.ts'
import { attack, chain, legit, metricsTraffic, recordFor, T0 } from '../oracle/fixtures.ts'
import { mixedTraffic, scratch, storeWith, removeScratch } from './store-fixtures.ts'

afterAll(removeScratch)

// Synthetic cases with special judging (as in grade-special.test.ts).
const parallel: AttackCase = { ...CATALOG[0], id: 'test.parallel', grading: 'should', concurrency: true }
const control: AttackCase = { ...CATALOG[0], id: 'test.control', grading: 'should', control: true, expect: [{ status: 200, error: null }] }
const catalog = [...CATALOG, parallel, control]
const THRESHOLDS = { 'gatecrash_warns{case:replay.dpop-jti-reuse}': ['count==0'], http_req_duration: ['p(95)<250', 'max<12'] }

interface Case {
  attempts: AttemptRecord[]
  evidence: EvidenceRecord[]
  settleDeadline?: number
  chainStart?: Record<string, string | null>
  cases?: string[]
  faults?: FaultWindowRecord[]
}

/** A window in effect from T0+5 s to T0+6 s (metric windows reach back a second for in-flight attempts). */
const FAULT: FaultWindowRecord = {
  id: 'f1', kind: 'latency', component: 'jwks', label: 'latency jwks 5s–6s', detail: '', at_ms: 5_000, for_ms: 1_000,
  recover_within_ms: null, t0: T0, start: T0 + 5_000, end: T0 + 6_000, healed: true, error: null,
}

/**
 * The reference: an in-memory store read at the default page size. The subject: a run.db on disk
 * graded at `pageSize`, then read back the way reporters read it (store-rows.ts). They must agree.
 */
async function expectSame(c: Case, pageSize?: number) {
  const extraCounters = [{ name: 'dropped_iterations', value: 2, tags: { scenario: 'workload' } }]
  const memory = gradeRecords({ attempts: c.attempts, evidence: c.evidence, catalog, settleDeadline: c.settleDeadline, chainStart: c.chainStart, cases: c.cases, durationS: 10, extraCounters, faults: c.faults })
  const store = await storeWith(c.attempts, c.evidence)
  const { graded: streamed } = gradeStore(store, { catalog, settleDeadline: c.settleDeadline, chainStart: c.chainStart, cases: c.cases, durationS: 10, extraCounters, faults: c.faults, pageSize })
  const rows = storeRows(store, path.dirname(store.file), c.settleDeadline)
  expect(c.attempts.map((a) => rows.verdicts.get(a.seq))).toEqual(memory.attempts)
  expect(streamed.cases).toEqual(memory.cases)
  expect(streamed.legit).toEqual(memory.legit)
  expect(streamed.evidence).toEqual(memory.evidence)
  expect(summarizeMetrics(streamed.metrics)).toEqual(summarizeMetrics(memory.metrics))
  expect(evaluateGates(streamed.metrics, THRESHOLDS)).toEqual(evaluateGates(memory.metrics, THRESHOLDS))
  for (const r of c.evidence) {
    expect(rows.seqById.get(r.id), r.id).toBe(memory.match.seqById.get(r.id))
    expect(rows.lateIds.has(r.id), r.id).toBe(memory.match.lateIds.has(r.id))
  }
  // The CSVs written from the store are byte for byte the ones written from what was read back whole.
  const dir = await scratch('gatecrash-csv-')
  await writeAttemptsCsv(path.join(dir, 'mem-attempts.csv'), c.attempts, memory.attempts)
  await writeAttemptsCsv(path.join(dir, 'db-attempts.csv'), rows.attempts(), rows.verdicts)
  await writeEvidenceCsv(path.join(dir, 'mem-evidence.csv'), c.evidence, { seqById: memory.match.seqById, lateIds: memory.match.lateIds })
  await writeEvidenceCsv(path.join(dir, 'db-evidence.csv'), rows.evidence(), { seqById: rows.seqById, lateIds: rows.lateIds })
  const read = (f: string) => readFile(path.join(dir, f), 'utf8')
  expect(await read('db-attempts.csv')).toBe(await read('mem-attempts.csv'))
  expect(await read('db-evidence.csv')).toBe(await read('mem-evidence.csv'))
  store.close()
  return memory
}

const perCase = (() => {
  const attempts = [legit(1), legit(2), attack(3, 'escalate.tool-scope'), attack(4, 'escalate.tool-scope', { status: 200, error_code: null, challenge_scheme: null }), attack(5, 'escalate.tool-scope'), attack(6, 'replay.dpop-jti-reuse')]
  const evidence = chain([recordFor(attempts[0]), recordFor(attempts[2]), recordFor(attempts[3]), recordFor(attempts[5], { component: 'rs-2' })])
  return { attempts, evidence, cases: ['escalate.tool-scope', 'replay.dpop-jti-reuse', 'unattributed.no-credential'] }
})()

describe('docs/architecture.md oracle rules: the grader\'s result does not depend on page size or store', () => {
  test('per-case rows, examples, legit counts, evidence statistics, metrics, gates and both CSVs', async () => {
    for (const pageSize of [1, 2, 5_000]) await expectSame(perCase, pageSize)
  })

  test('evidence contract: records without a trace id join by token hash within the window, nearest unclaimed first', async () => {
    const a = legit(1)
    const b = legit(2, { token_hash: 'tokhash-1' })
    const c = legit(3, { token_hash: 'tokhash-1' })
    const evidence = chain([
      recordFor(b, { correlation: { token_hash: 'tokhash-1' } }),
      recordFor(a, { correlation: { token_hash: 'tokhash-1' } }),
      recordFor(c), // traced: attempt 3 is claimed by trace id, so no untraced record may take it
      recordFor(c, { correlation: { token_hash: 'tokhash-1' } }),
      recordFor(a, { correlation: { token_hash: 'tokhash-1' }, ts: new Date(T0 + 3_600_000).toISOString() }),
    ])
    await expectSame({ attempts: [a, b, c], evidence })
  })

  test('late records (after the settle deadline) are joined for the report but are not evidence', async () => {
    const a = legit(1)
    const b = attack(2, 'escalate.tool-scope')
    await expectSame({ attempts: [a, b], evidence: chain([recordFor(a, { ts: new Date(T0 + 60_000).toISOString() }), recordFor(b)]), settleDeadline: T0 + 30_000 })
  })

  test('altered records join nothing and say so; chains that do not link to the head read before the run are reported', async () => {
    const tampered = perCase.evidence.map((r) => (r.id === 'ev_2' ? { ...r, reason: 'scope.other' } : r))
    await expectSame({ ...perCase, evidence: tampered, chainStart: { 'rs-2': 'head-before-run' } })
  })

  test('concurrency groups are judged together: at most one accepted send of a group passes', async () => {
    const send = (seq: number, ok: boolean, group: string) =>
      attack(seq, 'test.parallel', ok ? { status: 200, error_code: null, challenge_scheme: null, group } : { group })
    const attempts = [send(1, true, 'g1'), send(2, false, 'g1'), legit(3), send(4, true, 'g2'), send(5, true, 'g2'), send(6, false, 'g1'), send(7, false, 'g2')]
    const evidence = chain(attempts.map((a) => recordFor(a, a.status === 200 ? { decision: 'allow', reason: 'ok' } : {})))
    // page sizes that split the groups across pages must not change a verdict
    for (const pageSize of [1, 2, 3, 5_000]) await expectSame({ attempts, evidence }, pageSize)
  })

  test('fault windows tag metrics; unknown cases and transport errors stay out of the security rates', async () => {
    const { attempts, evidence } = metricsTraffic()
    for (const pageSize of [3, 5_000]) await expectSame({ attempts, evidence, faults: [FAULT] }, pageSize)
  })

  test.each([1, 2, 3])('mixed traffic (seed %i): every join rule at once, at several page sizes', async (seed) => {
    const { attempts, evidence, deadline } = mixedTraffic(600, seed)
    const c = { attempts, evidence, settleDeadline: deadline, cases: ['escalate.tool-scope', 'unattributed.no-credential'] }
    for (const pageSize of [7, 5_000]) {
      const memory = await expectSame(c, pageSize)
      // the fixture really exercises every rule
      expect([...memory.match.via.values()].filter((v) => v === 'token-window').length).toBeGreaterThan(10)
      expect(memory.evidence.late).toBeGreaterThan(0)
      expect(memory.evidence.tampered).toBeGreaterThan(0)
      expect(memory.attempts.filter((g) => g.why.includes('in its group')).length).toBeGreaterThan(0)
      expect(new Set(memory.attempts.map((g) => g.verdict)).size).toBeGreaterThanOrEqual(7)
    }
  })

  test('grading twice gives the same result (the second run replaces the first one\'s output)', async () => {
    const { attempts, evidence, deadline } = mixedTraffic(200, 9)
    const store = await storeWith(attempts, evidence)
    const input = { catalog, settleDeadline: deadline, durationS: 10 }
    const first = gradeStream(store, input)
    const second = gradeStream(store, input)
    store.commit()
    expect(second.cases).toEqual(first.cases)
    expect(second.evidence).toEqual(first.evidence)
    expect((store.db.prepare('SELECT count(*) AS n FROM verdicts').get() as { n: number }).n).toBe(200)
    store.close()
  })
})
