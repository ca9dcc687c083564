import { defineScenario, Fault } from 'gatecrash'

// The main job: a minute of agent and sub-agent traffic against the target with one attack in ten,
// sweeping the whole catalog (each case the target can serve fired about 20 times, spread over the
// minute; the ones it cannot serve listed as not covered, with why), graded by the default
// security gates plus the jti-replay rule most approval boards raise to a gate.
// One short fault window (the replay store slowed for 5 s, within what the resource servers wait
// for) shows the chaos gates on the timeline: a correct target rides through it.
export default defineScenario({
  name: 'sandbox-validation',
  description: 'Pre-release sandbox validation: delegated agent traffic with replay, escalation and unattributed calls mixed in',
  seed: 20261126,
  population: { tenants: 20, agents: 500, subAgentsPerAgent: 3, depth: 2 },
  scenarios: {
    workload: { executor: 'constant-arrival-rate', rate: 200, timeUnit: '1s', duration: '60s', preAllocatedVUs: 64, maxVUs: 256 },
  },
  attacks: { share: 0.1, cases: 'all' },
  faults: [Fault.latency({ component: 'replay-store', ms: 100, at: '20s', for: '5s' })],
  thresholds: {
    http_req_duration: ['p(95)<1000'],
    gatecrash_breaches: ['count==0'],
    gatecrash_evidence_coverage: ['rate==1'],
    'gatecrash_warns{case:replay.dpop-jti-reuse}': ['count==0'],
  },
  evidence: { settle: '3s' },
})
