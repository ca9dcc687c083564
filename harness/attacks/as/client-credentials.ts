/**
 * Client credentials (RFC 6749 §4.4), where the target offers the grant: an agent asking for a
 * token on its own account, with nobody's delegation, so the only things between it and a token are
 * its client authentication and its registered scope.
 *
 * - unattributed.client-credentials.no-auth (RFC 6749 §3.2.1, §4.4.2): the agent's ordinary
 *   client-credentials request, DPoP proof included, but without its client assertion (only a
 *   `client_id`, as a public client would send). A confidential client must authenticate: 401 (or
 *   400) invalid_client, and nobody authenticated, so the record is anonymous.
 * - escalate.client-credentials.upscope (RFC 6749 §3.3, §5.2): the agent asks for its registration
 *   plus every scope its resource server knows plus one no agent holds (`admin:all`). A correct AS
 *   answers invalid_scope or issues a narrower token; the oracle judges the issued scope against the
 *   ceiling (registration ∩ the resource's scopes). The agent authenticated and acts for itself, so
 *   the record names it as client and as principal (type agent).
 *
 * Both start from the identity's top-level agent: a sub-agent acts for its parent's user and is not
 * the one whose own-account grant is tested. A target without the grant leaves both not covered
 * (catalog `needs: ['clientCredentials']`).
 */
import type { ExpectedAttribution } from '../../contracts/attempt.ts'
import type { RunIdentity } from '../../contracts/identity.ts'
import type { AsMetadata } from '../../protocol/oauth-client.ts'
import { tokenRequestWire } from '../kit.ts'
import { tokenEndpointExpected, type AttackModule } from '../types.ts'
import { audienceOf, populationView, topAgent, type PopulationView } from './population-view.ts'
import { authOf, clientCredentialsParams, sendTokenAttempt, TOOL_CLIENT_CREDENTIALS, untrustedSubject } from './token-attempt.ts'

/** A scope no agent is ever registered for: a correct AS cannot grant it by client credentials. */
export const UNHELD_SCOPE = 'admin:all'

/** Attribution of a client-credentials request the client authenticated: the agent is client and principal. */
function ownAccount(meta: AsMetadata, agent: RunIdentity): ExpectedAttribution {
  return { ...tokenEndpointExpected(meta, TOOL_CLIENT_CREDENTIALS, { principal: agent.clientId, actors: [], clientId: agent.clientId, tenant: agent.tenant }), principal: { sub: agent.clientId, type: 'agent' } }
}

export const unattributedClientCredentialsNoAuth: AttackModule = {
  id: 'unattributed.client-credentials.no-auth',
  eligible: () => true,
  prepare: async (kit) => populationView(kit),
  async fire(env) {
    const agent = topAgent(env.prepared as PopulationView, env.identity)
    const resource = audienceOf(agent.credential.accessToken) ?? env.rs.audience
    await sendTokenAttempt(env, {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_CLIENT_CREDENTIALS,
      // the key still signs the DPoP proof: only the client assertion is missing
      wire: tokenRequestWire(env.meta, authOf(agent), clientCredentialsParams(agent.clientId, resource, agent.scope), { assertion: null }),
      expected: untrustedSubject(env.meta, TOOL_CLIENT_CREDENTIALS, null, agent.tenant),
    })
  },
}

export const escalateClientCredentialsUpscope: AttackModule = {
  id: 'escalate.client-credentials.upscope',
  eligible: () => true,
  prepare: async (kit) => populationView(kit),
  async fire(env) {
    const view = env.prepared as PopulationView
    const agent = topAgent(view, env.identity)
    const resource = audienceOf(agent.credential.accessToken) ?? env.rs.audience
    const rs = view.resources.find((r) => r.audience === resource) ?? env.rs
    const known = [...new Set(rs.tools.map((t) => t.scope))]
    const requested = [...new Set([...agent.scope, ...known, UNHELD_SCOPE])]
    await sendTokenAttempt(env, {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_CLIENT_CREDENTIALS,
      wire: tokenRequestWire(env.meta, authOf(agent), clientCredentialsParams(agent.clientId, resource, requested)),
      expected: ownAccount(env.meta, agent),
      ceiling: { scope: agent.scope.filter((s) => known.includes(s)), aud: resource },
    })
  },
}
