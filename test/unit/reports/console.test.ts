import { describe, expect, test } from 'vitest'
import { renderConsoleSummary } from '../../../reports/console.ts'
import { failingRun } from './run-fixture.ts'

describe('console summary', () => {
  const { run } = failingRun()

  test('compact: verdict, attempts, rates, p95 and each failed gate with its cases', () => {
    const lines = renderConsoleSummary(run)
    expect(lines[0]).toBe('gatecrash NOT READY  run r-20261126-0300-abcd  sandbox-validation → reference 0.1.0')
    expect(lines[1]).toBe('  attempts 6 (legit 2, attacks 4) in 10.0 s')
    expect(lines[2]).toBe('  block rate 75.00%  evidence coverage 83.33%  attribution 100%  legit success 100%')
    expect(lines[3]).toMatch(/^ {2}p95 http_req_duration \d+(\.\d+)? ms {2}deny path \d+(\.\d+)? ms$/)
    expect(lines).toContain('  ✗ gatecrash_evidence_coverage rate==1  observed 0.8333  cases: escalate.tool-scope')
    expect(lines).toContain('  ✗ gatecrash_warns{case:replay.dpop-jti-reuse} count==0  observed 1  cases: replay.dpop-jti-reuse')
    // the unrecorded escalate.tool-scope attempt cannot be rebuilt from the trail either
    expect(lines).toContain('  ✗ gatecrash_reconstruction rate==1  observed 0.6667  cases: escalate.tool-scope')
    expect(lines.at(-1)).toBe(`  3 of ${run.gates.length} gates failed`)
  })

  test('the attack families at a glance: how many held, and which failed', () => {
    expect(renderConsoleSummary(run)).toContain('  2 of 4 attack families held; failed: escalate.tool-scope, replay.dpop-jti-reuse')
  })

  test('no ANSI colours unless asked', () => {
    expect(renderConsoleSummary(run).join('\n')).not.toContain('\u001b[')
    expect(renderConsoleSummary(run, { color: true })[0]).toContain('\u001b[31mNOT READY\u001b[0m')
  })

  test('a run that holds every gate', () => {
    const ok = { ...run, verdict: 'ready' as const, gates: run.gates.map((g) => ({ ...g, ok: true, cases: [] })) }
    const lines = renderConsoleSummary(ok)
    expect(lines[0]).toContain('READY')
    expect(lines.at(-1)).toBe(`  ✓ all ${run.gates.length} gates hold`)
  })
})
