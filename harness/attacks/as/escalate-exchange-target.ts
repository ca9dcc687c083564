/**
 * escalate.exchange-target (RFC 8693 §2.2.2, RFC 8707 §2): an exchange for a target the client may
 * not have. Two variants, alternating by salt:
 *
 * - a sub-agent exchanges its parent's token for another resource server's audience than the
 *   parent's token carries (a delegated token keeps its parent's audience). The subject is genuine,
 *   so the record names its principal and the would-be actor chain;
 * - an agent exchanges its user's assertion for a resource nobody registered. A request naming an
 *   unknown target is refused before the subject token is trusted: the record names the client
 *   only (no principal, no actors).
 *
 * The first needs two resource servers and a parent with a child; without them the second is sent.
 * RFC 8693 §2.2.2 says the AS SHOULD answer invalid_target, so acceptance is a warn.
 */
import { SUBJECT_ACCESS_TOKEN } from '../../protocol/oauth-client.ts'
import { tokenRequestWire } from '../kit.ts'
import type { AttackModule } from '../types.ts'
import { audienceOf, delegationPair, ordinaryExchange, populationView, topAgent, type PopulationView } from './population-view.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, trustedSubject, untrustedSubject } from './token-attempt.ts'

/** Loopback discard port: names no resource server, and nothing listens there to be fetched. */
export const UNKNOWN_RESOURCE = 'http://127.0.0.1:9/unknown'

export const escalateExchangeTarget: AttackModule = {
  id: 'escalate.exchange-target',
  eligible: () => true,
  prepare: async (kit) => populationView(kit),
  async fire(env) {
    const view = env.prepared as PopulationView
    const pair = env.salt % 2 === 0 ? delegationPair(view, env.identity, env.salt) : undefined
    const parentAud = pair ? audienceOf(pair.parent.credential.accessToken) : null
    const other = parentAud === null ? undefined : view.resources.find((r) => r.audience !== parentAud)
    if (pair && other) {
      const { child, parent } = pair
      const subject = { subjectToken: parent.credential.accessToken, subjectTokenType: SUBJECT_ACCESS_TOKEN, resource: other.audience }
      await sendTokenAttempt(env, {
        kind: 'attack',
        caseId: this.id,
        tool: TOOL_EXCHANGE,
        wire: tokenRequestWire(env.meta, authOf(child), exchangeParams(subject, child.clientId)),
        expected: trustedSubject(env.meta, { principal: parent.principal, actors: [child.clientId, ...parent.actors], clientId: child.clientId, tenant: child.tenant }),
      })
      return
    }
    const agent = topAgent(view, env.identity)
    const own = await ordinaryExchange(view, env.meta, agent)
    if (!own) return
    await sendTokenAttempt(env, {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_EXCHANGE,
      wire: tokenRequestWire(env.meta, authOf(agent), exchangeParams(own, agent.clientId, { resource: UNKNOWN_RESOURCE })),
      expected: untrustedSubject(env.meta, TOOL_EXCHANGE, agent.clientId, agent.tenant),
    })
  },
}
