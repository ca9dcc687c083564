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
