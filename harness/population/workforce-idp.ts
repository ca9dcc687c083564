/**
 * The simulated workforce identity provider (docs/architecture.md, Delegation model): it signs short user
 * assertions for principals, and the target's authorization server is configured to trust its
 * issuer and JWKS. An agent exchanges such an assertion (RFC 8693, subject_token_type jwt) for a
 * token that names the user as `sub` and the agent as `act`.
 *
 * The issuer is under `.invalid` (RFC 2606 §2): it never resolves, so nothing can fetch from it;
 * targets get its keys directly through `jwks()`, or from the JWKS the harness serves on loopback
 * during a run (jwks-server.ts). The key is fresh per run unless a target trusts a stable one
 * (`gatecrash idp init` writes it once, idp-key-file.ts); the claim that carries the tenant is the
 * target's to name (`tenant` by default).
 *
 * @example
 *   const idp = new WorkforceIdp()
 *   await target.start({ trust: { issuer: idp.issuer, jwks: idp.jwks() }, … })
 *   const subjectToken = idp.assertionFor(principal, meta.issuer)
 */
import { encodeSegment, signCompact } from '../protocol/jws.ts'
import { generateIdentityKey } from '../protocol/identity-key.ts'
import type { IdentityKey, PublicEcJwk } from '../contracts/identity.ts'
import type { SubjectTokenPrincipal, SubjectTokenSource } from '../contracts/target.ts'
import { SUBJECT_JWT } from '../protocol/oauth-client.ts'
import { randomB64url } from '../protocol/random-id.ts'

export const WORKFORCE_IDP_ISSUER = 'https://workforce-idp.gatecrash.invalid'

export interface IdpJwk extends PublicEcJwk {
  kid: string
  alg: 'ES256'
  use: 'sig'
}

export interface UserAssertionClaims {
  iss: string
  sub: string
  aud: string
  iat: number
  exp: number
  jti: string
  scope: string
  /** the principal's tenant, under the claim name the target reads (`tenant` by default) */
  [tenantClaim: string]: string | number | { sub: string }
}

export class WorkforceIdp {
  readonly issuer: string
  readonly tenantClaim: string
  readonly #key: IdentityKey
  readonly #headerB64: string

  constructor(opts: { issuer?: string; key?: IdentityKey; tenantClaim?: string } = {}) {
    this.issuer = opts.issuer ?? WORKFORCE_IDP_ISSUER
    this.tenantClaim = opts.tenantClaim ?? 'tenant'
    this.#key = opts.key ?? generateIdentityKey()
    this.#headerB64 = encodeSegment({ alg: 'ES256', typ: 'JWT', kid: this.#key.kid })
  }

  /** The verification key set the target's AS must trust for this issuer. */
  jwks(): { keys: IdpJwk[] } {
    return { keys: [{ ...this.#key.publicJwk, kid: this.#key.kid, alg: 'ES256', use: 'sig' }] }
  }

  /**
   * A user assertion for `principal`, audience = the AS issuer. `scope` carries the user's
   * entitlements: the ceiling an exchange for this user may grant. `iat` is overridable for the
   * expired-subject lifecycle case.
   */
  assertionFor(
    principal: SubjectTokenPrincipal,
    audience: string,
    ttlS = 300,
    iat = Math.floor(Date.now() / 1000),
    /**
     * RFC 8693 §4.4 `may_act`: the one actor the user allows to act for them; `nbf` (RFC 7519
     * §4.1.5) for the subject-token case that sends an assertion not valid yet
     */
    extra: { may_act?: { sub: string }; nbf?: number } = {},
  ): string {
    const claims: UserAssertionClaims = {
      iss: this.issuer,
      sub: principal.id,
      aud: audience,
      iat,
      exp: iat + ttlS,
      jti: randomB64url(16),
      [this.tenantClaim]: principal.tenant,
      scope: principal.entitlements.join(' '),
      ...extra,
    }
    return signCompact(this.#key.privateKey, this.#headerB64, claims)
  }
}

/** The IdP as the run's source of subject tokens: what a target that trusts it is handed. */
export function idpSubjectTokens(idp: WorkforceIdp): SubjectTokenSource {
  return { tokenType: SUBJECT_JWT, describe: `the harness's workforce IdP (${idp.issuer})`, subjectTokenFor: async (principal, audience) => idp.assertionFor(principal, audience) }
}
