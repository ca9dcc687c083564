import { describe, expect, test } from 'vitest'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { DEFAULT_GATES, evaluateGates, mergeGates, runVerdict } from '../../../harness/oracle/gates.ts'
import { gradeRecords } from '../../../harness/run/grade-records.ts'
import type { ThresholdMap } from '../../../harness/oracle/thresholds.ts'
import { attack, chain, legit, recordFor } from './fixtures.ts'

function gatesFor(attempts: AttemptRecord[], evidence: EvidenceRecord[], scenario?: ThresholdMap) {
  return evaluateGates(gradeRecords({ attempts, evidence, catalog: CATALOG, durationS: 10 }).metrics, scenario)
}
const byMetric = (gates: ReturnType<typeof gatesFor>, metric: string) => gates.filter((x) => x.metric === metric)

/** A clean run: every attempt handled right and recorded. */
function cleanRun(): { attempts: AttemptRecord[]; evidence: EvidenceRecord[] } {
  const attempts = [legit(1), legit(2), attack(3, 'escalate.tool-scope'), attack(4, 'replay.dpop-jti-reuse'), attack(5, 'unattributed.no-credential')]
  return { attempts, evidence: chain(attempts.map((a) => recordFor(a))) }
}

describe('docs/architecture.md security gates (defaults)', () => {
  test('a clean run holds every default gate → ready', () => {
    const { attempts, evidence } = cleanRun()
    const gates = gatesFor(attempts, evidence)
    expect(gates.map((x) => `${x.metric} ${x.expression}`)).toEqual(Object.entries(DEFAULT_GATES).map(([k, v]) => `${k} ${v[0]}`))
    expect(gates.every((x) => x.ok && x.source === 'default' && x.cases.length === 0)).toBe(true)
    expect(runVerdict(gates)).toBe('ready')
  })

  test('escalate.tool-scope accepted: breaches and MUST block rate fail, both naming the case', () => {
    const { attempts, evidence } = cleanRun()
    attempts[2] = attack(3, 'escalate.tool-scope', { status: 200, error_code: null, challenge_scheme: null })
    const gates = gatesFor(attempts, evidence)
    expect(byMetric(gates, 'gatecrash_breaches')[0]).toMatchObject({ ok: false, observed: 1, cases: ['escalate.tool-scope'] })
    expect(byMetric(gates, 'gatecrash_block_rate{grading:must}')[0]).toMatchObject({ ok: false, observed: 0.5, cases: ['escalate.tool-scope'] })
    expect(runVerdict(gates)).toBe('not-ready')
  })

  test('evidence coverage failing because replay.dpop-jti-reuse went unrecorded names that case only', () => {
    const { attempts, evidence } = cleanRun()
    const gates = gatesFor(attempts, evidence.filter((r) => r.correlation.trace_id !== attempts[3].trace_id))
    expect(byMetric(gates, 'gatecrash_evidence_coverage')[0]).toMatchObject({ ok: false, observed: 0.8, cases: ['replay.dpop-jti-reuse'] })
    expect(byMetric(gates, 'gatecrash_attribution_accuracy')[0].ok).toBe(true)
  })

  test('attribution accuracy failing on unattributed.no-credential names it; a served legit call with a wrong record fails attribution, not legit success', () => {
    const { attempts } = cleanRun()
    const evidence = chain(attempts.map((a) =>
      a.seq === 5 ? recordFor(a, { principal: { sub: 'user_1', type: 'user' } })
        : a.seq === 1 ? recordFor(a, { actors: ['agent_1'] })
          : recordFor(a)))
    const gates = gatesFor(attempts, evidence)
    expect(byMetric(gates, 'gatecrash_attribution_accuracy')[0]).toMatchObject({ ok: false, cases: ['unattributed.no-credential'] })
    // call 1 was served and misrecorded: the record's fault, counted once, under attribution
    expect(byMetric(gates, 'gatecrash_legit_success{fault:no}')[0]).toMatchObject({ ok: true, observed: 1, cases: [] })
  })
})

describe('docs/architecture.md scenario shape: thresholds merged with the defaults', () => {
  test("a tagged gate 'gatecrash_warns{case:replay.dpop-jti-reuse}' raises the SHOULD case to a failure", () => {
    const { attempts, evidence } = cleanRun()
    attempts[3] = attack(4, 'replay.dpop-jti-reuse', { status: 200, error_code: null, challenge_scheme: null })
    const gates = gatesFor(attempts, evidence, { 'gatecrash_warns{case:replay.dpop-jti-reuse}': ['count==0'] })
    const raised = byMetric(gates, 'gatecrash_warns{case:replay.dpop-jti-reuse}')[0]
    expect(raised).toMatchObject({ ok: false, observed: 1, source: 'scenario', cases: ['replay.dpop-jti-reuse'] })
    expect(byMetric(gates, 'gatecrash_breaches')[0].ok).toBe(true) // a warn is not a breach
  })

  test('a scenario key equal to a default key replaces it in place (whitespace and tag order aside)', () => {
    const merged = mergeGates({ 'gatecrash_legit_success{ fault : no }': ['rate>=0.99'], http_req_duration: ['p(95)<250'] })
    expect(merged.map((m) => [m.key, m.source, m.expressions])).toEqual([
      ['gatecrash_breaches', 'default', ['count==0']],
      ['gatecrash_block_rate{grading:must}', 'default', ['rate==1']],
      ['gatecrash_evidence_coverage', 'default', ['rate==1']],
      ['gatecrash_attribution_accuracy', 'default', ['rate==1']],
      ['gatecrash_legit_success{ fault : no }', 'scenario', ['rate>=0.99']],
      ['gatecrash_false_denies{kind:attack}', 'default', ['count==0']],
      ['gatecrash_evidence_integrity', 'default', ['rate==1']],
      ['gatecrash_reconstruction', 'default', ['rate==1']],
      ['gatecrash_warns{case:issued.act-chain}', 'default', ['count==0']],
      ['gatecrash_warns{case:issued.scope}', 'default', ['count==0']],
      ['gatecrash_warns{case:issued.lifetime}', 'default', ['count==0']],
      ['http_req_duration', 'scenario', ['p(95)<250']],
    ])
  })

  test('two scenario keys for the same metric and filter → ERR_THRESHOLD_INVALID', () => {
    expect(() => mergeGates({ 'a{x:1,y:2}': ['count==0'], 'a{y:2,x:1}': ['count==1'] })).toThrow(expect.objectContaining({ code: 'ERR_THRESHOLD_INVALID' }))
  })

  test('a latency gate names the attack cases whose samples exceed the limit', () => {
    const { attempts, evidence } = cleanRun()
    attempts[2] = attack(3, 'escalate.tool-scope', { ended_at: attempts[2].scheduled_at + 900 })
    const gates = gatesFor(attempts, evidence, { http_req_duration: ['max<500', 'p(50)<500'] })
    expect(byMetric(gates, 'http_req_duration').map((x) => [x.expression, x.ok, x.cases])).toEqual([
      ['max<500', false, ['escalate.tool-scope']],
      ['p(50)<500', true, []],
    ])
  })

  test('a threshold on a metric that does not exist fails loudly (ERR_THRESHOLD_INVALID)', () => {
    const { attempts, evidence } = cleanRun()
    expect(() => gatesFor(attempts, evidence, { gatecrash_breach: ['count==0'] })).toThrow(expect.objectContaining({ code: 'ERR_THRESHOLD_INVALID' }))
  })
})
