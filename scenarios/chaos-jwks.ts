import { defineScenario, Fault } from 'gatecrash'

// The resource servers cannot reach the AS keys (JWKS) for a while: first the link is reset, later
// it holds every connection (blackhole). Tokens under a kid the servers have cached keep working;
// a forged token under an unknown kid cannot be checked and must be refused (503, recorded), never
// served unverified. Catches the reference target's `jwks-fail-open` flaw.
export default defineScenario({
  name: 'chaos-jwks',
  description: 'JWKS unreachable (reset, then blackhole) while forged tokens under unknown kids arrive: refused, recorded, never served',
  seed: 20261205,
  population: { tenants: 8, agents: 120, subAgentsPerAgent: 1, depth: 2 },
  scenarios: {
    workload: { executor: 'constant-arrival-rate', rate: 60, timeUnit: '1s', duration: '30s', preAllocatedVUs: 48, maxVUs: 192 },
  },
  attacks: { share: 0.2, cases: ['escalate.forged-jwt.unknown-kid', 'escalate.forged-jwt.null-sig', 'escalate.tool-scope', 'unattributed.no-credential'] },
  faults: [
    Fault.reset({ component: 'jwks', at: '5s', for: '8s', recoverWithin: '2s' }),
    Fault.blackhole({ component: 'jwks', at: '18s', for: '8s', recoverWithin: '2s' }),
  ],
  evidence: { settle: '3s' },
})
