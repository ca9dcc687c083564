/** The comparison as the console, `gatecrash diff` and the report show it (reports/comparison.ts). */
import { describe, expect, test } from 'vitest'
import { renderConsoleSummary } from '../../../reports/console.ts'
import { renderMarkdown } from '../../../reports/markdown.ts'
import { comparedRun, failingRun } from './run-fixture.ts'

const compared = comparedRun

describe('comparison in the reports', () => {
  test('console: the comparison is the summary\'s last lines, regressions first with baseline → now', () => {
    const lines = renderConsoleSummary(compared())
    const at = lines.findIndex((l) => l.includes('REGRESSED against r-baseline'))
    expect(at).toBeGreaterThan(0)
    expect(lines.slice(at)).toEqual([
      '  REGRESSED against r-baseline: 2 hard, 1 soft (reported only; --strict counts them), 0 improved',
      '    ✗ case replay.dpop-jti-reuse: pass → warn (1 of 1 attempts warn)',
      '    ✗ gate gatecrash_warns{case:replay.dpop-jti-reuse} count==0: held → failed (observed 0 → 1; cases: replay.dpop-jti-reuse)',
      '    ~ latency http_req_duration p95: 20.0 → 600 ms (+2900 %; tolerance +100 % and +350 ms)',
      '    note: the baseline itself is not-ready: what held there is compared, not its verdict',
      '    note: not compared (no samples in one of the runs): evidence lag p95',
    ])
  })

  test('console under --strict: the soft change is marked as failing too', () => {
    expect(renderConsoleSummary(compared(true))).toContain('    ✗ latency http_req_duration p95: 20.0 → 600 ms (+2900 %; tolerance +100 % and +350 ms)')
  })

  test('report: "Compared with <baseline run id>" after the gates, with regressions, soft changes and the tolerance', () => {
    const md = renderMarkdown(compared())
    expect(md.indexOf('## Compared with r-baseline')).toBeGreaterThan(md.indexOf('## Gates'))
    expect(md.indexOf('## Compared with r-baseline')).toBeLessThan(md.indexOf('## Attack cases'))
    expect(md).toContain('**Regressed:** 2 hard regressions.')
    expect(md).toContain('| case | `replay.dpop-jti-reuse` | pass | warn | pass → warn (1 of 1 attempts warn) |')
    expect(md).toContain('| latency | `http_req_duration p95` | 20 ms | 600 ms | 20.0 → 600 ms (+2900 %; tolerance +100 % and +350 ms) |')
    expect(md).toContain('Latency within +100 % and +350 ms, evidence lag within +50 % and +1000 ms, is run-to-run noise.')
  })

  test('no baseline, no section and no comparison lines', () => {
    const { run } = failingRun()
    expect(renderMarkdown(run)).not.toContain('## Compared with')
    expect(renderConsoleSummary(run).join('\n')).not.toContain('against')
  })
})
