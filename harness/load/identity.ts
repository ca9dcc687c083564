import type { ExpectedAttribution } from '../attempt.ts'
import type { IdentityKey } from '../protocol/identity-key.ts'
import { tokenHash } from '../protocol/token-hash.ts'
import type { ResourceServerInfo, ToolSpec } from '../target/types.ts'
import type { Credential } from './send-attempt.ts'

/**
 * What the load phase needs of a provisioned agent or sub-agent. Held for every identity of the run
 * (100k+): keep it small (population/provision.ts's ProvisionedIdentity is one, ~1.6 KiB of JS heap with
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

/**
 * A Credential that stores its token once and hashes it (`ath`, RFC 9449 §4.2) on first use: 48 B
 * besides the token string and the 43-char hash.
 */
export class TokenCredential implements Credential {
  readonly accessToken: string
  readonly key: IdentityKey
  #hash: string | undefined = undefined

  constructor(accessToken: string, key: IdentityKey) {
    this.accessToken = accessToken
    this.key = key
  }

  get tokenHash(): string {
    return (this.#hash ??= tokenHash(this.accessToken))
  }
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
