import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runCli, scratchDir, shortScenario, writeScenario } from '../helpers/cli.ts'

// k6's abortOnFail: a threshold that fails while the run goes stops it (exit 99), and the final
// gates still judge the whole graded run. The latency from the open model's scheduled start to the
// response is tens of milliseconds against the reference target on loopback (DPoP signing, token
// checks, the evidence write), so p(95)<1 cannot hold: the run must stop at the first evaluation.
const LONG = "duration: '60s'"
const FULL_ITERATIONS = 60 * 60

/** The short scenario for 60 s, with one more threshold beside its own. */
function withThreshold(threshold: string): string {
  const body = shortScenario().replace("duration: '4s'", LONG).replace('thresholds: {', `thresholds: {\n    ${threshold},`)
  if (!body.includes(threshold) || !body.includes(LONG)) throw new Error('shortScenario() changed shape')
  return body
}

let dir: string
beforeAll(async () => {
  dir = await scratchDir()
})

describe('k6 abortOnFail: a threshold crossing stops the run', () => {
  it.each([
    ['one thread', []],
    ['workers: 2 (attempts reach the main thread through onAttempt)', ['--workers', '2']],
  ])('%s: stops within seconds, exit 99, verdict not-ready, run.json says which threshold', async (label, flags) => {
    const scenario = await writeScenario(dir, `abort-${flags.length}.ts`, withThreshold("http_req_duration: [{ threshold: 'p(95)<1', abortOnFail: true }]"))
    const out = path.join(dir, `abort-${flags.length}`)
    const started = Date.now()
    const r = await runCli(['run', scenario, ...flags, '--out', out], { outDir: out })
    const elapsed = Date.now() - started
    expect(r.code, r.stderr).toBe(99)
    expect(r.stderr).toMatch(/threshold http_req_duration p\(95\)<1 crossed \(observed [\d.]+\)/)
    expect(r.runJson.verdict, label).toBe('not-ready')
    expect(r.runJson.stopped).toMatch(/^aborted by threshold http_req_duration p\(95\)<1 \(abortOnFail\): observed [\d.]+ after \d+\.\d s$/)
    const gate = r.runJson.gates.find((g: any) => g.metric === 'http_req_duration' && g.expression === 'p(95)<1')
    expect(gate.ok).toBe(false)
    expect(gate.observed).toBeGreaterThan(1)
    // Stopped at the first evaluations (2 s each), not after the 60 s the scenario asks for.
    const iterations = r.runJson.load.scenarios.reduce((n: number, s: any) => n + s.iterations, 0)
    expect(iterations).toBeGreaterThan(0)
    expect(iterations).toBeLessThan(FULL_ITERATIONS / 4)
    expect(r.runJson.load.duration_s).toBeLessThan(15)
    expect(elapsed).toBeLessThan(50_000)
  })

  it("a user's Ctrl-C beside a live threshold stays exit 105, verdict incomplete", async () => {
    const scenario = await writeScenario(dir, 'ctrl-c.ts', withThreshold("http_req_duration: [{ threshold: 'p(95)<60000', abortOnFail: true }]"))
    const out = path.join(dir, 'ctrl-c')
    const r = await runCli(['run', scenario, '--out', out], { outDir: out, interruptWhen: /measuring:/ })
    expect(r.code, r.stderr).toBe(105)
    expect(r.runJson.verdict).toBe('incomplete')
    expect(r.runJson.stopped).toBe('stopped by the user')
  })
})

describe('abortOnFail on a metric that needs evidence is refused before anything starts', () => {
  it('gatecrash_evidence_coverage: exit 104 naming the file, the key and the metrics abortOnFail works on', async () => {
    const scenario = await writeScenario(dir, 'coverage.ts', withThreshold("gatecrash_evidence_coverage: [{ threshold: 'rate==1', abortOnFail: true }]"))
    const out = path.join(dir, 'coverage')
    const r = await runCli(['run', scenario, '--out', out], { outDir: out })
    expect(r.code, r.stderr).toBe(104)
    expect(r.stderr).toContain('ERR_SCENARIO_INVALID')
    expect(r.stderr).toContain('coverage.ts')
    expect(r.stderr).toContain("thresholds['gatecrash_evidence_coverage']")
    expect(r.stderr).toMatch(/abortOnFail works on http_req_duration, .*gatecrash_breaches/)
    expect(r.stderr).not.toContain('measuring:')
    expect(r.runDir).toBeNull()
  })
})
