/**
 * The in-memory identities the bench's memory measurement builds, with the harness's own
 * constructors (population/enroll.ts: `new ProvisionedIdentity`, `applyToken`; protocol/
 * identity-key.ts: `generateIdentityKey`), from JSON.parse'd registration and token responses of
 * the reference AS's shape, as real provisioning receives them. Only the HTTP round trips are left
 * out (100k registrations and exchanges over loopback would take minutes).
 */
import { ProvisionedIdentity, applyToken } from '../../harness/population/enroll.ts'
import type { Population, PopulationNode } from '../../harness/population/spec.ts'
import { generateIdentityKey } from '../../harness/protocol/identity-key.ts'
import type { RegisteredClient, TokenResponse } from '../../harness/protocol/oauth-client.ts'
import { randomB64url } from '../../harness/protocol/random-id.ts'
import { fakeAccessToken } from './fixtures.ts'

export const ISSUER = 'http://127.0.0.1:41234'
export const AUDIENCE = 'http://127.0.0.1:41235'
export const HTU = `${AUDIENCE}/t/t_1/tickets/T-00001`

/** What a registration answer looks like once registerClient has parsed it (reference AS shape). */
export function registrationResponse(node: PopulationNode): RegisteredClient {
  const clientId = `${node.kind === 'agent' ? 'agent' : 'subagent'}_${randomB64url(12)}`
  const body = JSON.parse(
    JSON.stringify({
      client_id: clientId,
      client_name: `gatecrash ${node.ref}`,
      token_endpoint_auth_method: 'private_key_jwt',
      scope: node.scope.join(' '),
      tenant: node.tenant,
      registration_access_token: randomB64url(32),
      registration_client_uri: `${ISSUER}/register/${clientId}`,
    }),
  ) as { client_id: string; registration_access_token: string; registration_client_uri: string }
  return { clientId: body.client_id, registrationAccessToken: body.registration_access_token, registrationClientUri: body.registration_client_uri }
}

export function tokenResponse(o: { clientId: string; node: PopulationNode; actors: string[]; jkt: string }): TokenResponse {
  const access_token = fakeAccessToken({ issuer: ISSUER, audience: AUDIENCE, clientId: o.clientId, principal: o.node.principal, tenant: o.node.tenant, scope: o.node.scope, actors: o.actors, jkt: o.jkt })
  return JSON.parse(JSON.stringify({ access_token, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'DPoP', expires_in: 600, scope: o.node.scope.join(' ') })) as TokenResponse
}

export function nodesOf(pop: Population): PopulationNode[] {
  return [...pop.agents, ...pop.subAgents]
}

/**
 * The identities exactly as enroll.ts's enroll builds them: a fresh key, the parsed
 * registration, `new ProvisionedIdentity`, then `applyToken` with the parsed token response.
 */
export function provisioned(pop: Population): { identities: ProvisionedIdentity[]; byRef: Map<string, ProvisionedIdentity> } {
  const byRef = new Map<string, ProvisionedIdentity>()
  const identities: ProvisionedIdentity[] = []
  for (const node of nodesOf(pop)) {
    const parent = node.kind === 'sub-agent' ? byRef.get(node.parentRef)! : null
    const key = generateIdentityKey()
    const identity = new ProvisionedIdentity(node, parent, key, registrationResponse(node), AUDIENCE)
    applyToken(identity, tokenResponse({ clientId: identity.clientId, node, actors: identity.actors, jkt: key.jkt }))
    identities.push(identity)
    byRef.set(node.ref, identity)
  }
  return { identities, byRef }
}
