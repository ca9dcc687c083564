import type { ExpectedAttribution } from '../attempt.ts'
import type { ResourceServerInfo, ToolSpec } from '../target/types.ts'
import type { Credential } from './send-attempt.ts'

/** What the load phase needs of a provisioned agent or sub-agent. */
export interface RunIdentity {
  ref: string
  kind: 'agent' | 'sub-agent'
  clientId: string
  tenant: string
  principal: string
  scope: string[]
  /** client ids, current actor first */
  actors: string[]
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
