/**
 * The run store grades a record from its view (contracts/evidence.ts GradingRecord, run-store.ts
 * record_views): the view must give every verdict the whole record gives, however the record's
 * members are missing, null or malformed, and hold nothing of the chain or correlation.
 */
import { describe, expect, test } from 'vitest'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import { gradingRecord, type EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import { gradeOne } from '../../../harness/oracle/grade-attempt.ts'
import { attack, chain, legit, recordFor } from './fixtures.ts'

/** the view as the store keeps it: JSON, so absent and undefined members read alike */
const stored = (r: EvidenceRecord) => JSON.parse(JSON.stringify(gradingRecord(r))) as ReturnType<typeof gradingRecord>

const cases: [string, AttemptRecord, Parameters<typeof recordFor>[1]][] = [
  ['faithful legit', legit(1), {}],
  ['legit, client_id absent', legit(2), { client_id: undefined }],
  ['legit, client_id null', legit(3), { client_id: null }],
  ['legit, other client_id', legit(4), { client_id: 'someone-else' }],
  ['legit, resource null', legit(5), { resource: null as unknown as EvidenceRecord['resource'] }],
  ['legit, resource without aud', legit(6), { resource: { tool: legit(6).expected.tool, tenant: legit(6).expected.tenant } }],
  ['legit, aud null', legit(7), { resource: { aud: null as unknown as string, tool: legit(7).expected.tool, tenant: legit(7).expected.tenant } }],
  ['legit, actors not a list', legit(8), { actors: 'agent_1' as unknown as string[] }],
  ['legit, principal missing', legit(9), { principal: undefined }],
  ['legit, wrong principal type', legit(10), { principal: { sub: legit(10).expected.principal.sub, type: 'workload' } }],
  ['legit, recorded deny', legit(11), { decision: 'deny', reason: 'scope.insufficient' }],
  ['attack with detail', attack(12, 'replay.dpop-jti-reuse'), {}],
  ['attack, detail missing', attack(13, 'replay.dpop-jti-reuse'), { detail: undefined }],
  ['attack, wrong reason area', attack(14, 'escalate.tool-scope'), { reason: 'token.expired' }],
  ['attack, wrong actors', attack(15, 'escalate.tool-scope'), { actors: ['nobody'] }],
]

describe('issue 14: grading from a record view (contracts/evidence.ts GradingRecord)', () => {
  test('every verdict and reason is the one the whole record gets', () => {
    const records = chain(cases.map(([, a, over]) => recordFor(a, over)))
    const verdicts = new Set<string>()
    cases.forEach(([name, a], i) => {
      const c = a.case === undefined ? undefined : CATALOG.find((x) => x.id === a.case)
      const whole = gradeOne(a, c, [records[i]], [])
      expect(gradeOne(a, c, [stored(records[i])], []), name).toEqual(whole)
      // and as a late record (the unrecorded verdict names it)
      expect(gradeOne(a, c, [], [stored(records[i])]), `${name}, late`).toEqual(gradeOne(a, c, [], [records[i]]))
      verdicts.add(whole.verdict)
    })
    // the cases reach more than a pass: the view must carry what makes a record wrong
    expect([...verdicts].sort()).toEqual(['misattributed', 'pass'])
  })

  test('a view holds only what the grader reads: no chain, correlation, key or time', () => {
    const [record] = chain([recordFor(legit(1), { key: { jkt: 'jkt' }, scope: { held: ['a'] } })])
    const view = stored(record)
    expect(Object.keys(view).sort()).toEqual(['actors', 'client_id', 'decision', 'id', 'principal', 'reason', 'resource'])
    expect(Object.keys(view.resource).sort()).toEqual(['aud', 'tenant', 'tool'])
    expect(JSON.stringify(view)).not.toContain(record.hash)
  })
})
