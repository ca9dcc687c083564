/**
 * escalate.exchange-scope.* (RFC 8693 §2.1, §2.2.1; RFC 6749 §3.2, §3.3): token exchanges whose
 * `scope` parameter is the variable, each judged on the issued token. The most a correct AS may
 * grant (the ceiling) is what the client may hold: its registered scope ∩ the subject token's
 * scope ∩ the resource's scopes. RFC 8693 §2.2.1 and RFC 6749 §3.3 let the AS grant less than asked,
 * or answer invalid_scope; never more.
 *
 * - omitted: no `scope` at all. RFC 6749 §3.3: the AS uses a pre-defined default or fails with
 *   invalid_scope; the default is still bounded by the ceiling. The user's subject token holds one
 *   scope fewer than the agent is registered for (the user lost an entitlement), so an AS whose
 *   default is the client's registration issues that scope.
 * - empty: `scope=` (no value). The §3.3 ABNF (`scope-token *( SP scope-token )`, scope-token =
 *   1*NQCHAR) has no empty scope, and §3.2 says a parameter sent without a value MUST be treated as
 *   omitted: so the same ceiling as `omitted`; invalid_scope is accepted too (§3.3 lets an AS refuse
 *   a request without a usable scope). Same subject as `omitted`.
 * - unregistered: a sub-agent (registered, as every hop is, for a strict subset of its parent's
 *   scope) exchanges its parent's token asking for the parent's whole scope: scope the subject
 *   token holds but the requesting client was never registered for.
 *
 * omitted and empty craft the user's subject token (harnessIdp); unregistered uses the population
 * as provisioned. The subject is genuine in all three: the record names the user and the chain.
 */
import type { RunIdentity } from '../../contracts/identity.ts'
import type { ResourceServerInfo } from '../../contracts/target.ts'
import { unverifiedPayload } from '../../protocol/jws.ts'
import { SUBJECT_ACCESS_TOKEN, SUBJECT_JWT } from '../../protocol/oauth-client.ts'
import { tokenRequestWire } from '../kit.ts'
import type { AttackModule } from '../types.ts'
import { audienceOf, delegationPair, populationView, carrierAgent, type PopulationView } from './population-view.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, trustedSubject } from './token-attempt.ts'

const scopesOf = (rs: ResourceServerInfo): string[] => [...new Set(rs.tools.map((t) => t.scope))]
const within = (a: readonly string[], b: readonly string[]): string[] => a.filter((s) => b.includes(s))

/**
 * The user's entitlements minus one scope the agent is registered for and the resource knows,
 * keeping at least one grantable: the subject is narrower than the client's registration there.
 * Undefined when the agent has no two such scopes.
 */
function narrowedEntitlements(agent: RunIdentity, entitled: readonly string[], known: readonly string[]): string[] | undefined {
  const grantable = within(within(agent.scope, entitled), known)
  if (grantable.length < 2) return undefined
  const dropped = grantable[grantable.length - 1]
  return entitled.filter((s) => s !== dropped)
}

/** omitted / empty: the agent's exchange of a narrowed user assertion, with no scope or `scope=`. */
function withoutScope(variant: 'omitted' | 'empty'): AttackModule {
  return {
    id: `escalate.exchange-scope.${variant}`,
    eligible: () => true,
    prepare: async (kit) => populationView(kit),
    async fire(env) {
      const carrier = carrierAgent(env)
      if (!carrier) return
      const { view, agent, principal } = carrier
      const resource = audienceOf(agent.credential.accessToken) ?? env.rs.audience
      const rs = view.resources.find((r) => r.audience === resource) ?? env.rs
      const entitlements = narrowedEntitlements(agent, principal.entitlements, scopesOf(rs))
      if (!entitlements) return
      const assertion = view.idp.assertionFor({ ...principal, entitlements: entitlements as typeof principal.entitlements }, env.meta.issuer)
      const subject = { subjectToken: assertion, subjectTokenType: SUBJECT_JWT, resource }
      await sendTokenAttempt(env, {
        kind: 'attack',
        caseId: this.id,
        tool: TOOL_EXCHANGE,
        // exchangeParams leaves an undefined scope out and sends [] as `scope=` (a parameter without a value)
        wire: tokenRequestWire(env.meta, authOf(agent), exchangeParams(subject, agent.clientId, variant === 'empty' ? { scope: [] } : {})),
        expected: trustedSubject(env.meta, { principal: agent.principal, actors: [agent.clientId], clientId: agent.clientId, tenant: agent.tenant }),
        ceiling: { scope: within(within(agent.scope, entitlements), scopesOf(rs)), aud: resource },
      })
    },
  }
}

export const escalateExchangeScopeOmitted = withoutScope('omitted')
export const escalateExchangeScopeEmpty = withoutScope('empty')

/** The scope an access token carries (read unverified: the population's own tokens). */
function tokenScope(token: string): string[] {
  const scope = unverifiedPayload(token)?.scope
  return typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : []
}

export const escalateExchangeScopeUnregistered: AttackModule = {
  id: 'escalate.exchange-scope.unregistered',
  eligible: () => true,
  prepare: async (kit) => populationView(kit),
  async fire(env) {
    const view = env.prepared as PopulationView
    const pair = delegationPair(view, env.identity, env.salt)
    if (!pair) return
    const { child, parent } = pair
    const subjectToken = parent.credential.accessToken
    const held = tokenScope(subjectToken)
    // only scope the subject holds and the child was not registered for makes the attempt an attack
    if (!held.some((s) => !child.scope.includes(s))) return
    const resource = audienceOf(subjectToken) ?? env.rs.audience
    await sendTokenAttempt(env, {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_EXCHANGE,
      wire: tokenRequestWire(env.meta, authOf(child), exchangeParams({ subjectToken, subjectTokenType: SUBJECT_ACCESS_TOKEN, resource }, child.clientId, { scope: held })),
      expected: trustedSubject(env.meta, { principal: child.principal, actors: child.actors, clientId: child.clientId, tenant: child.tenant }),
      ceiling: { scope: within(child.scope, held), aud: resource },
    })
  },
}
