/**
 * Verdicts by family (docs/run-json.md "families"): a family fails when one of its cases is behind
 * a failed gate, is not covered when none of its cases was exercised, partial when some were not,
 * and holds otherwise; nothing is judged anew.
 */
import { describe, expect, test } from 'vitest'
import type { CaseRow, GateResult } from '../../../harness/contracts/run-json.ts'
import { familiesOf, familyOf } from '../../../harness/oracle/families.ts'

const row = (id: string, attempts: number, verdict: CaseRow['verdict'] = 'pass'): CaseRow => ({ id, class: id.split('.')[0], grading: 'must', refs: [], attempts, counts: { [verdict]: attempts }, verdict, examples: [] })
const gate = (ok: boolean, cases: string[]): GateResult => ({ metric: 'gatecrash_breaches', expression: 'count==0', ok, observed: ok ? 0 : 1, source: 'default', cases })

describe('attack families', () => {
  test('a family is a case id\'s first two segments', () => {
    expect(familyOf('replay.dpop-jti-reuse.parallel')).toBe('replay.dpop-jti-reuse')
    expect(familyOf('replay.dpop-jti-reuse')).toBe('replay.dpop-jti-reuse')
    expect(familyOf('escalate.tool-scope')).toBe('escalate.tool-scope')
  })

  test('held, failed, partial and not-covered, from the gates and the coverage the run already decided', () => {
    const cases = [
      row('replay.dpop-jti-reuse', 10),
      row('replay.dpop-jti-reuse.parallel', 4, 'breach'),
      row('escalate.forged-jwt.alg-none', 5),
      row('escalate.forged-jwt.hs256', 5),
      row('lifecycle.offboarded-agent.token-request', 3),
      row('lifecycle.offboarded-agent.old-token', 0, 'not-covered'),
      row('lifecycle.revoked-at', 0, 'not-covered'),
      // an ungated warn holds: its gate did not fail
      row('unattributed.anon-exchange', 6, 'warn'),
    ]
    const coverage = cases.map((c) => ({ case: c.id, covered: c.attempts > 0, attempts: c.attempts, ...(c.attempts === 0 ? { reason: 'the target lacks x' } : {}) }))
    const families = familiesOf(cases, coverage, [gate(false, ['replay.dpop-jti-reuse.parallel']), gate(true, [])])
    expect(families.map((f) => [f.family, f.result, f.attempts, f.failed, f.not_covered])).toEqual([
      ['replay.dpop-jti-reuse', 'failed', 14, ['replay.dpop-jti-reuse.parallel'], []],
      ['escalate.forged-jwt', 'held', 10, [], []],
      ['lifecycle.offboarded-agent', 'partial', 3, [], ['lifecycle.offboarded-agent.old-token']],
      ['lifecycle.revoked-at', 'not-covered', 0, [], ['lifecycle.revoked-at']],
      ['unattributed.anon-exchange', 'held', 6, [], []],
    ])
  })
})
