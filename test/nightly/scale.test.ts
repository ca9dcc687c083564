import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, scratchDir } from '../helpers/cli.ts'

// Issue acceptance: the 10,000-agent / 30,000-sub-agent run finishes with verdict ready against the
// reference target.
describe('nightly scale run', () => {
  it('10,000 agents and ≥ 30,000 sub-agents (depth 3): verdict ready', async () => {
    const out = path.join(await scratchDir(), 'scale')
    const r = await runCli(['run', 'scenarios/nightly-scale.ts', '--out', out], { outDir: out, timeoutMs: 1_500_000 })
    expect(r.code, r.stderr.slice(-3000)).toBe(0)
    expect(r.runJson.verdict).toBe('ready')
    expect(r.runJson.population.agents).toBe(10_000)
    expect(r.runJson.population.sub_agents).toBeGreaterThanOrEqual(30_000)
    expect(r.runJson.population.max_depth).toBe(3)
  }, 1_600_000)
})
