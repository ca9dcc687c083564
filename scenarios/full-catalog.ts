import { defineScenario } from 'gatecrash'

// Every case of the catalog, inside delegated load: what a team runs against its own deployment
// once the sandbox validation passes. Cases the target cannot serve are listed as not covered (and
// why) in the run report's Coverage section, never counted as passes. A third of the iterations attack.
export default defineScenario({
  name: 'full-catalog',
  description: 'Every attack case of the catalog mixed into delegated agent traffic',
  seed: 20261206,
  population: { tenants: 6, agents: 120, subAgentsPerAgent: 2, depth: 2 },
  scenarios: {
    workload: { executor: 'constant-arrival-rate', rate: 100, timeUnit: '1s', duration: '45s', preAllocatedVUs: 64, maxVUs: 256 },
  },
  attacks: { share: 0.35, cases: ['replay.*', 'escalate.*', 'unattributed.*', 'lifecycle.*'] },
  thresholds: {
    http_req_duration: ['p(95)<1000'],
    'gatecrash_warns{case:replay.dpop-jti-reuse}': ['count==0'],
  },
  evidence: { settle: '3s' },
})
