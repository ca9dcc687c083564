/**
 * The run identity and its credential: what every part of the engine knows about one provisioned
 * agent or sub-agent (population/ makes them, load/ sends with them, attacks/ and the oracle read them).
 */
import type { KeyObject } from 'node:crypto'
import type { ExpectedAttribution } from './attempt.ts'
import type { ResourceServerInfo, ToolSpec } from './target.ts'

/** A public EC P-256 JWK with only the members RFC 7638 §3.2 hashes (never `d`). */
export interface PublicEcJwk {
  kty: 'EC'
  crv: 'P-256'
  x: string
  y: string
}

export interface IdentityKey {
  /** the signing key (for compact keys: from the shared LRU cache, re-imported on a miss) */
  readonly privateKey: KeyObject
  readonly publicJwk: PublicEcJwk
  /** RFC 7638 SHA-256 thumbprint, base64url (RFC 9449 §6.1 `jkt`) */
  readonly jkt: string
  /** JWS `kid` for client assertions and the registered jwks; equal to `jkt` so it is stable and unique */
  readonly kid: string
  /** base64url of `{"typ":"dpop+jwt","alg":"ES256","jwk":{crv,kty,x,y}}`, encoded once per identity */
  readonly dpopHeaderB64: string
}

export interface Credential {
  accessToken: string
  tokenHash: string
  key: IdentityKey
}

/**
 * What the load phase needs of a provisioned agent or sub-agent. Held for every identity of the run
 * (100k+): keep it small (population/enroll.ts's ProvisionedIdentity is one, ~1.6 KiB of JS heap with
 * a ~700-char token); `scope` arrays are shared between identities with the same scope and frozen.
 */
export interface RunIdentity {
  ref: string
  kind: 'agent' | 'sub-agent'
  clientId: string
  tenant: string
  principal: string
  scope: string[]
  /** client ids, current actor first */
  actors: string[]
  /** replaced as a whole when the token changes, so a request in flight keeps the one it read */
  credential: Credential
}

export function expectedFor(identity: RunIdentity, tool: ToolSpec, rs: ResourceServerInfo): ExpectedAttribution {
  return {
    principal: { sub: identity.principal, type: 'user' },
    actors: identity.actors,
    client_id: identity.clientId,
    tenant: identity.tenant,
    tool: tool.name,
    aud: rs.audience,
  }
}

export function anonymousExpected(tenant: string, tool: ToolSpec, rs: ResourceServerInfo): ExpectedAttribution {
  return { principal: { sub: null, type: 'anonymous' }, actors: [], client_id: null, tenant, tool: tool.name, aud: rs.audience }
}

export function toolsWithin(tools: ToolSpec[], scope: string[]): ToolSpec[] {
  return tools.filter((t) => scope.includes(t.scope))
}
