import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, scratchDir } from '../helpers/cli.ts'

// The main job at full size (what `npm start` runs): the acceptance figures, on the correct
// reference target and on each flaw. Nightly tier: about 80 s per run.
const SCENARIO = 'scenarios/sandbox-validation.ts'

describe('sandbox-validation at full size', () => {
  it('correct reference target: ready with ≥ 500 agents, ≥ 1,000 sub-agents, ≥ 10,000 attempts, every attack blocked and recorded', async () => {
    const out = path.join(await scratchDir(), 'full')
    const started = Date.now()
    const r = await runCli(['run', SCENARIO, '--out', out], { outDir: out, timeoutMs: 300_000 })
    expect(r.code, r.stderr.slice(-2000)).toBe(0)
    expect(Date.now() - started).toBeLessThan(180_000)
    const run = r.runJson
    expect(run.verdict).toBe('ready')
    expect(run.population.agents).toBeGreaterThanOrEqual(500)
    expect(run.population.sub_agents).toBeGreaterThanOrEqual(1000)
    expect(run.load.attempts).toBeGreaterThanOrEqual(10_000)
    for (const row of run.cases) {
      expect(row.attempts, row.id).toBeGreaterThan(0)
      expect(row.counts.pass, row.id).toBe(row.attempts)
    }
  }, 320_000)

  it('the same with --workers 2: ready, the arrival rate held across both workers, nothing dropped', async () => {
    const out = path.join(await scratchDir(), 'workers')
    const r = await runCli(['run', SCENARIO, '--workers', '2', '--out', out], { outDir: out, timeoutMs: 300_000 })
    expect(r.code, r.stderr.slice(-2000)).toBe(0)
    expect(r.runJson.verdict).toBe('ready')
    const [workload] = r.runJson.load.scenarios
    expect(workload.dropped_iterations).toBe(0)
    expect(workload.achieved_rate / workload.target_rate).toBeGreaterThan(0.99)
    expect(r.runJson.load.attempts).toBeGreaterThanOrEqual(10_000)
  }, 320_000)

  for (const [flaw, gate, caseId] of [
    ['replay-cache-off', 'gatecrash_warns{case:replay.dpop-jti-reuse}', 'replay.dpop-jti-reuse'],
    ['evidence-drops-denies', 'gatecrash_evidence_coverage', 'escalate.tool-scope'],
  ] as const) {
    it(`flaw ${flaw}: exit 99 naming ${gate} and ${caseId}`, async () => {
      const out = path.join(await scratchDir(), flaw)
      const r = await runCli(['run', SCENARIO, '--flaw', flaw, '--out', out], { outDir: out, timeoutMs: 300_000 })
      expect(r.code, r.stderr.slice(-2000)).toBe(99)
      const failed = r.runJson.gates.filter((g: any) => !g.ok)
      expect(failed.map((g: any) => g.metric)).toContain(gate)
      expect(failed.flatMap((g: any) => g.cases)).toContain(caseId)
      expect(r.stdout).toContain(gate)
      expect(r.stdout).toContain(caseId)
    }, 320_000)
  }
})
