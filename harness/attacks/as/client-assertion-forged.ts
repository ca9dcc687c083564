/**
 * unattributed.client-assertion.* beyond audience and expiry (RFC 7523 §3, RFC 7521 §4.2, RFC 8725
 * §3.1): an ordinary exchange authenticated by an assertion that proves the wrong thing. No client
 * is authenticated, so a correct AS answers invalid_client and records nobody.
 *
 * Who signs (RFC 7523 §3 (9); RFC 8725 §3.1):
 * - unregistered-key: a fresh ES256 key no client registered (its own kid);
 * - alg-none: `alg: none`, empty signature;
 * - hs256-public-key: HS256 keyed with the client's public key, as JWK JSON or PEM (by salt): an
 *   AS that takes the algorithm from the header and the key material as it has it accepts it.
 *
 * Whose assertion (RFC 7523 §3 (1), (2); RFC 7521 §4.2), with another agent of the population as
 * the victim; the carrier holds only its own key:
 * - other-client-key: iss = sub = client_id = the victim, signed with the carrier's key and kid, for
 *   the victim's ordinary exchange: impersonation, if the AS finds the key by kid and trusts iss;
 * - iss-not-sub: iss = the carrier, sub = the victim, signed with the carrier's key;
 * - client-id-mismatch: the carrier's valid assertion with `client_id` = the victim.
 *
 * Kind (RFC 8725 §3.12):
 * - access-token: the carrier's own access token (at+jwt, signed by the AS, naming it in
 *   `client_id`) as `client_assertion`: a JWT the AS trusts, of the wrong kind.
 *
 * Lifetime (RFC 7523 §3 (4)-(6)):
 * - no-exp (MUST): no `exp` at all;
 * - nbf-future (MAY): `nbf` ten minutes ahead, `exp` after it;
 * - iat-old (MAY): `iat` a day back, `exp` a minute ahead.
 */
import { createPublicKey } from 'node:crypto'
import type { RunIdentity } from '../../contracts/identity.ts'
import { assertionAudience } from '../../protocol/client-assertion.ts'
import { generateIdentityKey } from '../../protocol/identity-key.ts'
import { randomB64url } from '../../protocol/random-id.ts'
import { tokenRequestWire } from '../kit.ts'
import { compactJws, type Signer } from '../rs/forge-jws.ts'
import type { ActionEnv, AttackModule } from '../types.ts'
import { ordinaryExchange, populationView, type Exchange, type PopulationView } from './population-view.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, untrustedSubject } from './token-attempt.ts'

export type ForgedAssertionVariant =
  | 'unregistered-key'
  | 'alg-none'
  | 'hs256-public-key'
  | 'other-client-key'
  | 'iss-not-sub'
  | 'client-id-mismatch'
  | 'no-exp'
  | 'nbf-future'
  | 'iat-old'
  | 'access-token'

/** Another agent than `self`, of its tenant where there is one: the identity the carrier would pass for. */
export function victimOf(view: PopulationView, self: RunIdentity, salt: number): RunIdentity | undefined {
  const sameTenant = (view.agentsByTenant.get(self.tenant) ?? []).filter((i) => i.clientId !== self.clientId)
  const pool = sameTenant.length > 0 ? sameTenant : [...view.agentsByTenant.values()].flat().filter((i) => i.clientId !== self.clientId)
  return pool.length > 0 ? pool[salt % pool.length] : undefined
}

interface Forged {
  /** whose ordinary exchange is sent */
  exchanger: RunIdentity
  /** the `client_id` form parameter */
  clientId: string
  assertion: string
}

/** The claims a legitimate assertion of `clientId` has (RFC 7523 §3), before a variant changes one. */
function claims(clientId: string, aud: string, nowS: number): Record<string, unknown> {
  return { iss: clientId, sub: clientId, aud, jti: randomB64url(16), iat: nowS, exp: nowS + 60 }
}

/** The client's public key as the bytes an algorithm-confused AS would use as an HMAC secret. */
function publicKeyBytes(self: RunIdentity, salt: number): string {
  const jwk = self.credential.key.publicJwk
  return salt % 2 === 0 ? JSON.stringify(jwk) : createPublicKey({ key: { ...jwk }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
}

export function forgeAssertion(variant: ForgedAssertionVariant, env: ActionEnv, view: PopulationView): Forged | undefined {
  const self = env.identity
  const key = self.credential.key
  const aud = assertionAudience(env.meta)
  const now = Math.floor(Date.now() / 1000)
  const own = (payload: Record<string, unknown>, signer: Signer = { es256: key.privateKey }, alg = 'ES256', kid: string = key.kid): string =>
    compactJws({ alg, typ: 'JWT', kid }, payload, signer)
  switch (variant) {
    case 'unregistered-key': {
      const stranger = generateIdentityKey()
      return { exchanger: self, clientId: self.clientId, assertion: own(claims(self.clientId, aud, now), { es256: stranger.privateKey }, 'ES256', stranger.kid) }
    }
    case 'alg-none':
      return { exchanger: self, clientId: self.clientId, assertion: own(claims(self.clientId, aud, now), { raw: Buffer.alloc(0) }, 'none') }
    case 'hs256-public-key':
      return { exchanger: self, clientId: self.clientId, assertion: own(claims(self.clientId, aud, now), { hs256: publicKeyBytes(self, env.salt) }, 'HS256') }
    case 'other-client-key': {
      const victim = victimOf(view, self, env.salt)
      return victim && { exchanger: victim, clientId: victim.clientId, assertion: own(claims(victim.clientId, aud, now)) }
    }
    case 'iss-not-sub': {
      const victim = victimOf(view, self, env.salt)
      return victim && { exchanger: self, clientId: self.clientId, assertion: own({ ...claims(self.clientId, aud, now), sub: victim.clientId }) }
    }
    case 'client-id-mismatch': {
      const victim = victimOf(view, self, env.salt)
      return victim && { exchanger: self, clientId: victim.clientId, assertion: own(claims(self.clientId, aud, now)) }
    }
    case 'no-exp': {
      const { exp: _exp, ...rest } = claims(self.clientId, aud, now)
      return { exchanger: self, clientId: self.clientId, assertion: own(rest) }
    }
    case 'nbf-future':
      return { exchanger: self, clientId: self.clientId, assertion: own({ ...claims(self.clientId, aud, now), nbf: now + 600, exp: now + 660 }) }
    case 'iat-old':
      return { exchanger: self, clientId: self.clientId, assertion: own({ ...claims(self.clientId, aud, now), iat: now - 86_400 }) }
    case 'access-token':
      return { exchanger: self, clientId: self.clientId, assertion: self.credential.accessToken }
  }
}

function module(variant: ForgedAssertionVariant): AttackModule {
  return {
    id: `unattributed.client-assertion.${variant}`,
    eligible: () => true,
    prepare: async (kit) => populationView(kit),
    async fire(env) {
      const view = env.prepared as PopulationView
      const forged = forgeAssertion(variant, env, view)
      if (!forged) return
      const x: Exchange | undefined = await ordinaryExchange(view, env.meta, forged.exchanger)
      if (!x) return
      await sendTokenAttempt(env, {
        kind: 'attack',
        caseId: this.id,
        tool: TOOL_EXCHANGE,
        // the DPoP proof is the carrier's own: only the assertion is wrong
        wire: tokenRequestWire(env.meta, authOf(env.identity), exchangeParams(x, forged.clientId), { assertion: forged.assertion }),
        expected: untrustedSubject(env.meta, TOOL_EXCHANGE, null, env.identity.tenant),
      })
    },
  }
}

export const unattributedClientAssertionUnregisteredKey = module('unregistered-key')
export const unattributedClientAssertionAlgNone = module('alg-none')
export const unattributedClientAssertionHs256PublicKey = module('hs256-public-key')
export const unattributedClientAssertionOtherClientKey = module('other-client-key')
export const unattributedClientAssertionIssNotSub = module('iss-not-sub')
export const unattributedClientAssertionClientIdMismatch = module('client-id-mismatch')
export const unattributedClientAssertionNoExp = module('no-exp')
export const unattributedClientAssertionNbfFuture = module('nbf-future')
export const unattributedClientAssertionIatOld = module('iat-old')
export const unattributedClientAssertionAccessToken = module('access-token')
