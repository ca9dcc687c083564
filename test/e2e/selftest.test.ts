import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.ts'

// The fast self-test (each flaw swept with the cases expected to catch it); the full catalog ×
// every flaw runs as `npm run selftest` in the nightly tier.
describe('gatecrash selftest --fast (mutation testing of the reference target)', () => {
  it('every flaw is detected by a case it names, and the correct target shows nothing', async () => {
    const r = await runCli(['selftest', '--fast', '--json'], { timeoutMs: 280_000 })
    // on a failure, say which flaw went undetected or what alarmed on the correct target
    expect(r.code, `${r.stderr.slice(-3000)}\n${summary(r.stdout)}`).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.falseAlarms).toEqual([])
    expect(report.flaws.length).toBeGreaterThanOrEqual(20)
    const undetected = report.flaws.filter((f: any) => !f.detected).map((f: any) => f.flaw)
    expect(undetected).toEqual([])
    for (const f of report.flaws) {
      expect(f.gatesFailed, f.flaw).toBe(true)
      // a flaw only a gate can see (caughtByGate) changes no case's verdict: its gate caught it
      if (f.caughtByGate !== undefined) expect(f.detectedByGate, f.flaw).toBe(true)
      else expect(f.detectedBy.length, f.flaw).toBeGreaterThan(0)
    }
  }, 300_000)

  it('--correct-only: the whole catalog against the correct target alone, every case passing', async () => {
    const r = await runCli(['selftest', '--fast', '--correct-only', '--json'], { timeoutMs: 200_000 })
    expect(r.code, r.stderr.slice(-3000)).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.flaws).toEqual([])
    expect(report.falseAlarms).toEqual([])
    expect(report.caseIds.length).toBeGreaterThanOrEqual(60)
    expect(report.variants).toEqual([])
    expect(report.correct).toMatchObject({ flaw: null, verdict: 'ready' })
    expect(Object.values(report.correct.cases).every((v) => v === 'pass')).toBe(true)
  }, 220_000)

  it.each([
    ['a name the reference target does not have', 'no-such-flaw', /no such flaw/],
    ['a flaw only its chaos scenario catches', 'jwks-fail-open', /scenarios\/chaos-jwks\.ts/],
  ])('--flaw with %s: exit 104 naming it, nothing swept', async (_, flaw, why) => {
    const r = await runCli(['selftest', '--fast', '--flaw', flaw], { timeoutMs: 60_000 })
    expect(r.code).toBe(104)
    expect(r.stderr).toMatch(/ERR_FLAW_UNKNOWN/)
    expect(r.stderr).toMatch(why)
    // the hint says what may be named
    expect(r.stderr).toMatch(/hint: .*(replay-cache-off|--flaw jwks-fail-open)/)
    expect(r.stderr).not.toMatch(/swept|\n\s+at /)
  }, 80_000)
})

function summary(stdout: string): string {
  try {
    const report = JSON.parse(stdout) as { falseAlarms: string[]; flaws: { flaw: string; detected: boolean; gatesFailed: boolean }[] }
    const undetected = report.flaws.filter((f) => !f.detected).map((f) => `${f.flaw} (gates failed: ${f.gatesFailed})`)
    return `false alarms: ${JSON.stringify(report.falseAlarms)}; undetected: ${JSON.stringify(undetected)}`
  } catch {
    return `stdout: ${stdout.slice(-2000)}`
  }
}
