/**
 * Issue 14 "Failure is loud": an evidence source that cannot be read, or a mapping under which the
 * warm-up's calls (past their settle window) yield no joined record, stops the run before the
 * measured phase with ERR_EVIDENCE_UNAVAILABLE or ERR_EVIDENCE_MAPPING and a hint, instead of
 * grading every attempt `unrecorded` after a minute of load; the target check reports the same code.
 * The run directory is still written (verdict incomplete), and the deployment received no attack.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { closedPort } from '../helpers/closed-port.ts'
import { runCli, scratchDir, writeScenario } from '../helpers/cli.ts'
import { FAKE_IAT, FAKE_IAT_ENV, startFakeDeployment, type FakeDeploymentOptions } from '../helpers/fake-deployment.ts'
import { cleanupsPerTest } from '../helpers/listen.ts'

const cleanups = cleanupsPerTest()
const TOOLS = [{ name: 'orders.read', method: 'GET', path: '/t/{tenant}/orders/{id}', scope: 'orders:read' }]
const env = { [FAKE_IAT_ENV]: FAKE_IAT }
const SCENARIO = `import { defineScenario } from 'gatecrash'
export default defineScenario({
  name: 'evidence-reach',
  seed: 3,
  population: { tenants: 1, agents: 2, subAgentsPerAgent: 1, depth: 2 },
  scenarios: { workload: { executor: 'constant-arrival-rate', rate: 10, timeUnit: '1s', duration: '5s', preAllocatedVUs: 4 } },
  attacks: { share: 0.5, cases: ['unattributed.no-credential'] },
  evidence: { settle: '1s' },
})
`

async function run(opts: Omit<FakeDeploymentOptions, 'tools'>) {
  const deployment = await startFakeDeployment({ tools: TOOLS, ...opts }, cleanups)
  const dir = await scratchDir()
  const scenario = await writeScenario(dir, 'reach.ts', SCENARIO)
  const out = path.join(dir, 'runs')
  const r = await runCli(['run', scenario, '--target', deployment.profile, '--out', out], { env, timeoutMs: 90_000, outDir: out })
  return { r, received: deployment.received }
}

/** The run stopped before measuring: only the warm-up's reads (each with a credential) reached the deployment. */
function onlyWarmUp(received: { method: string; path: string }[]): void {
  expect(received.length).toBeGreaterThan(0)
  expect(received.every((q) => q.method === 'GET' && /^\/t\/t_1\/orders\/warm_/.test(q.path)), received.map((q) => q.path).slice(0, 5).join(', ')).toBe(true)
}

describe('evidence that cannot be read or joined stops the run before the measured phase', () => {
  it('ERR_EVIDENCE_MAPPING: records arrive but none carries a warm-up call\'s trace id (the deployment writes it under a key the mapping does not read)', async () => {
    const { r, received } = await run({ traceKey: 'trace_id' })
    expect(r.code, r.stderr.slice(-2000)).toBe(104)
    expect(r.stderr).toMatch(/ERR_EVIDENCE_MAPPING/)
    expect(r.stderr).toMatch(/warm-up: \d+ records arrived, but none carries the trace id or the token hash of the \d+ calls answered/)
    expect(r.stderr).toMatch(/hint: map correlation\.trace_id from the W3C traceparent trace id/)
    onlyWarmUp(received)
    expect(r.runJson?.verdict).toBe('incomplete')
    expect(r.runJson.stopped).toMatch(/^failed: warm-up: \d+ records arrived, but none carries the trace id/)
  })

  it('ERR_EVIDENCE_MAPPING: the deployment writes where the source does not read, so no record arrives at all', async () => {
    const { r, received } = await run({ auditElsewhere: true })
    expect(r.code, r.stderr.slice(-2000)).toBe(104)
    expect(r.stderr).toMatch(/ERR_EVIDENCE_MAPPING/)
    expect(r.stderr).toMatch(/none of \d+ calls answered [\d.]+ s ago left a record the jsonl evidence source delivered: it delivered no record at all/)
    expect(r.stderr).toMatch(/hint: the deployment must write its decisions where the profile's evidence source reads/)
    onlyWarmUp(received)
    expect(r.runJson?.verdict).toBe('incomplete')
  })

  it('ERR_EVIDENCE_UNAVAILABLE: an evidence source that refuses connections stops the run at set-up, before any tool call', async () => {
    const port = await closedPort()
    const { r, received } = await run({ evidence: { kind: 'http-cursor', url: `http://127.0.0.1:${port}` } })
    const json = JSON.parse(await readFile(path.join(r.runDir!, 'run.json'), 'utf8'))
    expect(r.code, r.stderr.slice(-2000)).not.toBe(0)
    expect(r.stderr).toMatch(/ERR_EVIDENCE_UNAVAILABLE/)
    expect(r.stderr).toContain(`127.0.0.1:${port}`)
    expect(received).toEqual([])
    expect(json.verdict).toBe('incomplete')
  })

  it('target check reports the same code and hint for the same mapping (exit 120)', async () => {
    const deployment = await startFakeDeployment({ tools: TOOLS, traceKey: 'trace_id' }, cleanups)
    const r = await runCli(['target', 'check', deployment.profile, '--json'], { env, timeoutMs: 60_000 })
    expect(r.code, r.stderr.slice(-2000)).toBe(120)
    const evidence = JSON.parse(r.stdout).checks.find((c: { name: string }) => c.name.startsWith('evidence'))
    expect(evidence).toMatchObject({ ok: false, code: 'ERR_EVIDENCE_MAPPING', detail: expect.stringMatching(/^target check: \d+ records arrived, but none carries the trace id/), hint: expect.stringMatching(/^map correlation\.trace_id/) })
  })
})
