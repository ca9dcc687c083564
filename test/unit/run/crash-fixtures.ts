/** A minimal context.json, as `gatecrash run` writes it before measuring, for re-grading tests. */
import type { RunContext } from '../../../harness/run/finalize.ts'

export function contextFor(dir: string, over: Partial<RunContext> = {}): RunContext {
  return {
    runId: 'r-test',
    dir,
    scenarioFile: 'scenarios/test.ts',
    scenarioName: 'test',
    config: { population: { tenants: 1, agents: 1 }, scenarios: {}, attacks: { cases: ['escalate.tool-scope'] }, evidence: { settle: '1s' } } as unknown as RunContext['config'],
    seed: 1,
    startedAt: '2026-11-26T03:00:00.000Z',
    target: { name: 'reference', version: '0.1.0', flaws: [], issuer: 'http://127.0.0.1:1' },
    population: { tenants: 1, principals: 1, agents: 1, sub_agents: 0, max_depth: 1 },
    scenarios: [],
    delegationSamples: [],
    chainStart: {},
    evidenceCursor: null,
    ...over,
  }
}
