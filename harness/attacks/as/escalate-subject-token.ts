/**
 * escalate.subject-token.* (RFC 8693 §2.1, §2.2.2; RFC 7519 §4.1.3, §4.1.5; RFC 8725 §3.1): an
 * agent exchanges a user assertion the AS must not trust, to get a token that acts for that user.
 * The AS refuses before trusting the subject: 400 invalid_request (invalid_grant is also seen), and
 * the record names the authenticated agent only (no principal, no actors).
 *
 * - unknown-key: every claim as the trusted IdP makes them (iss included), signed by a fresh key
 *   under its own kid: an AS that verifies against any key, or the one the token brings, accepts it;
 * - alg-none: the same claims under `alg: none` and an empty signature;
 * - other-aud: a genuine assertion the IdP made for another AS (its issuer on another port, or
 *   that AS's token endpoint), replayed here;
 * - nbf-future: a genuine assertion whose `nbf` is an hour ahead;
 * - client-assertion (RFC 8725 §3.12): the agent's own client assertion (iss = sub = the agent,
 *   aud = this AS, signed with its registered key) with the tenant and scope claims a subject
 *   carries, as a JWT subject token: an AS that checks every JWT against every key it knows, and
 *   not its kind, lets the agent act for a subject it wrote itself.
 *
 * The forged ones (unknown-key, alg-none) copy the claims of a real subject token from the run's
 * source, so only the signature differs; other-aud and nbf-future need the harness's workforce
 * IdP (`harnessIdp`) to sign an assertion with those claims.
 */
import { generateIdentityKey } from '../../protocol/identity-key.ts'
import { unverifiedPayload } from '../../protocol/jws.ts'
import { SUBJECT_JWT } from '../../protocol/oauth-client.ts'
import type { RunIdentity } from '../../contracts/identity.ts'
import { clientAssertionClaims } from '../../protocol/client-assertion.ts'
import type { Principal } from '../../population/spec.ts'
import { tokenRequestWire } from '../kit.ts'
import { compactJws } from '../rs/forge-jws.ts'
import { CaseNotCovered, type ActionEnv, type AttackModule } from '../types.ts'
import { audienceOf, populationView, topAgent, type PopulationView } from './population-view.ts'
import { authOf, exchangeParams, sendTokenAttempt, TOOL_EXCHANGE, untrustedSubject } from './token-attempt.ts'
import { foreignAudience } from './unattributed-client-assertion.ts'

export type SubjectTokenVariant = 'unknown-key' | 'alg-none' | 'other-aud' | 'nbf-future' | 'client-assertion'

const NBF_AHEAD_S = 3600
const LIFETIME_S = 300

type NbfMinter = (principal: Principal, audience: string, ttlS: number, iat: number, claims: { nbf: number }) => string

/** A genuine assertion with `nbf` that far ahead (and exp after it), or null when the IdP cannot make one. */
function notYetValid(view: PopulationView, principal: Principal, audience: string, nowS: number): string | null {
  const mint = view.idp.assertionFor as unknown as NbfMinter
  const nbf = nowS + NBF_AHEAD_S
  const token = mint.call(view.idp, principal, audience, NBF_AHEAD_S + LIFETIME_S, nowS, { nbf })
  return unverifiedPayload(token)?.nbf === nbf ? token : null
}

/** The subject token of one variant for `principal`, exchanged by `agent`. */
export async function subjectTokenOf(variant: SubjectTokenVariant, env: ActionEnv, view: PopulationView, principal: Principal, agent: RunIdentity): Promise<string | null> {
  const nowS = Math.floor(Date.now() / 1000)
  switch (variant) {
    case 'unknown-key': {
      const claims = unverifiedPayload(await view.subjects.subjectTokenFor(principal, env.meta.issuer))
      const stranger = generateIdentityKey()
      return claims && compactJws({ alg: 'ES256', typ: 'JWT', kid: stranger.kid }, claims, { es256: stranger.privateKey })
    }
    case 'alg-none': {
      const claims = unverifiedPayload(await view.subjects.subjectTokenFor(principal, env.meta.issuer))
      return claims && compactJws({ alg: 'none', typ: 'JWT' }, claims, { raw: Buffer.alloc(0) })
    }
    case 'other-aud':
      return view.idp.assertionFor(principal, foreignAudience(env.meta, env.salt))
    case 'nbf-future':
      return notYetValid(view, principal, env.meta.issuer, nowS)
    case 'client-assertion': {
      const key = agent.credential.key
      const claims = { ...clientAssertionClaims(agent.clientId, env.meta.issuer), tenant: agent.tenant, scope: agent.scope.join(' ') }
      return compactJws({ alg: 'ES256', typ: 'JWT', kid: key.kid }, claims, { es256: key.privateKey })
    }
  }
}

function module(variant: SubjectTokenVariant): AttackModule {
  return {
    id: `escalate.subject-token.${variant}`,
    eligible: () => true,
    async prepare(kit) {
      const view = populationView(kit)
      if (variant === 'nbf-future' && (kit.principals.length === 0 || notYetValid(view, kit.principals[0], kit.meta.issuer, Math.floor(Date.now() / 1000)) === null)) {
        throw new CaseNotCovered('the workforce IdP cannot put nbf into a user assertion')
      }
      return view
    },
    async fire(env) {
      const view = env.prepared as PopulationView
      // the agent at the top of the carrier's chain: the one whose ordinary exchange takes a user assertion
      const agent = topAgent(view, env.identity)
      const principal = view.principals.get(agent.principal)
      if (!principal) return
      const subjectToken = await subjectTokenOf(variant, env, view, principal, agent)
      if (subjectToken === null) return
      const subject = { subjectToken, subjectTokenType: SUBJECT_JWT, resource: audienceOf(agent.credential.accessToken) ?? env.rs.audience }
      await sendTokenAttempt(env, {
        kind: 'attack',
        caseId: this.id,
        tool: TOOL_EXCHANGE,
        wire: tokenRequestWire(env.meta, authOf(agent), exchangeParams(subject, agent.clientId)),
        expected: untrustedSubject(env.meta, TOOL_EXCHANGE, agent.clientId, agent.tenant),
      })
    },
  }
}

export const escalateSubjectTokenUnknownKey = module('unknown-key')
export const escalateSubjectTokenAlgNone = module('alg-none')
export const escalateSubjectTokenOtherAud = module('other-aud')
export const escalateSubjectTokenNbfFuture = module('nbf-future')
export const escalateSubjectTokenClientAssertion = module('client-assertion')
