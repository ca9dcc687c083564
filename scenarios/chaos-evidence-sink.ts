import { defineScenario, Fault } from 'gatecrash'

// The evidence sink is unreachable for a while (connections reset), later slow. Writers must hold
// their records and deliver them once it answers again, in order and with their hash chains
// intact, or record the gap: every attempt made during the outage must end up in evidence.
// Catches `evidence-drop-when-sink-down` through evidence completeness.
export default defineScenario({
  name: 'chaos-evidence-sink',
  description: 'Evidence sink down, then slow: every attempt made meanwhile is still recorded (or the gap is)',
  seed: 20261207,
  population: { tenants: 8, agents: 120, subAgentsPerAgent: 1, depth: 2 },
  scenarios: {
    workload: { executor: 'constant-arrival-rate', rate: 60, timeUnit: '1s', duration: '30s', preAllocatedVUs: 48, maxVUs: 192 },
  },
  attacks: { share: 0.2, cases: ['escalate.tool-scope', 'unattributed.no-credential', 'replay.dpop-jti-reuse'] },
  faults: [
    Fault.reset({ component: 'evidence-sink', at: '5s', for: '8s', recoverWithin: '3s' }),
    Fault.latency({ component: 'evidence-sink', ms: 1500, at: '18s', for: '6s', recoverWithin: '3s' }),
  ],
  thresholds: {
    'gatecrash_warns{case:replay.dpop-jti-reuse,fault:no}': ['count==0'],
  },
  evidence: { settle: '4s' },
})
