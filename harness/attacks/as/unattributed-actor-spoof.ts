/**
 * unattributed.actor-spoof (RFC 8693 §2.1, §4.1; TXN-AGENTS SC 3, 7): an identity makes its ordinary
 * exchange but adds `actor_token` = another identity's access token (type access_token), trying to
 * be recorded, and act, as someone else. The AS derives the actor from client authentication
 * alone, so a request naming another actor is refused: 400 invalid_request. It is refused as a
 * request, before the subject token is trusted, so the record names the authenticated client only.
 *
 * Not sent: an extra `act` form parameter. RFC 6749 §3.2 has the AS ignore unknown parameters, so a
 * correct AS may issue an ordinary token for it; that is no spoof and must not grade as a breach.
 */
import type { RunIdentity } from '../../contracts/identity.ts'
import { SUBJECT_ACCESS_TOKEN } from '../../protocol/oauth-client.ts'
import { tokenRequestWire } from '../kit.ts'
import type { AttackModule } from '../types.ts'
import { ordinaryExchange, populationView, type PopulationView } from './population-view.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, untrustedSubject } from './token-attempt.ts'

/** Whose token is claimed as actor: another identity of the same tenant where there is one. */
function impersonated(view: PopulationView, self: RunIdentity, salt: number): RunIdentity | undefined {
  const others = [...view.byClientId.values()].filter((i) => i.clientId !== self.clientId && !self.actors.includes(i.clientId))
  const local = others.filter((i) => i.tenant === self.tenant)
  const pool = local.length > 0 ? local : others
  return pool.length > 0 ? pool[salt % pool.length] : undefined
}

export const unattributedActorSpoof: AttackModule = {
  id: 'unattributed.actor-spoof',
  eligible: () => true,
  prepare: async (kit) => populationView(kit),
  async fire(env) {
    const view = env.prepared as PopulationView
    const self = env.identity
    const own = await ordinaryExchange(view, env.meta, self)
    const other = impersonated(view, self, env.salt)
    if (!own || !other) return
    const params = exchangeParams(own, self.clientId, { actor_token: other.credential.accessToken, actor_token_type: SUBJECT_ACCESS_TOKEN })
    await sendTokenAttempt(env, {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_EXCHANGE,
      wire: tokenRequestWire(env.meta, authOf(self), params),
      expected: untrustedSubject(env.meta, TOOL_EXCHANGE, self.clientId, self.tenant),
    })
  },
}
