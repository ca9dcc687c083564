// Types for the one oidc-provider module this example imports by path. oidc-provider hands its
// DPoP helpers only to its own grants; a grant registered with registerGrantType must import them
// (other oidc-provider deployments with a token-exchange grant do the same). The package version is
// pinned exactly in package.json, because a private path can change in any release.
declare module 'oidc-provider/lib/helpers/validate_dpop.js' {
  import type { KoaContextWithOIDC, Provider } from 'oidc-provider'

  export interface DpopResult {
    /** RFC 7638 thumbprint of the proof's public key */
    thumbprint: string
    jti: string
    iat: number
  }

  /** RFC 9449 §4.3 checks for the token endpoint (htm, htu from the issuer's routes, iat window, signature, typ, alg); undefined without a DPoP header. */
  export default function validateDpop(provider: Provider, ctx: KoaContextWithOIDC, accessToken?: string): Promise<DpopResult | undefined>

  /** Refuses a proof jti already seen for this client (ReplayDetection model, i.e. the adapter). */
  export function checkDpopReplay(
    provider: Provider,
    ctx: KoaContextWithOIDC,
    dPoP: DpopResult | undefined,
    clientId: string,
    ErrorClass?: new (description?: string) => Error,
  ): Promise<void>
}
