/**
 * unattributed.anon-exchange (RFC 8693 §2.1, §5; TXN §11.5; CHAIN §5.3): an identity's ordinary
 * exchange, valid subject and DPoP proof included, but without client authentication: only a
 * `client_id`, as a public client would send. RFC 8693 leaves unauthenticated exchange to the
 * AS's policy (a warn when accepted) and warns that it lets any thief launder a stolen token. A
 * correct AS here answers invalid_client; nobody authenticated, so the record is anonymous.
 */
import { tokenRequestWire } from '../kit.ts'
import type { AttackModule } from '../types.ts'
import { ordinaryExchange, populationView, type PopulationView } from './population-view.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, untrustedSubject } from './token-attempt.ts'

export const unattributedAnonExchange: AttackModule = {
  id: 'unattributed.anon-exchange',
  eligible: () => true,
  prepare: async (kit) => populationView(kit),
  async fire(env) {
    const self = env.identity
    const own = await ordinaryExchange(env.prepared as PopulationView, env.meta, self)
    if (!own) return
    await sendTokenAttempt(env, {
      kind: 'attack',
      caseId: this.id,
      tool: TOOL_EXCHANGE,
      // the key still signs the DPoP proof: only the client assertion is missing
      wire: tokenRequestWire(env.meta, authOf(self), exchangeParams(own, self.clientId), { assertion: null }),
      expected: untrustedSubject(env.meta, TOOL_EXCHANGE, null, self.tenant),
    })
  },
}
