/**
 * escalate.may-act (RFC 8693 §4.4, §2.2.2): the user's assertion names, in `may_act`, the one agent
 * that may act for them (agent X); another agent of the same tenant (Y) exchanges it. Whether the AS
 * honours `may_act` is its policy (a warn when accepted); one that does answers 400 invalid_request.
 * The subject is genuine, so the record names the user and Y as the would-be actor. Where X acts
 * for the same user, X then exchanges such an assertion too, as legitimate traffic (the control).
 *
 * The workforce IdP has to put `may_act` into an assertion. prepare() checks that it does (an
 * assertionFor(principal, aud, ttlS, iat, { may_act }) overload); until then the case is not-covered.
 */
import type { RunIdentity } from '../../contracts/identity.ts'
import { unverifiedPayload } from '../../protocol/jws.ts'
import { SUBJECT_JWT } from '../../protocol/oauth-client.ts'
import type { Principal } from '../../population/spec.ts'
import { tokenRequestWire } from '../kit.ts'
import { CaseNotCovered, type AttackModule } from '../types.ts'
import { audienceOf, populationView, topAgent, type PopulationView } from './population-view.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, trustedSubject } from './token-attempt.ts'

type MayActMinter = (principal: Principal, audience: string, ttlS: number, iat: number, claims: { may_act: { sub: string } }) => string

/** An assertion for `principal` whose may_act names `actor`, or null when the IdP cannot make one. */
function mayActAssertion(view: PopulationView, principal: Principal, audience: string, actor: string): string | null {
  const mint = view.idp.assertionFor as unknown as MayActMinter
  const token = mint.call(view.idp, principal, audience, 300, Math.floor(Date.now() / 1000), { may_act: { sub: actor } })
  const mayAct = unverifiedPayload(token)?.may_act as { sub?: unknown } | undefined
  return mayAct?.sub === actor ? token : null
}

/** Another top-level agent: of `self`'s user where there is one, else of its tenant, else any. */
function otherAgent(view: PopulationView, self: RunIdentity, salt: number): RunIdentity | undefined {
  const others = [...view.agentsByTenant.values()].flat().filter((a) => a.clientId !== self.clientId)
  const sameUser = others.filter((a) => a.principal === self.principal)
  const sameTenant = others.filter((a) => a.tenant === self.tenant)
  const pool = sameUser.length > 0 ? sameUser : sameTenant.length > 0 ? sameTenant : others
  return pool.length > 0 ? pool[salt % pool.length] : undefined
}

export const escalateMayAct: AttackModule = {
  id: 'escalate.may-act',
  eligible: () => true,
  async prepare(kit) {
    const view = populationView(kit)
    if (kit.principals.length === 0 || mayActAssertion(view, kit.principals[0], kit.meta.issuer, 'probe') === null) {
      throw new CaseNotCovered('the workforce IdP cannot put may_act into a user assertion')
    }
    return view
  },
  async fire(env) {
    const view = env.prepared as PopulationView
    const actor = topAgent(view, env.identity)
    const named = otherAgent(view, actor, env.salt)
    const principal = view.principals.get(actor.principal)
    if (!named || !principal) return
    const assertion = mayActAssertion(view, principal, env.meta.issuer, named.clientId)
    if (assertion === null) return
    const resource = audienceOf(actor.credential.accessToken) ?? env.rs.audience
    await sendTokenAttempt(env, {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_EXCHANGE,
      wire: tokenRequestWire(env.meta, authOf(actor), exchangeParams({ subjectToken: assertion, subjectTokenType: SUBJECT_JWT, resource }, actor.clientId)),
      expected: trustedSubject(env.meta, { principal: actor.principal, actors: [actor.clientId], clientId: actor.clientId, tenant: actor.tenant }),
    })
    // The control: the agent may_act names, acting for the same user, is served (a target that
    // refuses every may_act assertion would otherwise pass). Graded as legitimate traffic.
    if (env.signal.aborted || named.principal !== actor.principal) return
    const own = mayActAssertion(view, principal, env.meta.issuer, named.clientId)
    if (own === null) return
    await sendTokenAttempt(env, {
      kind: 'legit',
      tool: TOOL_EXCHANGE,
      wire: tokenRequestWire(env.meta, authOf(named), exchangeParams({ subjectToken: own, subjectTokenType: SUBJECT_JWT, resource }, named.clientId)),
      expected: trustedSubject(env.meta, { principal: named.principal, actors: [named.clientId], clientId: named.clientId, tenant: named.tenant }),
    })
  },
}
