import { defineScenario, Fault } from 'gatecrash'

// Network faults on four links while agents work: the resource servers' path to the AS keys gets
// slower than they wait for (so a token under an unknown kid cannot be checked: it must be refused,
// 503, never served unverified), a share of the agents' connections to rs-1 are reset, the evidence
// pipeline is throttled, and the replay store's connections close slowly. Catches the reference
// target's `jwks-fail-open` flaw.
export default defineScenario({
  name: 'chaos-network',
  description: 'Latency with jitter on the JWKS link, connection resets on rs-1, a bandwidth limit on the evidence sink, slow closes on the replay store: the boundary fails closed and every attempt is still recorded',
  seed: 20261201,
  population: { tenants: 8, agents: 120, subAgentsPerAgent: 1, depth: 2 },
  scenarios: {
    workload: { executor: 'constant-arrival-rate', rate: 60, timeUnit: '1s', duration: '45s', preAllocatedVUs: 48, maxVUs: 192 },
  },
  attacks: { share: 0.15, cases: ['escalate.forged-jwt.unknown-kid', 'escalate.tool-scope', 'replay.dpop-jti-reuse', 'unattributed.no-credential'] },
  faults: [
    Fault.latency({ component: 'jwks', ms: 1500, jitterMs: 300, at: '5s', for: '10s', recoverWithin: '2s' }),
    Fault.reset({ component: 'rs-1', probability: 0.2, at: '20s', for: '5s', recoverWithin: '2s' }),
    Fault.bandwidth({ component: 'evidence-sink', rate: 16, at: '30s', for: '8s', recoverWithin: '3s' }),
    Fault.slowClose({ component: 'replay-store', delayMs: 500, at: '39s', for: '4s' }),
  ],
  thresholds: {
    // outside fault windows; inside them the chaos gates judge replays (a resend whose original was lost is a first use)
    'gatecrash_warns{case:replay.dpop-jti-reuse,fault:no}': ['count==0'],
  },
  evidence: { settle: '3s' },
})
