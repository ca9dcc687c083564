import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, scratchDir } from '../helpers/cli.ts'
import type { RunJson } from '../../harness/contracts/run-json.ts'

// Issue acceptance: the 10,000-agent / 30,000-sub-agent run finishes with verdict ready against the
// reference target.
describe('nightly scale run', () => {
  it('10,000 agents and ≥ 30,000 sub-agents (depth 3): verdict ready, every issued token passes every check', async () => {
    const out = path.join(await scratchDir(), 'scale')
    const r = await runCli(['run', 'scenarios/nightly-scale.ts', '--out', out], { outDir: out, timeoutMs: 1_500_000 })
    expect(r.code, r.stderr.slice(-3000)).toBe(0)
    expect(r.runJson.verdict).toBe('ready')
    expect(r.runJson.population.agents).toBe(10_000)
    expect(r.runJson.population.sub_agents).toBeGreaterThanOrEqual(30_000)
    expect(r.runJson.population.max_depth).toBe(3)
    // issue 13: every token the run received passed every issued-token check, and every identity's token was judged
    const identities = r.runJson.population.agents + r.runJson.population.sub_agents
    for (const id of ['issued.cnf-jkt', 'issued.aud', 'issued.act-chain', 'issued.scope', 'issued.lifetime']) {
      const row = (r.runJson as RunJson).cases.find((c) => c.id === id)
      expect(row, id).toMatchObject({ verdict: 'pass' })
      expect(row!.counts.pass, id).toBe(row!.attempts)
      expect(row!.attempts, id).toBeGreaterThanOrEqual(identities)
    }
  }, 1_600_000)
})
