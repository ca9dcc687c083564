/**
 * lifecycle.expired-subject (RFC 8693 §2.1, §2.2.2; TXN §6): an agent exchanges an assertion of its
 * user that expired ten minutes ago (a stale credential pulled from an agent's memory, ASI06). The
 * AS must validate the subject token and refuse: 400 invalid_request (invalid_grant is also seen).
 * An expired subject is not trusted, so the record names the authenticated agent only.
 */
import { SUBJECT_JWT } from '../../protocol/oauth-client.ts'
import { tokenRequestWire } from '../kit.ts'
import type { AttackModule } from '../types.ts'
import { audienceOf, populationView, carrierAgent, type PopulationView } from './population-view.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, untrustedSubject } from './token-attempt.ts'

const EXPIRED_FOR_S = 600
const LIFETIME_S = 60

export const lifecycleExpiredSubject: AttackModule = {
  id: 'lifecycle.expired-subject',
  eligible: () => true,
  prepare: async (kit) => populationView(kit),
  async fire(env) {
    const carrier = carrierAgent(env)
    if (!carrier) return
    const { view, agent, principal } = carrier
    const iat = Math.floor(Date.now() / 1000) - EXPIRED_FOR_S - LIFETIME_S
    const subject = { subjectToken: view.idp.assertionFor(principal, env.meta.issuer, LIFETIME_S, iat), subjectTokenType: SUBJECT_JWT, resource: audienceOf(agent.credential.accessToken) ?? env.rs.audience }
    await sendTokenAttempt(env, {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_EXCHANGE,
      wire: tokenRequestWire(env.meta, authOf(agent), exchangeParams(subject, agent.clientId)),
      expected: untrustedSubject(env.meta, TOOL_EXCHANGE, agent.clientId, agent.tenant),
    })
  },
}
