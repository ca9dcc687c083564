/**
 * replay.exchange-laundering (RFC 8693 §2.1, §5; docs/architecture.md, delegation model): an agent steals
 * another identity's DPoP-bound access token and exchanges it, authenticated as itself, for a token
 * bound to its own key. RFC 8693 gives the AS no proof of possession of the subject token, so the
 * defence is delegation policy: only a registered child of the subject token's current actor may
 * exchange it. The thief is a top-level agent of the victim's tenant (never anyone's child), so
 * nothing but the delegation rule is wrong: 400 invalid_request (or invalid_grant).
 *
 * The stolen token is genuine, so the deny record names its principal, with the thief as the
 * would-be current actor in front of the victim's chain.
 */
import type { RunIdentity } from '../../contracts/identity.ts'
import { SUBJECT_ACCESS_TOKEN } from '../../protocol/oauth-client.ts'
import { tokenRequestWire } from '../kit.ts'
import type { AttackModule } from '../types.ts'
import { audienceOf, populationView, type PopulationView } from './population-view.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, trustedSubject } from './token-attempt.ts'

/** A top-level agent other than the victim, of the victim's tenant where there is one. */
function thiefFor(view: PopulationView, victim: RunIdentity, salt: number): RunIdentity | undefined {
  const notVictim = (a: RunIdentity) => a.clientId !== victim.clientId
  const local = (view.agentsByTenant.get(victim.tenant) ?? []).filter(notVictim)
  const any = [...view.agentsByTenant.values()].flat().filter(notVictim)
  const pool = local.length > 0 ? local : any
  return pool.length > 0 ? pool[salt % pool.length] : undefined
}

export const replayExchangeLaundering: AttackModule = {
  id: 'replay.exchange-laundering',
  eligible: () => true,
  prepare: async (kit) => populationView(kit),
  async fire(env) {
    const view = env.prepared as PopulationView
    const victim = env.identity
    const thief = thiefFor(view, victim, env.salt)
    if (!thief) return
    const stolen = { subjectToken: victim.credential.accessToken, subjectTokenType: SUBJECT_ACCESS_TOKEN, resource: audienceOf(victim.credential.accessToken) ?? env.rs.audience }
    await sendTokenAttempt(env, {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_EXCHANGE,
      wire: tokenRequestWire(env.meta, authOf(thief), exchangeParams(stolen, thief.clientId)),
      expected: trustedSubject(env.meta, { principal: victim.principal, actors: [thief.clientId, ...victim.actors], clientId: thief.clientId, tenant: thief.tenant }),
    })
  },
}
