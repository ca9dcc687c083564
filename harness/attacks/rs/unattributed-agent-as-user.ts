/**
 * unattributed.agent-as-user (RFC 8693 §1.1; OBO §6; ASI03, NHI10): an agent calls a user-data tool
 * with its OWN client-credentials token (`sub` = its client id, no `act`) instead of a delegated
 * one. The reference policy requires delegation for tool calls, so the call is refused with 403
 * (policy, no OAuth error code) and recorded against the agent: principal = its client id, type
 * agent, no actors.
 *
 * prepared: a fresh agent registered for this case and its client-credentials token, re-minted
 * before expiry. A target without client credentials leaves the case not-covered.
 */
import type { ExpectedAttribution } from '../../contracts/attempt.ts'
import type { Credential } from '../../contracts/identity.ts'
import { clientCredentials } from '../../protocol/oauth-client.ts'
import { tokenHash } from '../../protocol/token-hash.ts'
import type { ResourceServerInfo, ToolSpec } from '../../contracts/target.ts'
import { CaseNotCovered, type AttackModule } from '../types.ts'
import { callArgs, Renewing } from './tool-call.ts'

export interface OwnToken {
  clientId: string
  tenant: string
  tool: ToolSpec
  credential: Credential
  expiresAt: number
}

export function agentExpected(own: OwnToken, rs: ResourceServerInfo): ExpectedAttribution {
  return { principal: { sub: own.clientId, type: 'agent' }, actors: [], client_id: own.clientId, tenant: own.tenant, tool: own.tool.name, aud: rs.audience }
}

export const unattributedAgentAsUser: AttackModule = {
  id: 'unattributed.agent-as-user',
  eligible: () => true,
  async prepare(kit) {
    if (!kit.target.capabilities.clientCredentials) throw new CaseNotCovered('the target does not offer client credentials')
    const rs = kit.target.resources[0]
    const tool = rs.tools.find((t) => !t.writes && kit.principals.some((p) => (p.entitlements as string[]).includes(t.scope)))
    const principal = tool && kit.principals.find((p) => (p.entitlements as string[]).includes(tool.scope))
    if (!tool || !principal) throw new CaseNotCovered('no principal is entitled to a read tool')
    return Renewing.start(async (): Promise<OwnToken> => {
      const agent = await kit.freshAgent(principal, { scope: [tool.scope] })
      const key = agent.credential.key
      const res = await clientCredentials(kit.meta, { clientId: agent.clientId, key, resource: rs.audience, scope: [tool.scope] })
      return {
        clientId: agent.clientId,
        tenant: agent.tenant,
        tool,
        credential: { accessToken: res.access_token, tokenHash: tokenHash(res.access_token), key },
        expiresAt: Date.now() + (res.expires_in ?? 600) * 1000,
      }
    })
  },
  async fire(env) {
    const own = await (env.prepared as Renewing<OwnToken>).get()
    await env.send({
      kind: 'attack',
      caseId: this.id,
      tool: own.tool,
      tenant: own.tenant,
      ...callArgs(own.tool, env.salt),
      credential: own.credential,
      expected: agentExpected(own, env.rs),
      scheduledAt: env.scheduledAt,
    })
  },
}
