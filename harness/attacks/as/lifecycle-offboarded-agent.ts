/**
 * lifecycle.offboarded-agent.* (OWASP NHI1, ASI10; RFC 7592 §2.3): a fresh agent is offboarded by
 * deleting its registration in prepare(), then acts as if nothing happened.
 *
 * - token-request: the deleted agent asks for a token with its old key, by exchange of its user's
 *   subject token or by client credentials (alternating). It no longer exists, so it cannot
 *   authenticate: invalid_client (401, or 400), and the record names nobody.
 * - old-token: the token the agent held before deletion, and the token of a sub-agent registered
 *   under it, are used at a tool. Both stop working within the target's stated propagation bound
 *   (TargetPolicy.offboardingPropagationS; the reference target: at once): 401 DPoP invalid_token,
 *   reason area `client`. The tokens are genuine, so the record names their principal and actor
 *   chain. Set-up waits out a short bound; a bound longer than a run waits leaves the case not
 *   covered, with the bound as the reason.
 */
import { deleteClient, httpClientFor } from '../../protocol/oauth-client.ts'
import type { Principal } from '../../population/spec.ts'
import type { CaseKit, FreshIdentity } from '../kit.ts'
import { tokenRequestWire } from '../kit.ts'
import { CaseNotCovered, type AttackModule } from '../types.ts'
import { callWithDeadToken, readerPrincipal, settingUp, signingKeyWindow, useOnce } from './lifecycle-setup.ts'
import { authOf, clientCredentialsParams, exchangeParams, sendTokenAttempt, TOOL_CLIENT_CREDENTIALS, TOOL_EXCHANGE, untrustedSubject } from './token-attempt.ts'

/** the longest stated offboarding propagation bound set-up waits out before the old tokens are used */
const MAX_PROPAGATION_WAIT_S = 30

async function offboard(kit: CaseKit, agent: FreshIdentity): Promise<void> {
  const status = await deleteClient(agent.registration, httpClientFor(kit.meta))
  if (status !== 204 && status !== 200) throw new CaseNotCovered(`RFC 7592 deletion of a fresh agent answered HTTP ${status}`)
  kit.log(`offboarded fresh agent ${agent.clientId}`)
}

function requireDeletion(kit: CaseKit): void {
  if (!kit.target.capabilities.clientDeletion) throw new CaseNotCovered('the target offers no RFC 7592 client deletion')
}

function requireDeletable(agent: FreshIdentity): void {
  if (!agent.registration.registrationClientUri || !agent.registration.registrationAccessToken) {
    throw new CaseNotCovered('registration returned no registration_client_uri / registration_access_token (RFC 7592)')
  }
}

interface Offboarded {
  agent: FreshIdentity
  principal: Principal
  subjects: CaseKit['subjects']
}

export const lifecycleOffboardedTokenRequest: AttackModule = {
  id: 'lifecycle.offboarded-agent.token-request',
  eligible: () => true,
  async prepare(kit): Promise<Offboarded> {
    requireDeletion(kit)
    const { principal, scope } = readerPrincipal(kit, 0)
    const agent = await settingUp('minting an agent to offboard', () => signingKeyWindow(() => kit.freshAgent(principal, { scope })))
    requireDeletable(agent)
    await offboard(kit, agent)
    return { agent, principal, subjects: kit.subjects }
  },
  async fire(env) {
    const { agent, principal, subjects } = env.prepared as Offboarded
    const viaExchange = env.salt % 2 === 0
    const params = viaExchange
      ? exchangeParams({ subjectToken: await subjects.subjectTokenFor(principal, env.meta.issuer), subjectTokenType: subjects.tokenType, resource: agent.resource }, agent.clientId, { scope: agent.scope })
      : clientCredentialsParams(agent.clientId, agent.resource, agent.scope)
    const tool = viaExchange ? TOOL_EXCHANGE : TOOL_CLIENT_CREDENTIALS
    await sendTokenAttempt(env, {
      kind: 'attack',
      caseId: this.id,
      tool,
      wire: tokenRequestWire(env.meta, authOf(agent), params),
      expected: untrustedSubject(env.meta, tool, null, agent.tenant),
    })
  },
}

export const lifecycleOffboardedOldToken: AttackModule = {
  id: 'lifecycle.offboarded-agent.old-token',
  eligible: () => true,
  async prepare(kit): Promise<FreshIdentity[]> {
    requireDeletion(kit)
    const bound = kit.target.policy?.offboardingPropagationS ?? 0
    if (bound > MAX_PROPAGATION_WAIT_S) {
      throw new CaseNotCovered(`the target states that an offboarded client's tokens may keep working for up to ${bound} s (policy.offboardingPropagationS): longer than a run waits (${MAX_PROPAGATION_WAIT_S} s)`)
    }
    const { principal, scope } = readerPrincipal(kit, 1)
    const [agent, sub] = await settingUp('minting an agent and sub-agent to offboard', () =>
      signingKeyWindow(async () => {
        const a = await kit.freshAgent(principal, { scope })
        return [a, await kit.freshSubAgent(a, scope)] as const
      }),
    )
    requireDeletable(agent)
    await useOnce(kit, agent)
    await useOnce(kit, sub)
    await offboard(kit, agent)
    // tokens may keep working for the bound the target states; only after it is a use a breach
    await new Promise((r) => setTimeout(r, bound * 1000))
    return [agent, sub]
  },
  async fire(env) {
    const tokens = env.prepared as FreshIdentity[]
    await callWithDeadToken(env, this.id, tokens[env.salt % tokens.length])
  },
}
