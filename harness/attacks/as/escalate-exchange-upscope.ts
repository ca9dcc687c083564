/**
 * escalate.exchange-upscope (RFC 6749 §5.2, RFC 8693 §2.2.1 and §5; TXN §13.6): an agent exchanges
 * its user's assertion asking for more scope than it may hold. Two variants, alternating by salt:
 *
 * - beyond the user's entitlements: the IdP asserts the user with one scope fewer than the agent is
 *   registered for (the user lost an entitlement), and the agent asks for its whole registration;
 * - beyond the agent's registration: the user's real assertion, and the agent asks for every scope
 *   the resource server knows.
 *
 * A correct AS answers 400 invalid_scope, or issues a narrower token (RFC 8693 §2.2.1 lets it): the
 * oracle judges the issued scope against the ceiling (registration ∩ entitlements ∩ the resource's
 * scopes). The subject is genuine, so the record names the user and the agent as actor.
 */
import type { RunIdentity } from '../../contracts/identity.ts'
import { SUBJECT_JWT } from '../../protocol/oauth-client.ts'
import type { ResourceServerInfo } from '../../contracts/target.ts'
import { tokenRequestWire } from '../kit.ts'
import type { AttackModule } from '../types.ts'
import { audienceOf, populationView, carrierAgent, type PopulationView } from './population-view.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, trustedSubject } from './token-attempt.ts'

const scopesOf = (rs: ResourceServerInfo): string[] => [...new Set(rs.tools.map((t) => t.scope))]
const within = (a: readonly string[], b: readonly string[]): string[] => a.filter((s) => b.includes(s))

interface Plan {
  entitlements: string[]
  requested: string[]
}

/** The two variants for agent `a` of a user entitled to `entitled`, on a resource with `known` scopes. */
function plans(a: RunIdentity, entitled: string[], known: string[]): { beyondUser?: Plan; beyondRegistration?: Plan } {
  const out: { beyondUser?: Plan; beyondRegistration?: Plan } = {}
  if (a.scope.length >= 2) out.beyondUser = { entitlements: a.scope.slice(0, -1), requested: a.scope }
  const wider = [...new Set([...a.scope, ...known])]
  if (wider.some((s) => !a.scope.includes(s))) out.beyondRegistration = { entitlements: entitled, requested: wider }
  return out
}

export const escalateExchangeUpscope: AttackModule = {
  id: 'escalate.exchange-upscope',
  eligible: () => true,
  prepare: async (kit) => populationView(kit),
  async fire(env) {
    const carrier = carrierAgent(env)
    if (!carrier) return
    const { view, agent, principal } = carrier
    const resource = audienceOf(agent.credential.accessToken) ?? env.rs.audience
    const rs = view.resources.find((r) => r.audience === resource) ?? env.rs
    const options = plans(agent, principal.entitlements, scopesOf(rs))
    const plan = env.salt % 2 === 0 ? (options.beyondUser ?? options.beyondRegistration) : (options.beyondRegistration ?? options.beyondUser)
    if (!plan) return
    const assertion = view.idp.assertionFor({ ...principal, entitlements: plan.entitlements as typeof principal.entitlements }, env.meta.issuer)
    const ceiling = within(within(agent.scope, plan.entitlements), scopesOf(rs))
    await sendTokenAttempt(env, {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_EXCHANGE,
      wire: tokenRequestWire(env.meta, authOf(agent), exchangeParams({ subjectToken: assertion, subjectTokenType: SUBJECT_JWT, resource }, agent.clientId, { scope: plan.requested })),
      expected: trustedSubject(env.meta, { principal: agent.principal, actors: [agent.clientId], clientId: agent.clientId, tenant: agent.tenant }),
      ceiling: { scope: ceiling, aud: resource },
    })
  },
}
