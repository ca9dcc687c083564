/**
 * The OAuth client an agent or sub-agent is: RFC 8414 discovery, RFC 7591 registration,
 * RFC 8693 token exchange and client credentials, authenticated with `private_key_jwt`
 * (RFC 7523) and DPoP-bound (RFC 9449 §5). Off the hot path: used at provisioning, on token
 * refresh, and by attack modules that probe the token endpoint.
 *
 * `tokenEndpointRequest` is the raw form (status and body, no throw) for attack cases that expect a
 * refusal; `tokenExchange` / `clientCredentials` throw `OAuthError` on any error response.
 *
 * Connections: `discover(issuer, http)` binds the metadata it returns to `http` (an HttpClient: the
 * target profile's host policy and TLS options), and every call made with that metadata (token
 * endpoint, registration) or with a client registered through it (RFC 7592 deletion) goes through
 * the same client. Each endpoint URL the AS hands over is checked by its host policy when it is
 * called, as a redirect hop would be. Metadata not from discover() (or copied to a worker thread)
 * uses `loopbackHttp`, loopback only.
 *
 * @example
 *   const meta = await discover(target.issuer)
 *   const reg = await registerClient(meta, iat, { key, tenant: 't_1', scope: 'tickets:read', name: 'a1' })
 *   const tok = await tokenExchange(meta, { clientId: reg.clientId, key, subjectToken, subjectTokenType: SUBJECT_JWT, resource })
 */
import { HarnessError, ProvisioningFailed, TargetUnreachable } from '../contracts/errors.ts'
import type { HarnessErrorOptions } from '../contracts/errors.ts'
import { oauthErrorOf } from './challenge.ts'
import { CLIENT_ASSERTION_TYPE, clientAssertion } from './client-assertion.ts'
import { createDpopProof } from './dpop-proof.ts'
import { headerValue, loopbackHttp } from './http.ts'
import type { HttpClient, HttpResponse } from './http.ts'
import type { IdentityKey } from '../contracts/identity.ts'

export const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const GRANT_CLIENT_CREDENTIALS = 'client_credentials'
/** RFC 8693 §3: the principal's IdP assertion */
export const SUBJECT_JWT = 'urn:ietf:params:oauth:token-type:jwt'
/** RFC 8693 §3: a parent's access token (sub-agent hop) */
export const SUBJECT_ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token'

/** RFC 8414 §2 members the harness uses; the rest is kept as sent. */
export interface AsMetadata {
  issuer: string
  token_endpoint: string
  registration_endpoint?: string
  jwks_uri?: string
  revocation_endpoint?: string
  grant_types_supported?: string[]
  token_endpoint_auth_methods_supported?: string[]
  dpop_signing_alg_values_supported?: string[]
  [member: string]: unknown
}

export interface RegisteredClient {
  clientId: string
  /** RFC 7592 credentials to read or delete the registration (cleanup, offboarding) */
  registrationAccessToken?: string
  registrationClientUri?: string
}

/** RFC 6749 §5.1 / RFC 8693 §2.2.1 */
export interface TokenResponse {
  access_token: string
  issued_token_type?: string
  token_type: string
  expires_in?: number
  scope?: string
  /** not from the body: the response's Cache-Control header (RFC 6749 §5.1 requires no-store), null when absent */
  cache_control?: string | null
}

/** An authorization server refused a request (RFC 6749 §5.2, RFC 7591 §3.2.2) or answered malformed. */
export class OAuthError extends HarnessError {
  static override code = 'ERR_OAUTH_RESPONSE'
  override code = 'ERR_OAUTH_RESPONSE'
  status: number
  /** the OAuth `error` code, null when the response carried none */
  error: string | null
  errorDescription: string | null
  endpoint: string
  traceId: string
  constructor(message: string, res: HttpResponse, options: HarnessErrorOptions = {}) {
    super(message, options)
    const body = res.body as { error_description?: unknown } | null
    this.status = res.status
    this.error = oauthErrorOf(res.headers, res.body)
    this.errorDescription = typeof body?.error_description === 'string' ? body.error_description : null
    this.endpoint = res.url
    this.traceId = res.traceId
  }
}

function refused(what: string, res: HttpResponse, hint: string): OAuthError {
  const err = new OAuthError(what, res, { hint })
  // Never quote the body: a malformed 200 can hold a token, and messages end up in logs (docs/architecture.md, Safety).
  const detail = [err.error, err.errorDescription].filter(Boolean).join(': ') || 'no OAuth error code in the response'
  err.message = `${what}: HTTP ${res.status} ${detail}`
  return err
}

/** the HttpClient each metadata document (and each client registered through it) was obtained through */
const clients = new WeakMap<object, HttpClient>()

/** The HttpClient calls with `meta` (or a RegisteredClient) go through: the one it was discovered with. */
export function httpClientFor(meta: object): HttpClient {
  return clients.get(meta) ?? loopbackHttp
}

const joinScope = (scope: string | string[] | undefined) => (Array.isArray(scope) ? scope.join(' ') : scope)

/**
 * RFC 8414 §3. The target contract puts metadata at `${issuer}/.well-known/oauth-authorization-server`
 * (the same URL as RFC 8414 §3.1 for an issuer without a path). §3.3: `issuer` MUST match exactly,
 * or a metadata document could impersonate another AS.
 */
export async function discover(issuer: string, http: HttpClient = loopbackHttp): Promise<AsMetadata> {
  const base = issuer.replace(/\/$/, '')
  const { origin, pathname } = new URL(base)
  const issuerPath = pathname === '/' ? '' : pathname
  // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path. §5: an AS
  // that is also an OpenID Provider may publish only its OpenID Connect Discovery document, which
  // OIDC Discovery §4 appends to the issuer; the members read here are the same in both.
  const candidates = [`${origin}/.well-known/oauth-authorization-server${issuerPath}`, `${base}/.well-known/openid-configuration`]
  let url = candidates[0]
  let res = await http.request(url)
  for (const next of candidates.slice(1)) {
    if (res.status !== 404) break
    url = next
    res = await http.request(url)
  }
  if (res.status !== 200 || res.body === null || typeof res.body !== 'object') {
    throw new TargetUnreachable(`no authorization-server metadata at ${candidates.join(' or ')} (HTTP ${res.status})`, {
      hint: 'The target must serve RFC 8414 metadata under its issuer; check the issuer the target adapter reported.',
    })
  }
  const meta = res.body as AsMetadata
  if (meta.issuer !== issuer) {
    throw new ProvisioningFailed(`metadata issuer ${JSON.stringify(meta.issuer)} does not match ${JSON.stringify(issuer)}`, {
      hint: 'RFC 8414 §3.3: the issuer in the metadata must equal the issuer it was fetched for, character for character.',
    })
  }
  if (typeof meta.token_endpoint !== 'string') {
    throw new ProvisioningFailed(`metadata at ${url} has no token_endpoint`, { hint: 'RFC 8414 §2 requires token_endpoint for these grants.' })
  }
  clients.set(meta, http)
  return meta
}

export interface RegisterOptions {
  key: Pick<IdentityKey, 'publicJwk' | 'kid'>
  scope: string | string[]
  name: string
  /** RFC 7591 §3 initial access token (sent as Bearer); omitted for open registration */
  initialAccessToken?: string
  /** members the target asks for besides the standard metadata (its RegistrationPolicy); they never replace a standard one */
  members?: Record<string, unknown>
  /** RFC 7591 §2 grant_types; default both client credentials and token exchange (a case registers fewer) */
  grantTypes?: string[]
}

/** The RFC 7591 §2 request body registerClient sends (also what a case sends to register without authorization). */
export function registrationMetadata(opts: Omit<RegisterOptions, 'initialAccessToken'>): Record<string, unknown> {
  const standard = {
    client_name: opts.name,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [{ ...opts.key.publicJwk, kid: opts.key.kid, alg: 'ES256', use: 'sig' }] },
    grant_types: opts.grantTypes ?? [GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE],
    scope: joinScope(opts.scope),
    dpop_bound_access_tokens: true,
  }
  return { ...opts.members, ...standard }
}

/** RFC 7591 §3.1 registration: standard metadata for a private_key_jwt client that exchanges tokens. */
export async function registerClient(meta: AsMetadata, opts: RegisterOptions): Promise<RegisteredClient> {
  if (!meta.registration_endpoint) {
    throw new ProvisioningFailed(`${meta.issuer} advertises no registration_endpoint`, {
      hint: 'Dynamic registration (RFC 7591) is required to provision; import pre-provisioned identities instead.',
    })
  }
  const http = httpClientFor(meta)
  const res = await http.request(meta.registration_endpoint, {
    method: 'POST',
    headers: opts.initialAccessToken === undefined ? {} : { authorization: `Bearer ${opts.initialAccessToken}` },
    json: registrationMetadata(opts),
  })
  const body = res.body as { client_id?: unknown; registration_access_token?: unknown; registration_client_uri?: unknown } | null
  if (res.status < 200 || res.status > 299 || typeof body?.client_id !== 'string') {
    throw refused(`registration of ${opts.name}`, res, 'Check the initial access token and the requested tenant/scope (RFC 7591 §3.2.2).')
  }
  const registered: RegisteredClient = {
    clientId: body.client_id,
    registrationAccessToken: typeof body.registration_access_token === 'string' ? body.registration_access_token : undefined,
    registrationClientUri: typeof body.registration_client_uri === 'string' ? body.registration_client_uri : undefined,
  }
  clients.set(registered, http)
  return registered
}

/**
 * RFC 7592 §2.3: delete a registration (cleanup, offboarding). Resolves to the HTTP status. `http`:
 * pass `httpClientFor(meta)` for a registration rebuilt from its parts (ProvisionedIdentity keeps
 * two strings, not the object registerClient returned).
 */
export async function deleteClient(client: RegisteredClient, http: HttpClient = httpClientFor(client)): Promise<number> {
  if (!client.registrationClientUri || !client.registrationAccessToken) {
    throw new TypeError(`client ${client.clientId} has no RFC 7592 registration URI/token to delete it with`)
  }
  const res = await http.request(client.registrationClientUri, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${client.registrationAccessToken}` },
  })
  return res.status
}

export interface TokenRequestAuth {
  clientId: string
  key: Pick<IdentityKey, 'privateKey' | 'kid' | 'dpopHeaderB64'>
}

/**
 * POSTs a token request authenticated with a fresh client assertion (aud = the issuer) and a
 * DPoP proof (htm POST, htu = token endpoint, RFC 9449 §5). If the AS demands a nonce (§8:
 * 400 `use_dpop_nonce` + `DPoP-Nonce`), retries once with it. Never throws on an OAuth error.
 */
export async function tokenEndpointRequest(meta: AsMetadata, auth: TokenRequestAuth, params: Record<string, string | undefined>): Promise<HttpResponse> {
  const send = (nonce?: string) =>
    httpClientFor(meta).request(meta.token_endpoint, {
      method: 'POST',
      headers: { dpop: createDpopProof(auth.key, { htm: 'POST', htu: meta.token_endpoint, nonce }).proof },
      form: {
        ...params,
        client_id: auth.clientId,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: clientAssertion(auth.key, auth.clientId, meta),
      },
    })
  const res = await send()
  const nonce = headerValue(res.headers, 'dpop-nonce')
  if (res.status === 400 && nonce && oauthErrorOf(res.headers, res.body) === 'use_dpop_nonce') return send(nonce)
  return res
}

function tokenResponseOf(what: string, res: HttpResponse): TokenResponse {
  const body = res.body as Partial<TokenResponse> | null
  if (res.status !== 200 || typeof body?.access_token !== 'string' || typeof body.token_type !== 'string') {
    throw refused(what, res, 'The authorization server refused the token request; its `error` says which rule (RFC 6749 §5.2, RFC 8693 §2.2.2).')
  }
  return { ...(body as TokenResponse), cache_control: headerValue(res.headers, 'cache-control') ?? null }
}

export interface TokenExchangeOptions extends TokenRequestAuth {
  subjectToken: string
  subjectTokenType: typeof SUBJECT_JWT | typeof SUBJECT_ACCESS_TOKEN | (string & {})
  /** RFC 8707 resource indicator: the resource server's audience */
  resource: string
  scope?: string | string[]
}

/** RFC 8693 §2.1 token exchange. */
export async function tokenExchange(meta: AsMetadata, opts: TokenExchangeOptions): Promise<TokenResponse> {
  const res = await tokenEndpointRequest(meta, opts, {
    grant_type: GRANT_TOKEN_EXCHANGE,
    subject_token: opts.subjectToken,
    subject_token_type: opts.subjectTokenType,
    resource: opts.resource,
    scope: joinScope(opts.scope),
  })
  return tokenResponseOf(`token exchange by ${opts.clientId}`, res)
}

export interface ClientCredentialsOptions extends TokenRequestAuth {
  resource: string
  scope?: string | string[]
}

/** RFC 6749 §4.4 client credentials: an agent acting on its own (`sub` = its client id). */
export async function clientCredentials(meta: AsMetadata, opts: ClientCredentialsOptions): Promise<TokenResponse> {
  const res = await tokenEndpointRequest(meta, opts, {
    grant_type: GRANT_CLIENT_CREDENTIALS,
    resource: opts.resource,
    scope: joinScope(opts.scope),
  })
  return tokenResponseOf(`client credentials for ${opts.clientId}`, res)
}
