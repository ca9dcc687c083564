/**
 * replay.token-dpop.* (RFC 9449 §5, §5.2, §4.3): the carrier's ordinary exchange, correctly
 * authenticated, with a DPoP proof the token endpoint must refuse. RFC 9449 §5: "If the DPoP proof
 * is invalid, the authorization server issues an error response per Section 5.2 of [RFC6749] with
 * invalid_dpop_proof as the value of the error parameter." The client is authenticated, no subject
 * is trusted yet, so the record names the client only.
 *
 * - other-uri: a proof for a tool URL of a resource server (htu), as one captured there would be;
 * - other-method: a proof for GET on the token endpoint (htm);
 * - alg-none: `alg: none`, empty signature, the carrier's own jwk;
 * - missing: no DPoP header at all. The harness registers every client with
 *   dpop_bound_access_tokens true, and §5.2 says the AS "MUST reject token requests from the
 *   client that do not contain the DPoP header" without naming the error: invalid_dpop_proof or
 *   invalid_request; a Bearer token is the breach.
 */
import { createDpopProof, dpopProofPayload } from '../../protocol/dpop-proof.ts'
import { tokenRequestWire } from '../kit.ts'
import { compactJws } from '../rs/forge-jws.ts'
import { htuOf } from '../rs/tool-call.ts'
import type { ActionEnv, AttackModule } from '../types.ts'
import { ordinaryExchange, populationView, type PopulationView } from './population-view.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, untrustedSubject } from './token-attempt.ts'

export type TokenDpopVariant = 'other-uri' | 'other-method' | 'alg-none' | 'missing'

/** The DPoP header value of one variant (null: none sent). */
export function tokenProof(variant: TokenDpopVariant, env: ActionEnv): string | null {
  const key = env.identity.credential.key
  const tokenEndpoint = env.meta.token_endpoint
  switch (variant) {
    case 'other-uri': {
      const tool = env.rs.tools[env.salt % env.rs.tools.length]
      return createDpopProof(key, { htm: 'POST', htu: htuOf(env.rs, tool, env.identity.tenant, `r${env.salt % 1000}`) }).proof
    }
    case 'other-method':
      return createDpopProof(key, { htm: 'GET', htu: tokenEndpoint }).proof
    case 'alg-none':
      return compactJws({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk }, dpopProofPayload({ htm: 'POST', htu: tokenEndpoint }), { raw: Buffer.alloc(0) })
    case 'missing':
      return null
  }
}

function module(variant: TokenDpopVariant): AttackModule {
  return {
    id: `replay.token-dpop.${variant}`,
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
        wire: tokenRequestWire(env.meta, authOf(self), exchangeParams(own, self.clientId), { proof: tokenProof(variant, env) }),
        expected: untrustedSubject(env.meta, TOOL_EXCHANGE, self.clientId, self.tenant),
      })
    },
  }
}

export const replayTokenDpopOtherUri = module('other-uri')
export const replayTokenDpopOtherMethod = module('other-method')
export const replayTokenDpopAlgNone = module('alg-none')
export const replayTokenDpopMissing = module('missing')
