/**
 * The run report's "Faults" section: each fault window beside throughput, latency and block rate, its time
 * to recover, and the run's timeline with the windows marked.
 */
import { describe, expect, test } from 'vitest'
import type { FaultResult, RunJson, TimelineBucket } from '../../../harness/contracts/run-json.ts'
import { group, renderFaults, sparkline } from '../../../reports/faults.ts'
import { renderMarkdown } from '../../../reports/markdown.ts'
import { failingRun } from '../reports/run-fixture.ts'

const fault = (over: Partial<FaultResult> = {}): FaultResult => ({
  id: 'f1',
  kind: 'pause',
  component: 'replay-store',
  label: 'pause replay-store 2s–4s',
  detail: 'SIGSTOP replay-store, SIGCONT when the window ends',
  at_s: 2,
  for_s: 2,
  start: '2026-11-26T03:00:02.000Z',
  end: '2026-11-26T03:00:04.000Z',
  healed: true,
  error: null,
  ttr_s: 1,
  recovered: true,
  recover_within_s: 2,
  during: { attempts: 200, rate: 100, p95_ms: 251.5, block_rate: 1, legit_success: 0.2, breaches: 0, unrecorded: 0, gap_covered: 3 },
  ...over,
})

const bucket = (t: number, over: Partial<TimelineBucket> = {}): TimelineBucket => ({
  t_s: t, attempts: 100, legit: 90, attacks: 10, p95_ms: 12, block_rate: 1, legit_success: 1, breaches: 0, errors: 0, faults: [], ...over,
})

function withFaults(run: RunJson, faults: FaultResult[], timeline: TimelineBucket[]): RunJson {
  return { ...run, faults, timeline }
}

describe('the run report: Faults section', () => {
  test('absent without faults', () => {
    const { run } = failingRun()
    expect(renderFaults(run)).toEqual([])
    expect(renderMarkdown(run)).not.toContain('## Faults')
  })

  test('one row per window with throughput, p95, block rate, legit success and time to recover; a timeline', () => {
    const { run } = failingRun()
    const timeline = [bucket(0), bucket(1), bucket(2, { faults: ['f1'], p95_ms: 260, legit_success: 0.1 }), bucket(3, { faults: ['f1'], legit_success: 0.3 }), bucket(4, { legit_success: 0.5 }), bucket(5)]
    const md = renderMarkdown(withFaults(run, [fault()], timeline))
    expect(md).toContain('## Faults')
    expect(md.indexOf('## Gates')).toBeLessThan(md.indexOf('## Faults'))
    expect(md).toContain('| ✅ | `f1` pause replay-store 2s–4s | SIGSTOP replay-store, SIGCONT when the window ends | healed | 200 (100.0/s) | 252 | 100% | 20.00% | 0 | 0 (+3 in gap records) | 1 s (≤ 2 s ✅) |')
    expect(md).toContain('f1 pause        ··██··')
    expect(md).toMatch(/attempts\/s {6}▇▇▇▇▇▇|attempts\/s {6}██████/)
    expect(md).toContain('| 2 | **f1** | 100 | 260 | 100% | 10.00% | 0 | 0 |')
  })

  test('a window whose chaos gate failed is marked, with the gate detail in the gates table', () => {
    const { run } = failingRun()
    const gate = {
      metric: 'gatecrash_breaches{fault:pause replay-store 2s–4s}', expression: 'count==0', ok: false, observed: 2, source: 'default' as const,
      cases: ['replay.dpop-jti-reuse'], window: 'pause replay-store 2s–4s', detail: 'failed open: 2 attack(s) accepted during pause replay-store 2s–4s: trace abc (replay.dpop-jti-reuse: warn)',
    }
    const md = renderMarkdown({ ...withFaults(run, [fault({ during: { ...fault().during, breaches: 2 } })], [bucket(0), bucket(2, { breaches: 2, faults: ['f1'] })]), gates: [...run.gates, gate] })
    expect(md).toContain('| ❌ | `f1` pause replay-store 2s–4s |')
    expect(md).toContain('`gatecrash_breaches{fault:pause replay-store 2s–4s}`')
    expect(md).toContain('`replay.dpop-jti-reuse` — failed open: 2 attack(s) accepted during pause replay-store 2s–4s')
  })

  test('not injected, not reached, not recovered', () => {
    const { run } = failingRun()
    const md = renderFaults(withFaults(run, [
      fault({ id: 'f1', error: 'injection failed: boom', healed: false, ttr_s: null, recovered: null }),
      fault({ id: 'f2', start: null, end: null, healed: false, ttr_s: null, recovered: null }),
      fault({ id: 'f3', ttr_s: null, recovered: false }),
    ], [bucket(0)])).join('\n')
    expect(md).toContain('| ❌ | `f1`')
    expect(md).toContain('injection failed: boom')
    expect(md).toContain('| ➖ | `f2` pause replay-store 2s–4s | SIGSTOP replay-store, SIGCONT when the window ends | not reached |')
    expect(md).toContain('**not recovered**')
  })

  test('sparklines scale to the maximum; long timelines are grouped', () => {
    expect(sparkline([0, 5, 10, null])).toBe('▁▅█ ')
    expect(sparkline([0.5, 1], 1)).toBe('▅█')
    const long = Array.from({ length: 300 }, (_, t) => bucket(t, { p95_ms: t, block_rate: t === 7 ? 0.5 : 1 }))
    const g = group(long, 3)
    expect(g).toHaveLength(100)
    expect(g[0]).toMatchObject({ t_s: 0, attempts: 300, p95_ms: 2 })
    expect(g[2]).toMatchObject({ t_s: 6, block_rate: 0.5 })
  })
})
