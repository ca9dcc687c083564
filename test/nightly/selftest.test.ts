import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.ts'

// Issue acceptance: the full self-test reports ≥ 40 case ids and ≥ 20 flaws, every flaw detected by
// its expected cases, nothing flagged on the correct target, in under 10 minutes.
describe('npm run selftest (full)', () => {
  it('≥ 40 case ids × ≥ 20 flaws, every flaw detected, no false alarm, < 10 min', async () => {
    const started = Date.now()
    const r = await runCli(['selftest', '--json'], { timeoutMs: 660_000 })
    expect(r.code, r.stderr.slice(-3000)).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.caseIds.length).toBeGreaterThanOrEqual(40)
    expect(report.flaws.length).toBeGreaterThanOrEqual(20)
    expect(report.falseAlarms).toEqual([])
    expect(report.flaws.filter((f: any) => !f.detected).map((f: any) => f.flaw)).toEqual([])
    expect(Date.now() - started).toBeLessThan(600_000)
  }, 700_000)
})
