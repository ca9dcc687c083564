/**
 * The self-test's detection rule per flaw (harness/selftest/selftest.ts flawRow): a case it names
 * turns from pass into a failing verdict and the gates fail; or, for a flaw only a gate can see
 * (FlawInfo.caughtByGate), that gate fails in the flaw's variant and holds on the correct target.
 */
import { describe, expect, it } from 'vitest'
import type { FlawInfo } from '../../../harness/contracts/target.ts'
import { flawRow, type VariantResult } from '../../../harness/selftest/selftest.ts'

const CASES = { 'escalate.tool-scope': 'pass', 'unattributed.no-credential': 'pass' } as const
const variant = (flaw: string | null, failedGates: string[], cases: VariantResult['cases'] = { ...CASES }): VariantResult => ({
  flaw, verdict: failedGates.length > 0 ? 'not-ready' : 'ready', cases, legit: { pass: 10 }, failedGates, ms: 1,
})
const correct = variant(null, [])
const caseFlaw: FlawInfo = { name: 'scope-unchecked', control: 'c', caughtBy: ['escalate.tool-scope'] }
const gateFlaw: FlawInfo = { name: 'evidence-tail-truncated', control: 'c', caughtBy: ['escalate.tool-scope', 'unattributed.no-credential'], caughtByGate: 'gatecrash_evidence_integrity' }
const INTEGRITY = 'gatecrash_evidence_integrity rate==1'

describe('flawRow', () => {
  it('a case flaw: detected when its case turns into a failing verdict and the gates fail', () => {
    const v = variant('scope-unchecked', ['gatecrash_breaches count==0'], { ...CASES, 'escalate.tool-scope': 'breach' })
    expect(flawRow(caseFlaw, v, correct)).toEqual({
      flaw: 'scope-unchecked', control: 'c', caughtBy: ['escalate.tool-scope'], detectedBy: ['escalate.tool-scope'], alsoChanged: [],
      gatesFailed: true, detectedByGate: false, detected: true,
    })
    expect(flawRow(caseFlaw, variant('scope-unchecked', []), correct).detected).toBe(false)
  })

  it('a gate flaw: every case still passes, yet it is detected when its gate fails in its variant', () => {
    const row = flawRow(gateFlaw, variant('evidence-tail-truncated', [INTEGRITY]), correct)
    expect(row).toMatchObject({ detectedBy: [], gatesFailed: true, caughtByGate: 'gatecrash_evidence_integrity', detectedByGate: true, detected: true })
  })

  it('a gate flaw is not detected when its gate holds, when only another gate fails, or when the correct target fails that gate too', () => {
    expect(flawRow(gateFlaw, variant('evidence-tail-truncated', []), correct).detected).toBe(false)
    expect(flawRow(gateFlaw, variant('evidence-tail-truncated', ['gatecrash_evidence_coverage rate==1']), correct)).toMatchObject({ detectedByGate: false, detected: false })
    // a gate metric that merely starts with the same name is another gate
    expect(flawRow(gateFlaw, variant('evidence-tail-truncated', ['gatecrash_evidence_integrity_x rate==1']), correct).detected).toBe(false)
    const alarmed = variant(null, [INTEGRITY])
    expect(flawRow(gateFlaw, variant('evidence-tail-truncated', [INTEGRITY]), alarmed)).toMatchObject({ detectedByGate: false, detected: false })
  })
})
