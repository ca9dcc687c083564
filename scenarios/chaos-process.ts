import { defineScenario, Fault } from 'gatecrash'

// Process faults on components the harness started: the shared replay store is paused (SIGSTOP: its
// sockets stay open, nothing answers) and a replica of rs-1 is killed and started again. Proofs that
// cannot be checked for replay must be refused, and records the killed replica had not shipped must
// be reported as a gap by its successor. Catches `replay-store-fail-open`.
export default defineScenario({
  name: 'chaos-process',
  description: 'Pause the replay store, kill and restart an rs-1 replica: the boundary fails closed and lost evidence is recorded as a gap',
  seed: 20261202,
  population: { tenants: 8, agents: 120, subAgentsPerAgent: 1, depth: 2 },
  scenarios: {
    workload: { executor: 'constant-arrival-rate', rate: 60, timeUnit: '1s', duration: '40s', preAllocatedVUs: 48, maxVUs: 192 },
  },
  attacks: { share: 0.15, cases: ['replay.dpop-jti-reuse', 'escalate.tool-scope', 'unattributed.no-credential'] },
  faults: [
    Fault.pause({ component: 'replay-store', at: '5s', for: '8s', recoverWithin: '3s' }),
    Fault.kill({ component: 'rs-1/0', at: '20s', for: '5s', recoverWithin: '5s' }),
  ],
  thresholds: {
    'gatecrash_warns{case:replay.dpop-jti-reuse,fault:no}': ['count==0'],
  },
  evidence: { settle: '3s' },
})
