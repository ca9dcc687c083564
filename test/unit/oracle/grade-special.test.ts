import { describe, expect, test } from 'vitest'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import type { AttackCase } from '../../../harness/contracts/attack-case.ts'
import { gradeRecords } from '../../../harness/run/grade-records.ts'
import { attackHeld } from '../../../harness/oracle/grade-attempt.ts'
import { aggregate } from '../../../harness/oracle/metric-set.ts'
import { attack, chain, legit, recordFor } from './fixtures.ts'

// Cases with special judging rules (docs/architecture.md "Oracle rules"); synthetic catalog entries keep the
// tests independent of which cases the catalog currently holds.
const control: AttackCase = { ...CATALOG[0], id: 'test.control', grading: 'should', control: true, expect: [{ status: 200, error: null }] }
const upscope: AttackCase = { ...CATALOG[0], id: 'test.upscope', grading: 'must', judge: 'issued-token', expect: [{ status: 400, error: 'invalid_scope' }], evidence: { ...CATALOG[0].evidence, area: 'exchange' } }
const parallel: AttackCase = { ...CATALOG[0], id: 'test.parallel', grading: 'should', concurrency: true }
const write: AttackCase = { ...CATALOG.find((c) => c.id === 'escalate.tool-scope')!, id: 'test.write' }
const catalog = [...CATALOG, control, upscope, parallel, write]

const verdictOf = (attempts: ReturnType<typeof legit>[], evidence = chain(attempts.map((a) => recordFor(a)))) =>
  gradeRecords({ attempts, evidence, catalog }).attempts.map((g) => g.verdict)

describe('docs/architecture.md oracle: control cases (a correct target accepts them)', () => {
  test('accepted and recorded as allow → pass', () => {
    const a = attack(1, 'test.control', { status: 200, error_code: null, challenge_scheme: null })
    expect(verdictOf([a], chain([recordFor(a, { decision: 'allow', reason: 'ok' })]))).toEqual(['pass'])
  })
  test('refused → warn (SHOULD), never a breach', () => {
    const a = attack(1, 'test.control', { status: 401, error_code: 'invalid_dpop_proof' })
    expect(verdictOf([a], chain([recordFor(a, { reason: 'dpop.htu_mismatch' })]))).toEqual(['warn'])
  })
})

describe('RFC 8693 §2.2.1 / RFC 6749 §3.3: exchange judged on the issued token', () => {
  const granted = (scope: string[]) => attack(1, 'test.upscope', { status: 200, error_code: null, challenge_scheme: null, issued: { scope, aud: 'rs' }, ceiling: { scope: ['tickets:read', 'customers:read'], aud: 'rs' } })
  test('a 200 with a narrower token and an allow record → pass', () => {
    const a = granted(['tickets:read'])
    expect(verdictOf([a], chain([recordFor(a, { decision: 'allow', reason: 'ok' })]))).toEqual(['pass'])
  })
  test('a 200 with scope beyond the subject → breach', () => {
    const a = granted(['tickets:read', 'refunds:write'])
    const g = gradeRecords({ attempts: [a], evidence: chain([recordFor(a, { decision: 'allow', reason: 'ok' })]), catalog }).attempts[0]
    expect(g.verdict).toBe('breach')
    expect(g.why).toContain('refunds:write')
  })
  test('400 invalid_scope with an exchange deny record → pass', () => {
    const a = attack(1, 'test.upscope', { status: 400, error_code: 'invalid_scope', challenge_scheme: null })
    expect(verdictOf([a], chain([recordFor(a, { reason: 'exchange.scope_widen' })]))).toEqual(['pass'])
  })
  test('attackHeld (the block rates): a narrower token is held, a wider one is not, a refusal is', () => {
    const narrow = granted(['tickets:read'])
    const wide = granted(['tickets:read', 'refunds:write'])
    const refused = attack(2, 'test.upscope', { status: 400, error_code: 'invalid_scope', challenge_scheme: null })
    const run = gradeRecords({ attempts: [narrow, refused], evidence: chain([recordFor(narrow, { decision: 'allow', reason: 'ok' }), recordFor(refused, { reason: 'exchange.scope_widen' })]), catalog })
    expect(run.attempts.map((g, i) => attackHeld([narrow, refused][i], g))).toEqual([true, true])
    expect(aggregate(run.metrics, 'gatecrash_block_rate', { kind: 'rate' }, { grading: 'must' })).toBe(1)
    const breach = gradeRecords({ attempts: [wide], evidence: chain([recordFor(wide, { decision: 'allow', reason: 'ok' })]), catalog })
    expect(attackHeld(wide, breach.attempts[0])).toBe(false)
    expect(aggregate(breach.metrics, 'gatecrash_block_rate', { kind: 'rate' }, { grading: 'must' })).toBe(0)
    // an ordinary case (no ceiling) accepted is never held, whatever its verdict
    expect(attackHeld({ status: 200 }, { verdict: 'pass' })).toBe(false)
  })
})

describe('docs/architecture.md oracle: concurrency cases are judged as a group (at most one of N accepted)', () => {
  const send = (seq: number, ok: boolean) =>
    attack(seq, 'test.parallel', ok ? { status: 200, error_code: null, challenge_scheme: null, group: 'g1' } : { group: 'g1' })
  const records = (as: ReturnType<typeof send>[]) => chain(as.map((a) => recordFor(a, a.status === 200 ? { decision: 'allow', reason: 'ok' } : {})))
  test('one accepted, three refused → all pass', () => {
    const as = [send(1, true), send(2, false), send(3, false), send(4, false)]
    expect(verdictOf(as, records(as))).toEqual(['pass', 'pass', 'pass', 'pass'])
  })
  test('two accepted → the second is a warn (SHOULD)', () => {
    const as = [send(1, true), send(2, true), send(3, false)]
    const v = verdictOf(as, records(as))
    expect(v.filter((x) => x === 'warn')).toHaveLength(1)
    expect(v.filter((x) => x === 'pass')).toHaveLength(2)
  })
})

const refused403 = { status: 403, error_code: 'insufficient_scope', challenge_scheme: 'DPoP' }

describe('side effects: a refused write that still happened is a breach', () => {
  test('403 insufficient_scope but the refund exists → breach', () => {
    const a = attack(1, 'test.write', { ...refused403, side_effect: true })
    const g = gradeRecords({ attempts: [a], evidence: chain([recordFor(a, { reason: 'scope.insufficient' })]), catalog }).attempts[0]
    expect(g.verdict).toBe('breach')
    expect(g.why).toContain('side effect')
  })
  test('403 and no refund → pass', () => {
    const a = attack(1, 'test.write', { ...refused403, side_effect: false })
    expect(verdictOf([a], chain([recordFor(a, { reason: 'scope.insufficient' })]))).toEqual(['pass'])
  })
})

describe('judge side-effect (RFC 7009 §2.2: a server may answer 200 and do nothing): a 2xx is judged by the state', () => {
  const noop: AttackCase = { ...write, id: 'test.noop', judge: 'side-effect' }
  const grade = (a: ReturnType<typeof attack>, decision: 'allow' | 'deny') =>
    gradeRecords({ attempts: [a], evidence: chain([recordFor(a, decision === 'allow' ? { decision, reason: 'ok' } : { reason: 'client.not_token_owner' })]), catalog: [...catalog, noop] }).attempts[0]
  const ok = { status: 200, error_code: null, challenge_scheme: null }
  test('200 and the state shows the write → breach', () => {
    expect(grade(attack(1, 'test.noop', { ...ok, side_effect: true }), 'allow').verdict).toBe('breach')
  })
  test('200 and the state unchanged → warn, naming the probe', () => {
    const g = grade(attack(1, 'test.noop', { ...ok, side_effect: false }), 'allow')
    expect(g.verdict).toBe('warn')
    expect(g.why).toContain('side-effect probe')
  })
  test('200 with no probe answer → accepted as usual (breach)', () => {
    expect(grade(attack(1, 'test.noop', ok), 'allow').verdict).toBe('breach')
  })
  test('refused but the state shows the write → breach', () => {
    expect(grade(attack(1, 'test.noop', { ...refused403, side_effect: true }), 'deny').verdict).toBe('breach')
  })
})

describe('docs/evidence-schema.md hash: a record altered after writing proves nothing', () => {
  test('the attempt whose record was altered comes out unrecorded, naming the record', () => {
    const a = legit(1)
    const [r] = chain([recordFor(a, { decision: 'allow', reason: 'ok' })])
    const g = gradeRecords({ attempts: [a], evidence: [{ ...r, reason: 'ok.edited' }], catalog })
    expect(g.attempts[0].verdict).toBe('unrecorded')
    expect(g.attempts[0].why).toContain(`record ${r.id} fails its hash`)
    expect(g.evidence.tampered).toBe(1)
  })
})

describe('RFC 6749 §5.1: a narrower grant must state its scope in the token response', () => {
  const granted = (scope: string[], stated: boolean | undefined) =>
    attack(1, 'test.upscope', {
      status: 200, error_code: null, challenge_scheme: null,
      issued: { scope, aud: 'rs', ...(stated !== undefined ? { scope_stated: stated } : {}) },
      ceiling: { scope: ['tickets:read', 'customers:read'], aud: 'rs' },
    })
  const graded = (a: ReturnType<typeof granted>) => gradeRecords({ attempts: [a], evidence: chain([recordFor(a, { decision: 'allow', reason: 'ok' })]), catalog })

  test('a narrower token whose response omits scope → warn naming RFC 6749 §5.1, still held in the block rate', () => {
    const a = granted(['tickets:read'], false)
    const run = graded(a)
    expect(run.attempts[0].verdict).toBe('warn')
    expect(run.attempts[0].why).toContain('RFC 6749 §5.1')
    expect(attackHeld(a, run.attempts[0])).toBe(true)
    expect(aggregate(run.metrics, 'gatecrash_block_rate', { kind: 'rate' }, { grading: 'must' })).toBe(1)
  })
  test('a narrower token whose response states scope → pass; an old log without scope_stated → pass (not judged)', () => {
    expect(graded(granted(['tickets:read'], true)).attempts[0].verdict).toBe('pass')
    expect(graded(granted(['tickets:read'], undefined)).attempts[0].verdict).toBe('pass')
  })
  test('a wider token stays a breach whether or not the response states scope, and is not held', () => {
    const a = granted(['tickets:read', 'refunds:write'], false)
    const g = graded(a).attempts[0]
    expect(g.verdict).toBe('breach')
    expect(attackHeld(a, g)).toBe(false)
  })
})
