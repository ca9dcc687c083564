/**
 * The in-memory identities the bench's memory measurement builds: today's (exactly as
 * provisionOne/applyToken and provisionPhase hold them) and the lean proposal, from JSON.parse'd
 * registration and token responses as real provisioning receives them.
 */
import type { RunIdentity } from '../../harness/load/identity.ts'
import type { ProvisionedIdentity } from '../../harness/population/provision.ts'
import type { Population, PopulationNode } from '../../harness/population/spec.ts'
import { generateIdentityKey } from '../../harness/protocol/identity-key.ts'
import { unverifiedPayload } from '../../harness/protocol/jws.ts'
import type { RegisteredClient, TokenResponse } from '../../harness/protocol/oauth-client.ts'
import { randomB64url } from '../../harness/protocol/random-id.ts'
import { tokenHash } from '../../harness/protocol/token-hash.ts'
import { fakeAccessToken } from './fixtures.ts'
import { generateLeanKey, internScope, type LeanIdentity } from './lean-identity.ts'

export const ISSUER = 'http://127.0.0.1:41234'
export const AUDIENCE = 'http://127.0.0.1:41235'
export const HTU = `${AUDIENCE}/t/t_1/tickets/T-00001`

/** What a registration answer looks like once parsed (reference AS shape). */
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

/** ProvisionedIdentity exactly as provisionOne + applyToken build it today. */
export function provisionedToday(pop: Population): { identities: ProvisionedIdentity[]; byRef: Map<string, ProvisionedIdentity> } {
  const byRef = new Map<string, ProvisionedIdentity>()
  const identities: ProvisionedIdentity[] = []
  for (const node of nodesOf(pop)) {
    const parent = node.kind === 'sub-agent' ? byRef.get(node.parentRef)! : null
    const key = generateIdentityKey()
    const registration = registrationResponse(node)
    const identity: ProvisionedIdentity = {
      ref: node.ref,
      kind: node.kind,
      parentRef: parent?.ref ?? null,
      depth: node.depth,
      clientId: registration.clientId,
      key,
      tenant: node.tenant,
      principal: node.principal,
      scope: [...node.scope],
      grantedScope: [],
      actors: [registration.clientId, ...(parent?.actors ?? [])],
      accessToken: '',
      tokenHash: '',
      tokenJti: null,
      expiresAt: 0,
      registration,
    }
    const token = tokenResponse({ clientId: identity.clientId, node, actors: identity.actors, jkt: key.jkt })
    const claims = unverifiedPayload(token.access_token)
    identity.accessToken = token.access_token
    identity.tokenHash = tokenHash(token.access_token)
    identity.tokenJti = typeof claims?.jti === 'string' ? claims.jti : null
    identity.expiresAt = typeof claims?.exp === 'number' ? claims.exp * 1000 : Date.now() + 600_000
    identity.grantedScope = typeof token.scope === 'string' ? token.scope.split(' ').filter(Boolean) : [...identity.scope]
    identities.push(identity)
    byRef.set(node.ref, identity)
  }
  return { identities, byRef }
}

/** provisionPhase's view for the load phase. */
export function runView(identities: ProvisionedIdentity[]): RunIdentity[] {
  return identities.map((i) => ({
    ref: i.ref,
    kind: i.kind,
    clientId: i.clientId,
    tenant: i.tenant,
    principal: i.principal,
    scope: i.scope,
    actors: i.actors,
    credential: { accessToken: i.accessToken, tokenHash: i.tokenHash, key: i.key },
  }))
}

export function leanIdentities(pop: Population): { identities: LeanIdentity[]; byRef: Map<string, LeanIdentity> } {
  const byRef = new Map<string, LeanIdentity>()
  const identities: LeanIdentity[] = []
  for (const node of nodesOf(pop)) {
    const parent = node.kind === 'sub-agent' ? byRef.get(node.parentRef)! : null
    const { privateKey, jkt, dpopHeaderB64 } = generateLeanKey()
    const registration = registrationResponse(node)
    const actors = [registration.clientId, ...(parent?.actors ?? [])]
    const token = tokenResponse({ clientId: registration.clientId, node, actors, jkt })
    const claims = unverifiedPayload(token.access_token)
    const scope = internScope(node.scope)
    const granted = typeof token.scope === 'string' ? token.scope : scope.join(' ')
    const identity: LeanIdentity = {
      privateKey,
      dpopHeaderB64,
      ref: node.ref,
      kind: node.kind,
      parentRef: parent?.ref ?? null,
      clientId: registration.clientId,
      tenant: node.tenant,
      principal: node.principal,
      scope,
      grantedScope: granted === scope.join(' ') ? scope : internScope(granted.split(' ').filter(Boolean)),
      actors,
      accessToken: token.access_token,
      tokenHash: tokenHash(token.access_token),
      expiresAt: typeof claims?.exp === 'number' ? claims.exp * 1000 : Date.now() + 600_000,
      registrationAccessToken: registration.registrationAccessToken,
      registrationClientUri: registration.registrationClientUri,
    }
    identities.push(identity)
    byRef.set(node.ref, identity)
  }
  return { identities, byRef }
}

