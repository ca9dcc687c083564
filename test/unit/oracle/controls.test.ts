/**
 * The control rollup (harness/oracle/controls.ts) on synthetic case rows and gates: a control fails
 * when evidence behind it failed a gate, holds when what ran held (a warn included), and is not
 * exercised when nothing behind it proved anything; the framework's other controls are listed as
 * not exercised, saying whether the catalog has no case for them or this run did not run it.
 */
import { describe, expect, test } from 'vitest'
import type { ControlEvidence, Framework } from '../../../harness/contracts/controls.ts'
import type { CaseRow, GateResult } from '../../../harness/contracts/run-json.ts'
import { controlsOf } from '../../../harness/oracle/controls.ts'

const row = (id: string, attempts: number, verdict: CaseRow['verdict'] = 'pass'): CaseRow => ({ id, class: id.split('.')[0], grading: 'must', refs: [], attempts, counts: attempts > 0 ? { [verdict]: attempts } : {}, verdict: attempts > 0 ? verdict : 'not-covered', examples: [] })
const gate = (metric: string, ok: boolean, cases: string[] = [], observed: number | null = ok ? 1 : 0): GateResult => ({ metric, expression: 'rate==1', ok, observed, source: 'default', cases })

const SP: Framework = {
  id: 'nist-800-53',
  name: 'NIST SP 800-53',
  version: 'Rev. 5',
  url: 'https://example.invalid/800-53',
  controls: [
    { id: 'AC-3', title: 'Access Enforcement' },
    { id: 'AC-6', title: 'Least Privilege' },
    { id: 'AU-9', title: 'Protection of Audit Information' },
    { id: 'IA-5', title: 'Authenticator Management' },
    { id: 'SC-8', title: 'Transmission Confidentiality and Integrity' },
    { id: 'SC-23', title: 'Session Authenticity' },
  ],
}

const MAPPING: ControlEvidence[] = [
  { kind: 'case', id: 'escalate.tool-scope', controls: { 'nist-800-53': ['AC-3', 'AC-6'] } },
  { kind: 'case', id: 'escalate.cross-tenant', controls: { 'nist-800-53': ['AC-3'] } },
  { kind: 'case', id: 'replay.dpop-jti-reuse', controls: { 'nist-800-53': ['SC-23'] } },
  { kind: 'case', id: 'lifecycle.expired-at', controls: { 'nist-800-53': ['IA-5'] } },
  { kind: 'gate', id: 'gatecrash_evidence_integrity', controls: { 'nist-800-53': ['AU-9'] } },
]

const byId = (list: ReturnType<typeof controlsOf>[number]['controls']) => Object.fromEntries(list.map((c) => [c.id, c]))

describe('control rollup', () => {
  test('failed, held and not exercised, from the gates the run already decided', () => {
    const cases = [row('escalate.tool-scope', 4), row('escalate.cross-tenant', 2, 'breach'), row('replay.dpop-jti-reuse', 3, 'warn'), row('lifecycle.expired-at', 0)]
    const gates = [gate('gatecrash_breaches', false, ['escalate.cross-tenant']), gate('gatecrash_evidence_integrity', true)]
    const [sp] = controlsOf([SP], MAPPING, cases, gates)
    const c = byId(sp.controls)
    // AC-3: one case held, one behind a failed gate
    expect(c['AC-3'].status).toBe('failed')
    expect(c['AC-3'].evidence).toEqual([
      { kind: 'case', id: 'escalate.tool-scope', result: 'held' },
      { kind: 'case', id: 'escalate.cross-tenant', result: 'failed' },
    ])
    expect(c['AC-6'].status).toBe('held')
    // an ungated warn holds; its entry says warn
    expect(c['SC-23']).toMatchObject({ status: 'held', evidence: [{ id: 'replay.dpop-jti-reuse', result: 'warn' }] })
    // selected but never fired: not exercised
    expect(c['IA-5']).toMatchObject({ status: 'not-exercised', evidence: [{ id: 'lifecycle.expired-at', result: 'not-covered' }] })
    expect(c['AU-9']).toMatchObject({ status: 'held', evidence: [{ kind: 'gate', id: 'gatecrash_evidence_integrity', result: 'held' }] })
    // mapped controls in the framework's order; SC-8 has no case at all
    expect(sp.controls.map((x) => x.id)).toEqual(['AC-3', 'AC-6', 'AU-9', 'IA-5', 'SC-23'])
    expect(sp.not_exercised).toEqual([
      { id: 'IA-5', title: 'Authenticator Management', why: 'not-run' },
      { id: 'SC-8', title: 'Transmission Confidentiality and Integrity', why: 'not-in-catalog' },
    ])
    expect(sp).toMatchObject({ framework: 'nist-800-53', name: 'NIST SP 800-53', version: 'Rev. 5' })
  })

  test('a case the scenario did not select is no evidence; a gate with no sample is not covered', () => {
    const [sp] = controlsOf([SP], MAPPING, [row('escalate.tool-scope', 2)], [gate('gatecrash_evidence_integrity', true, [], null)])
    const c = byId(sp.controls)
    expect(c['AC-3'].evidence.map((e) => e.id)).toEqual(['escalate.tool-scope'])
    expect(c['SC-23']).toMatchObject({ status: 'not-exercised', evidence: [] })
    expect(c['AU-9']).toMatchObject({ status: 'not-exercised', evidence: [{ result: 'not-covered' }] })
  })

  test('a refusal that held but was not recorded fails the audit control through its gate, not the access control', () => {
    const unrecorded: CaseRow = { ...row('escalate.tool-scope', 2), counts: { pass: 1, unrecorded: 1 }, verdict: 'unrecorded' }
    const mapping: ControlEvidence[] = [...MAPPING, { kind: 'gate', id: 'gatecrash_evidence_coverage', controls: { 'nist-800-53': ['AU-9'] } }]
    const [sp] = controlsOf([SP], mapping, [unrecorded], [gate('gatecrash_evidence_coverage', false, ['escalate.tool-scope'])])
    const c = byId(sp.controls)
    expect(c['AC-3']).toMatchObject({ status: 'held', evidence: [{ id: 'escalate.tool-scope', result: 'held' }] })
    expect(c['AU-9']).toMatchObject({ status: 'failed', evidence: [{ kind: 'gate', id: 'gatecrash_evidence_coverage', result: 'failed' }] })
  })

  test('a failed gate fails its control; attempts that all ended in errors prove nothing', () => {
    const errored: CaseRow = { ...row('escalate.tool-scope', 2, 'error') }
    const [sp] = controlsOf([SP], MAPPING, [errored], [gate('gatecrash_evidence_integrity{component:as}', false)])
    const c = byId(sp.controls)
    expect(c['AC-3'].status).toBe('not-exercised')
    expect(c['AU-9']).toMatchObject({ status: 'failed', evidence: [{ kind: 'gate', id: 'gatecrash_evidence_integrity{component:as}', result: 'failed' }] })
  })
})
