/**
 * escalate.internal-endpoint.* (OWASP API5, broken function-level authorization): an agent calls
 * one of the resource server's internal or management endpoints through its public origin, with its
 * own valid DPoP-bound token and a valid proof for that very method and URI, so nothing but the
 * endpoint being reachable there decides the answer. The endpoints come from the target's own
 * declaration (ResourceServerInfo.internalPaths); the harness guesses no path.
 *  - `.admin-read`: an operator's management endpoint (role `admin`), e.g. a side-effect ledger read;
 *  - `.peer-push`: an endpoint the deployment's own components call (role `peer`), e.g. the
 *    authorization server's lifecycle push to the resource servers, sent with the declared body
 *    (one that changes nothing if it were served).
 * A correct deployment does not route either on the public origin: 404, recorded as a policy denial
 * naming the agent.
 *
 * Not covered when the resource server the population's tokens are for declares no endpoint of the role.
 */
import type { ExpectedAttribution } from '../../contracts/attempt.ts'
import type { RunIdentity } from '../../contracts/identity.ts'
import type { InternalPath, ResourceServerInfo } from '../../contracts/target.ts'
import { createDpopProof } from '../../protocol/dpop-proof.ts'
import { internalPathGap } from '../coverage-gap.ts'
import { CaseNotCovered, type AttackModule } from '../types.ts'
import { dpopHeaders } from './tool-call.ts'

const internalPathOf = (rs: ResourceServerInfo, role: InternalPath['role']): InternalPath | undefined =>
  rs.internalPaths?.find((p) => p.role === role)

/** The agent's own attribution, with the endpoint's name where a tool's would be. */
function expectedOf(identity: RunIdentity, p: InternalPath, rs: ResourceServerInfo): ExpectedAttribution {
  return { principal: { sub: identity.principal, type: 'user' }, actors: identity.actors, client_id: identity.clientId, tenant: identity.tenant, tool: p.name, aud: rs.audience }
}

function internalCase(variant: string, role: InternalPath['role']): AttackModule {
  return {
    id: `escalate.internal-endpoint.${variant}`,
    eligible: (_identity, rs) => internalPathOf(rs, role) !== undefined,
    async prepare(kit) {
      // measure.ts checks the catalog's `internalPath` first; this keeps the module safe on its own
      const gap = internalPathGap(role, kit.target.resources)
      if (gap !== undefined) throw new CaseNotCovered(gap)
    },
    async fire(env) {
      const p = internalPathOf(env.rs, role)
      if (p === undefined) return
      const cred = env.identity.credential
      // a proof for exactly this request: a refusal must come from the routing, not from the proof
      const proof = createDpopProof(cred.key, { htm: p.method, htu: env.rs.origin + p.path, ath: cred.tokenHash }).proof
      const headers = dpopHeaders(cred.accessToken, proof)
      if (p.body !== undefined) headers.push(['content-type', 'application/json'])
      await env.request(
        { origin: env.rs.origin, method: p.method, path: p.path, headers, body: p.body !== undefined ? JSON.stringify(p.body) : undefined },
        { kind: 'attack', caseId: this.id, tool: p.name, expected: expectedOf(env.identity, p, env.rs), tokenHash: cred.tokenHash },
      )
    },
  }
}

export const escalateInternalEndpointAdminRead = internalCase('admin-read', 'admin')
export const escalateInternalEndpointPeerPush = internalCase('peer-push', 'peer')
