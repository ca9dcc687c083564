import { defineScenario } from 'gatecrash'

// The nightly CI load job: 10,000 agents and their sub-agents down to depth 3 (principal → agent →
// sub-agent → sub-sub-agent), every hop a narrowing token exchange, provisioned in the warm-up phase.
export default defineScenario({
  name: 'nightly-scale',
  description: 'Nightly scale run: 10k agents, >30k sub-agents, delegation depth 3, attacks mixed into the load',
  seed: 20261127,
  population: { tenants: 50, agents: 10_000, subAgentsPerAgent: 2, depth: 3 },
  scenarios: {
    workload: { executor: 'constant-arrival-rate', rate: 300, timeUnit: '1s', duration: '120s', preAllocatedVUs: 128, maxVUs: 512 },
  },
  attacks: { share: 0.1, cases: ['replay.*', 'escalate.tool-scope', 'escalate.cross-tenant', 'unattributed.no-credential'] },
  thresholds: {
    http_req_duration: ['p(95)<500'],
    gatecrash_breaches: ['count==0'],
    'gatecrash_warns{case:replay.dpop-jti-reuse}': ['count==0'],
  },
  evidence: { settle: '5s' },
})
