/**
 * The oidc-provider configuration of the example AS: dynamic registration behind an initial access
 * token (RFC 7591) with RFC 7592 management (read, update, delete), `private_key_jwt` only
 * (RFC 7523), DPoP (RFC 9449), resource indicators (RFC 8707) issuing JWT access tokens (RFC 9068)
 * per resource server, client credentials, and the token-exchange grant (RFC 8693, token-exchange.ts).
 * What a careful team adds on top of the library defaults is marked "careful:".
 */
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet } from 'jose'
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider'
import type { AuditLog } from '../lib/audit-log.ts'
import type { AsConfig } from './config.ts'
import { auditMiddleware, captureErrors } from './audit.ts'
import { DelegationStore } from './delegation-store.ts'
import { publicJwk, type SigningJwk } from './signing-key.ts'
import type { SqliteStore } from './sqlite-adapter.ts'
import { subjectVerifier } from './subject-token.ts'
import { EXCHANGE_PARAMETERS, GRANT_TOKEN_EXCHANGE, tokenExchangeHandler } from './token-exchange.ts'

export const SERVICE = 'agent-tools-as'

export interface AsDeps {
  config: AsConfig
  issuer: string
  store: SqliteStore
  signingKey: SigningJwk
  audit: AuditLog
}

export function buildProvider({ config, issuer, store, signingKey, audit }: AsDeps): Provider {
  const tokenEndpoint = `${issuer}/token`
  const allScopes = [...new Set([...config.resources.values()].flat())]
  const claimsFor = new WeakMap<object, Record<string, unknown>>()

  const configuration: Configuration = {
    adapter: store.adapter,
    jwks: { keys: [signingKey] },
    clientAuthMethods: ['private_key_jwt'],
    clientDefaults: {
      grant_types: [GRANT_TOKEN_EXCHANGE],
      response_types: [],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      id_token_signed_response_alg: 'ES256',
      dpop_bound_access_tokens: true,
    },
    enabledJWA: {
      clientAuthSigningAlgValues: ['ES256'],
      dPoPSigningAlgValues: ['ES256', 'EdDSA', 'PS256'],
      idTokenSigningAlgValues: ['ES256'],
    },
    scopes: allScopes,
    clockTolerance: 5,
    ttl: {
      // the exchange grant sets each token's own lifetime (never beyond its subject token's exp)
      AccessToken: config.tokenTtlS,
      ClientCredentials: config.tokenTtlS,
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: false },
      introspection: { enabled: false },
      revocation: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: { enabled: true },
      registration: { enabled: true, initialAccessToken: config.initialAccessToken, issueRegistrationAccessToken: true },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx, indicator) => {
          const scopes = config.resources.get(indicator)
          if (scopes === undefined) throw new errors.InvalidTarget()
          return { scope: scopes.join(' '), audience: indicator, accessTokenFormat: 'jwt', accessTokenTTL: config.tokenTtlS, jwt: { sign: { alg: 'ES256' } } }
        },
      },
    },
    // careful: accept exactly this AS's issuer or token endpoint as a client assertion's audience,
    // taken from the configuration; with an array, every member must name this AS (RFC 7523 §3,
    // rfc7523bis). oidc-provider alone accepts any array containing one of them, and derives the
    // token endpoint from the Host header.
    async assertJwtClientAuthClaimsAndHeader(_ctx, claims) {
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
      if (aud.length === 0 || !aud.every((a) => a === issuer || a === tokenEndpoint)) {
        throw new errors.InvalidClientAuth('audience (aud) must be this authorization server\'s issuer or token endpoint')
      }
    },
    // the token-exchange handler decides act, the tenant and sub_type; client credentials: the client acts as itself
    async extraTokenClaims(_ctx, token) {
      return claimsFor.get(token) ?? (token.kind === 'ClientCredentials' ? { sub_type: 'client' } : undefined)
    },
    async renderError(ctx, out) {
      ctx.type = 'json'
      ctx.body = out
    },
    discovery: { token_endpoint_auth_signing_alg_values_supported: ['ES256'] },
  }

  const provider = new Provider(issuer, configuration)
  provider.proxy = false
  // careful: every URL this AS derives (DPoP htu, client assertion audience) comes from its issuer,
  // never from the Host header a client sent
  const issuerHost = new URL(issuer).host
  provider.use(async (ctx, next) => {
    ctx.req.headers.host = issuerHost
    await next()
  })
  const delegation = new DelegationStore(store.db)
  provider.use(auditMiddleware(audit, SERVICE, issuer, (clientId) => delegation.get(clientId)?.tenant ?? null) as Parameters<Provider['use']>[0])
  captureErrors(provider)

  const idpKeys = config.idp.jwks !== null ? createLocalJWKSet(config.idp.jwks as unknown as JSONWebKeySet) : createRemoteJWKSet(new URL(config.idp.jwksUrl!))
  const ownKeys = createLocalJWKSet({ keys: [publicJwk(signingKey)] } as unknown as JSONWebKeySet)
  const handler = tokenExchangeHandler({
    resources: config.resources,
    verifySubject: subjectVerifier({ asIssuer: issuer, idpIssuer: config.idp.issuer, idpKeys, ownKeys, tenantClaim: config.tenantClaim }),
    delegation,
    tenantClaim: config.tenantClaim,
    tokenTtlS: config.tokenTtlS,
    childBindWindowS: config.childBindWindowS,
    flaws: config.flaws,
    claimsFor,
  })
  provider.registerGrantType(GRANT_TOKEN_EXCHANGE, handler as (ctx: KoaContextWithOIDC) => Promise<void>, EXCHANGE_PARAMETERS, ['resource'])
  return provider
}
