import { defineScenario, Fault } from 'gatecrash'

// The shared replay store goes down (blackhole: connections hang) and later turns slow (latency
// beyond what a resource server waits for) while proofs are replayed. A proof that cannot be checked
// for reuse must be refused (503, recorded), never served. Catches `replay-store-fail-open` through
// the jti-reuse rule, raised to a gate as most boards do.
export default defineScenario({
  name: 'chaos-replay-store',
  description: 'Replay store down, then slow, during DPoP replay attacks: proofs that cannot be checked are refused',
  seed: 20261206,
  population: { tenants: 8, agents: 120, subAgentsPerAgent: 1, depth: 2 },
  scenarios: {
    workload: { executor: 'constant-arrival-rate', rate: 60, timeUnit: '1s', duration: '30s', preAllocatedVUs: 48, maxVUs: 192 },
  },
  attacks: { share: 0.25, cases: ['replay.dpop-jti-reuse', 'escalate.tool-scope', 'unattributed.no-credential'] },
  faults: [
    Fault.blackhole({ component: 'replay-store', at: '5s', for: '8s', recoverWithin: '3s' }),
    Fault.latency({ component: 'replay-store', ms: 600, at: '18s', for: '6s', recoverWithin: '3s' }),
  ],
  thresholds: {
    'gatecrash_warns{case:replay.dpop-jti-reuse,fault:no}': ['count==0'],
  },
  evidence: { settle: '3s' },
})
