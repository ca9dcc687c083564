import { describe, expect, test } from 'vitest'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import { gradeRecords } from '../../../harness/run/grade-records.ts'
import { attack, chain, legit, recordFor, T0 } from './fixtures.ts'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'

function one(a: AttemptRecord, evidence: EvidenceRecord[], settleDeadline?: number) {
  const g = gradeRecords({ attempts: [a], evidence, catalog: CATALOG, settleDeadline })
  return { ...g.attempts[0], result: g }
}

describe('docs/architecture.md verdicts: legitimate traffic', () => {
  test('2xx with an allow record naming principal, actor chain and resource → pass', () => {
    const a = legit(1)
    const g = one(a, chain([recordFor(a)]))
    expect(g.verdict).toBe('pass')
    expect(g.evidence_id).toBe('ev_1')
    expect(g).toMatchObject({ matched: true, faithful: true })
  })

  test('2xx with no matching record → unrecorded', () => {
    const g = one(legit(1), chain([recordFor(legit(2))]))
    expect(g.verdict).toBe('unrecorded')
    expect(g.why).toContain('trace0001')
    expect(g.matched).toBe(false)
  })

  test('docs/architecture.md oracle rules: a record after the settle deadline is late, so the attempt is unrecorded', () => {
    const a = legit(1)
    const late = chain([recordFor(a, { ts: new Date(T0 + 60_000).toISOString() })])
    const g = one(a, late, T0 + 30_000)
    expect(g.verdict).toBe('unrecorded')
    expect(g.why).toContain('arrived after the settle deadline')
    expect(g.result.evidence).toMatchObject({ records: 1, matched: 0, late: 1 })
  })

  test('record with a wrong actor chain → misattributed, naming the field', () => {
    const a = legit(1)
    const g = one(a, chain([recordFor(a, { actors: ['agent_1'] })]))
    expect(g.verdict).toBe('misattributed')
    expect(g.why).toContain('actors: expected [subagent_1 > agent_1], recorded [agent_1]')
    expect(g.faithful).toBe(false)
  })

  test.each([
    ['principal.sub', { principal: { sub: 'user_2', type: 'user' as const } }],
    ['principal.type', { principal: { sub: 'user_1', type: 'agent' as const } }],
    ['resource.tool', { resource: { tool: 'refund.issue', tenant: 't_1' } }],
    ['resource.tenant', { resource: { tool: 'tickets.read', tenant: 't_2' } }],
    ['client_id', { client_id: 'agent_1' }],
    ['decision', { decision: 'deny' as const, reason: 'scope.insufficient' }],
  ])('record with a wrong %s → misattributed', (field, over) => {
    const a = legit(1)
    const g = one(a, chain([recordFor(a, over)]))
    expect(g.verdict).toBe('misattributed')
    expect(g.why).toContain(`${field}:`)
  })

  test('legitimate call refused → false-deny', () => {
    const a = legit(1, { status: 403, error_code: 'insufficient_scope', challenge_scheme: 'DPoP' })
    const g = one(a, chain([recordFor(a)]))
    expect(g.verdict).toBe('false-deny')
    expect(g.why).toContain('403 DPoP error=insufficient_scope')
    expect(g.faithful).toBe(true) // the deny record tells the truth about a wrong decision
  })

  test('transport error → error (proves nothing)', () => {
    const g = one(legit(1, { status: null, transport_error: 'ECONNRESET' }), [])
    expect(g.verdict).toBe('error')
    expect(g.why).toContain('ECONNRESET')
  })

  test('evidence contract: records without trace id join by token hash within the time window', () => {
    const a = legit(1)
    const b = legit(2, { token_hash: 'tokhash-1' }) // same agent token, 100 ms later
    const records = chain([
      recordFor(b, { correlation: { token_hash: 'tokhash-1' } }),
      recordFor(a, { correlation: { token_hash: 'tokhash-1' } }),
      recordFor(a, { correlation: { token_hash: 'tokhash-1' }, ts: new Date(T0 + 3_600_000).toISOString() }),
    ])
    const g = gradeRecords({ attempts: [a, b], evidence: records, catalog: CATALOG })
    expect(g.attempts.map((x) => [x.verdict, x.evidence_id])).toEqual([['pass', 'ev_2'], ['pass', 'ev_1']])
    expect(g.match.via.get('ev_1')).toBe('token-window')
    expect(g.match.unmatched.map((r) => r.id)).toEqual(['ev_3'])
    expect(g.evidence.matched).toBe(2)
  })
})

describe('docs/architecture.md verdicts: attacks', () => {
  test('escalate.tool-scope (MUST) accepted with 2xx → breach', () => {
    const a = attack(1, 'escalate.tool-scope', { status: 200, error_code: null, challenge_scheme: null })
    const g = one(a, chain([recordFor(a)]))
    expect(g.verdict).toBe('breach')
    expect(g.why).toContain('accepted with 200 (must rule')
    expect(g.why).toContain('recorded as allow ev_1')
  })

  test('replay.dpop-jti-reuse accepted → warn (RFC 9449 §11.1 "can", docs/attack-catalog.md Grading)', () => {
    const a = attack(1, 'replay.dpop-jti-reuse', { status: 200, error_code: null, challenge_scheme: null })
    expect(one(a, chain([recordFor(a)])).verdict).toBe('warn')
  })

  test('escalate.tool-scope refused with 403 insufficient_scope and a scope deny record → pass', () => {
    const a = attack(1, 'escalate.tool-scope')
    const g = one(a, chain([recordFor(a)]))
    expect(g.verdict).toBe('pass')
    expect(g.why).toContain('refused with 403 DPoP error=insufficient_scope')
  })

  test('unattributed.no-credential: 401 bare challenge and an anonymous deny record → pass', () => {
    const a = attack(1, 'unattributed.no-credential')
    expect(one(a, chain([recordFor(a)])).verdict).toBe('pass')
  })

  test('unattributed.no-credential with an error code present → warn (RFC 6750 §3.1: no error code without credentials)', () => {
    const a = attack(1, 'unattributed.no-credential', { error_code: 'invalid_token' })
    const g = one(a, chain([recordFor(a)]))
    expect(g.verdict).toBe('warn')
    expect(g.why).toContain('catalog expects 401 DPoP no error code')
  })

  test('refused with a status the catalog does not list → warn, not breach (still blocked)', () => {
    const a = attack(1, 'escalate.tool-scope', { status: 401, error_code: 'invalid_token' })
    const g = one(a, chain([recordFor(a)]))
    expect(g.verdict).toBe('warn')
    expect(g.why).toContain('refused, but with 401 DPoP error=invalid_token')
  })

  test('refused with the wrong challenge scheme → warn (scheme fixed by the catalog)', () => {
    const a = attack(1, 'replay.dpop-jti-reuse', { challenge_scheme: 'Bearer' })
    expect(one(a, chain([recordFor(a)])).verdict).toBe('warn')
  })

  test('docs/architecture.md oracle rules: transport error but an allow record for a MUST attack → breach', () => {
    const a = attack(1, 'escalate.tool-scope', { status: null, error_code: null, challenge_scheme: null, transport_error: 'ECONNRESET' })
    const g = one(a, chain([recordFor(a, { decision: 'allow', reason: 'ok', status: 200 })]))
    expect(g.verdict).toBe('breach')
    expect(g.why).toContain('recorded allow ev_1')
  })

  test('transport error with a deny record or none → error', () => {
    const a = attack(1, 'escalate.tool-scope', { status: null, error_code: null, challenge_scheme: null, transport_error: 'ETIMEDOUT' })
    expect(one(a, chain([recordFor(a, { decision: 'deny', status: 403 })])).verdict).toBe('error')
    expect(one(a, []).verdict).toBe('error')
  })

  test('refused but no record → unrecorded, even when the code was also wrong (worse verdict wins)', () => {
    expect(one(attack(1, 'escalate.tool-scope'), []).verdict).toBe('unrecorded')
    const wrongCode = one(attack(1, 'escalate.tool-scope', { status: 400, error_code: 'invalid_request' }), [])
    expect(wrongCode.verdict).toBe('unrecorded')
    expect(wrongCode.why).toContain('refused, but with 400')
  })

  test('docs/evidence-schema.md reason areas: escalate.tool-scope deny record in area auth → misattributed', () => {
    const a = attack(1, 'escalate.tool-scope')
    const g = one(a, chain([recordFor(a, { reason: 'auth.missing' })]))
    expect(g.verdict).toBe('misattributed')
    expect(g.why).toContain('reason area: expected scope, recorded auth (auth.missing)')
  })

  test('replay.dpop-jti-reuse deny record naming another actor chain → misattributed', () => {
    const a = attack(1, 'replay.dpop-jti-reuse')
    const g = one(a, chain([recordFor(a, { actors: ['agent_9'] })]))
    expect(g.verdict).toBe('misattributed')
    expect(g.why).toContain('actors:')
  })

  test('unattributed.no-credential record attributed to a user → misattributed', () => {
    const a = attack(1, 'unattributed.no-credential')
    const g = one(a, chain([recordFor(a, { principal: { sub: 'user_1', type: 'user' } })]))
    expect(g.verdict).toBe('misattributed')
    expect(g.why).toContain('principal.type: expected anonymous')
  })

  test('replay.dpop-jti-reuse record without the proof_jti_hash detail → pass, with the gap in why', () => {
    const a = attack(1, 'replay.dpop-jti-reuse')
    const g = one(a, chain([recordFor(a, { detail: {} })]))
    expect(g.verdict).toBe('pass')
    expect(g.why).toContain('lacks detail proof_jti_hash')
  })

  test('docs/architecture.md verdicts: a case id the catalog does not know → not-covered, never a pass', () => {
    const a = attack(1, 'replay.no-such-case')
    const g = one(a, chain([recordFor(a)]))
    expect(g.verdict).toBe('not-covered')
    expect(g.result.cases[0]).toMatchObject({ id: 'replay.no-such-case', class: 'replay', grading: 'unknown', verdict: 'not-covered' })
  })
})

describe('grade(): per-case rows, legit counts, evidence stats', () => {
  const attempts = [
    legit(1),
    legit(2),
    attack(3, 'escalate.tool-scope'),
    attack(4, 'escalate.tool-scope', { status: 200, error_code: null, challenge_scheme: null }),
    attack(5, 'escalate.tool-scope'),
    attack(6, 'replay.dpop-jti-reuse'),
  ]
  const evidence = chain([
    recordFor(attempts[0]),
    recordFor(attempts[2]),
    recordFor(attempts[3]),
    recordFor(attempts[5], { component: 'rs-2' }),
  ])
  const g = gradeRecords({ attempts, evidence, catalog: CATALOG, cases: ['escalate.tool-scope', 'replay.dpop-jti-reuse', 'unattributed.no-credential'] })

  test('one row per case with counts, worst verdict and worst-first examples by trace id', () => {
    expect(g.cases.map((r) => [r.id, r.attempts, r.verdict])).toEqual([
      ['escalate.tool-scope', 3, 'breach'],
      ['replay.dpop-jti-reuse', 1, 'pass'],
      ['unattributed.no-credential', 0, 'not-covered'],
      // every grading checks each record read for credentials (the evidence schema's No secrets)
      ['evidence.no-secrets', 4, 'pass'],
    ])
    const row = g.cases[0]
    expect(row.counts).toEqual({ pass: 1, breach: 1, unrecorded: 1 })
    expect(row.refs).toEqual(['RFC 6750 §3.1'])
    expect(row.examples.map((e) => [e.trace_id, e.verdict])).toEqual([['trace0004', 'breach'], ['trace0005', 'unrecorded']])
  })

  test('legit counts and evidence statistics', () => {
    expect(g.legit).toEqual({ attempts: 2, counts: { pass: 1, unrecorded: 1 } })
    expect(g.evidence).toEqual({
      records: 4,
      matched: 4,
      tampered: 0,
      late: 0,
      integrity: 'chained',
      chains: [
        { component: 'rs-1', records: 3, ok: true, problem: null },
        { component: 'rs-2', records: 1, ok: true, problem: null },
      ],
    })
  })

  test('docs/architecture.md evidence contract: a tampered record or a chain not linking to the head read before the run is reported', () => {
    const tampered = evidence.map((r) => (r.id === 'ev_2' ? { ...r, reason: 'scope.other' } : r))
    const t = gradeRecords({ attempts, evidence: tampered, catalog: CATALOG, chainStart: { 'rs-2': 'head-before-run' } })
    expect(t.evidence.chains).toEqual([
      { component: 'rs-1', records: 3, ok: false, problem: 'record ev_2: hash does not recompute' },
      { component: 'rs-2', records: 1, ok: false, problem: 'record ev_4: prev does not link to the record before' },
    ])
  })

  test('pure: grading twice gives the same result', () => {
    const again = gradeRecords({ attempts, evidence, catalog: CATALOG, cases: ['escalate.tool-scope', 'replay.dpop-jti-reuse', 'unattributed.no-credential'] })
    expect(again.attempts).toEqual(g.attempts)
    expect(again.cases).toEqual(g.cases)
  })
})
