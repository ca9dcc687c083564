import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.ts'

// The fast self-test (each flaw swept with the cases expected to catch it); the full catalog ×
// every flaw runs as `npm run selftest` in the nightly tier.
describe('gatecrash selftest --fast (mutation testing of the reference target)', () => {
  it('every flaw is detected by a case it names, and the correct target shows nothing', async () => {
    const r = await runCli(['selftest', '--fast', '--json'], { timeoutMs: 280_000 })
    expect(r.code, r.stderr.slice(-3000)).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.falseAlarms).toEqual([])
    expect(report.flaws.length).toBeGreaterThanOrEqual(20)
    const undetected = report.flaws.filter((f: any) => !f.detected).map((f: any) => f.flaw)
    expect(undetected).toEqual([])
    for (const f of report.flaws) {
      expect(f.gatesFailed, f.flaw).toBe(true)
      expect(f.detectedBy.length, f.flaw).toBeGreaterThan(0)
    }
  }, 300_000)
})
