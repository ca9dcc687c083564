/**
 * escalate.unregistered-grant (target contract R-GC-reg-3; RFC 7591 §2 grant_types, RFC 6749 §5.2
 * unauthorized_client): an agent registered for token exchange only, so it acts only for the users
 * who delegate to it, asks for a token by client credentials, on its own account. A client uses only
 * the grant types it registered: 400 `unauthorized_client`, and the record names the client (it
 * authenticated) but no principal (no token was trusted or issued).
 *
 * Only this direction is sent: a client registered for client credentials only could not be
 * provisioned with a delegated token to begin with. A target without the client-credentials grant,
 * or whose clients are pre-registered (their grant types are not the harness's to choose), leaves
 * the case not covered.
 */
import { GRANT_TOKEN_EXCHANGE } from '../../protocol/oauth-client.ts'
import type { FreshIdentity } from '../kit.ts'
import { tokenRequestWire } from '../kit.ts'
import { CaseNotCovered, type AttackModule } from '../types.ts'
import { readerPrincipal, settingUp, signingKeyWindow } from './lifecycle-setup.ts'
import { authOf, clientCredentialsParams, sendTokenAttempt, TOOL_CLIENT_CREDENTIALS, untrustedSubject } from './token-attempt.ts'

export const escalateUnregisteredGrant: AttackModule = {
  id: 'escalate.unregistered-grant',
  eligible: () => true,
  async prepare(kit): Promise<FreshIdentity> {
    if (!kit.target.capabilities.clientCredentials) throw new CaseNotCovered('the target offers no client_credentials grant: there is no other grant to try')
    if (kit.registration.preRegistered) throw new CaseNotCovered('clients are pre-registered: the harness cannot register one for token exchange only')
    const { principal, scope } = readerPrincipal(kit, 1)
    return settingUp('registering an agent for token exchange only', () => signingKeyWindow(() => kit.freshAgent(principal, { scope, grantTypes: [GRANT_TOKEN_EXCHANGE] })))
  },
  async fire(env) {
    const agent = env.prepared as FreshIdentity
    await sendTokenAttempt(env, {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_CLIENT_CREDENTIALS,
      wire: tokenRequestWire(env.meta, authOf(agent), clientCredentialsParams(agent.clientId, agent.resource, agent.scope)),
      expected: untrustedSubject(env.meta, TOOL_CLIENT_CREDENTIALS, agent.clientId, agent.tenant),
    })
  },
}
