import { defineScenario, Fault } from 'gatecrash'

// Signing-key rotation at the authorization server in the middle of the run: half the identities
// exchange their tokens again (new kid) while the others keep using tokens under the old one.
// Resource servers must pick up the new key at once, keep refusing forged and tampered tokens, and
// legitimate traffic under both kids must keep working. A JWKS outage later in the run must not let
// a token under an unknown kid through. Catches `jwks-fail-open` and `token-signature-unchecked`.
export default defineScenario({
  name: 'chaos-keys',
  description: 'AS signing-key rotation mid-run with re-exchanged tokens, then a JWKS outage: old and new kids work, forged ones never do',
  seed: 20261204,
  population: { tenants: 8, agents: 120, subAgentsPerAgent: 1, depth: 2 },
  scenarios: {
    workload: { executor: 'constant-arrival-rate', rate: 60, timeUnit: '1s', duration: '35s', preAllocatedVUs: 48, maxVUs: 192 },
  },
  attacks: { share: 0.15, cases: ['escalate.forged-jwt.unknown-kid', 'escalate.forged-jwt.null-sig', 'escalate.claim-tamper', 'escalate.tool-scope'] },
  faults: [
    Fault.keyRotation({ at: '5s', for: '8s', reexchange: 0.5, recoverWithin: '2s' }),
    Fault.blackhole({ component: 'jwks', at: '20s', for: '8s', recoverWithin: '2s' }),
  ],
  evidence: { settle: '3s' },
})
