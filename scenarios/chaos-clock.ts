import { defineScenario, Fault } from 'gatecrash'

// Agent clock skew: for a while a quarter of the agents sign proofs and client assertions five
// minutes ahead (beyond the ±60 s iat window: their legitimate calls are refused, which is right),
// later a quarter run 30 s behind (within the window: they must keep working). Attacks stay
// blocked throughout. Catches `dpop-iat-unchecked`.
export default defineScenario({
  name: 'chaos-clock',
  description: 'Agent clocks off by 5 min (refused, fail closed) and by 30 s (tolerated) while iat attacks stay blocked',
  seed: 20261203,
  population: { tenants: 8, agents: 120, subAgentsPerAgent: 1, depth: 2 },
  scenarios: {
    workload: { executor: 'constant-arrival-rate', rate: 60, timeUnit: '1s', duration: '35s', preAllocatedVUs: 48, maxVUs: 192 },
  },
  attacks: { share: 0.15, cases: ['replay.dpop-iat-window.past-1h', 'replay.dpop-iat-window.future-1h', 'escalate.tool-scope', 'replay.dpop-jti-reuse'] },
  faults: [
    Fault.clockSkew({ skewS: 300, share: 0.25, at: '5s', for: '10s' }),
    // within the target's tolerance: these agents must keep working (the report shows the window's legit success)
    Fault.clockSkew({ skewS: -30, share: 0.25, at: '20s', for: '8s' }),
  ],
  thresholds: {
    'gatecrash_warns{case:replay.dpop-jti-reuse,fault:no}': ['count==0'],
  },
  evidence: { settle: '3s' },
})
