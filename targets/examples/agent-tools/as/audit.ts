/**
 * The AS's audit trail: one record per decision at the token endpoint (every grant) and at the
 * registration endpoints, allowed or denied, in this application's field names (README.md, "Audit
 * records"). A Koa middleware placed in front of oidc-provider's routes writes the record once the
 * route has answered; the grant handler and oidc-provider's error events fill in what it learned.
 */
import type { KoaContextWithOIDC, Provider } from 'oidc-provider'
import type { AuditLog, AuditRecord } from '../lib/audit-log.ts'
import { actorChain, requestIdOf, sha256b64url, traceIdOf } from '../lib/correlation.ts'
import type { Reasoned } from './refusal.ts'

/** What one request established, as the handler and oidc-provider learn it. */
export interface Facts {
  tool: string | null
  user: string | null
  userKind: 'human' | 'agent' | null
  delegation: string[]
  keyThumbprint: string | null
  tenant: string | null
  scopesNeeded: string[]
  scopesHeld: string[]
  scopesGranted: string[] | null
  subjectTokenHash: string | null
  issuedToken: string | null
  error: (Error & Reasoned & { error?: string; error_detail?: string; error_description?: string }) | null
  extra: Record<string, unknown>
}

const FACTS = new WeakMap<object, Facts>()

export function factsOf(ctx: object): Facts {
  let f = FACTS.get(ctx)
  if (f === undefined) {
    f = { tool: null, user: null, userKind: null, delegation: [], keyThumbprint: null, tenant: null, scopesNeeded: [], scopesHeld: [], scopesGranted: null, subjectTokenHash: null, issuedToken: null, error: null, extra: {} }
    FACTS.set(ctx, f)
  }
  return f
}

// `client` is RFC 7592's read: a refused read (another client's registration access token, a
// deleted client's) is a decision about a client's registration like the others
const AUDITED_ROUTES = new Set(['token', 'registration', 'client', 'client_delete', 'client_update'])
const ERROR_EVENTS = ['grant.error', 'registration_create.error', 'registration_delete.error', 'registration_update.error', 'server_error']

const GRANT_TOOL: Record<string, string> = {
  'urn:ietf:params:oauth:grant-type:token-exchange': 'token.exchange',
  client_credentials: 'token.client_credentials',
}

/** Keeps the error oidc-provider handled for a request, so the record can give its reason. */
export function captureErrors(provider: Provider): void {
  const emitter = provider as unknown as NodeJS.EventEmitter
  for (const event of ERROR_EVENTS) emitter.on(event, (ctx: object, err: Facts['error']) => (factsOf(ctx).error = err))
}

interface TokenClaims {
  jti?: string
  sub?: string
  aud?: string | string[]
  scope?: string
  client_id?: string
  act?: unknown
  cnf?: { jkt?: string }
  sub_type?: string
  [claim: string]: unknown
}

/** Claims of a token this AS just issued (its own output: read without verifying). */
function issuedClaims(token: string | null): TokenClaims | null {
  if (token === null) return null
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as TokenClaims
  } catch {
    return null
  }
}

/** This deployment's reason code for an error oidc-provider raised itself (its own refusals carry `why`). */
function libraryReason(route: string, grantTool: string | null, err: Facts['error'], error: string | undefined): string {
  const detail = `${err?.error_detail ?? ''} ${err?.error_description ?? ''}`.toLowerCase()
  const area = route === 'token' ? (grantTool === 'token.exchange' ? 'exchange' : 'client') : 'client'
  switch (error) {
    case 'invalid_client':
      if (detail.includes('expired') || detail.includes('"exp"')) return 'client.assertion_expired'
      if (detail.includes('aud')) return 'client.assertion_audience'
      if (detail.includes('jti') || detail.includes('replay')) return 'client.assertion_replayed'
      if (detail.includes('not found')) return 'client.unknown'
      return 'client.authentication_failed'
    case 'invalid_request':
      // oidc-provider's client authentication refuses a client_id that disagrees with the
      // assertion, or a malformed assertion, as invalid_request: still a client-authentication refusal
      if (/client_id mismatch|client authentication|client_assertion|assertion/.test(detail)) return 'client.authentication_invalid'
      // a parameter sent twice is refused before any grant logic: a request-policy refusal (RFC 6749 §3.2)
      if (/must not be provided twice/.test(detail)) return 'policy.repeated_parameter'
      return `${area}.invalid_request`
    case 'invalid_dpop_proof':
      return detail.includes('replay') ? 'dpop.replayed' : 'dpop.invalid_proof'
    case 'use_dpop_nonce':
      return 'dpop.nonce_required'
    case 'invalid_token':
      return route === 'registration' ? 'client.initial_access_token' : 'client.registration_access_token'
    case 'invalid_client_metadata':
    case 'invalid_redirect_uri':
      return 'client.invalid_metadata'
    case 'unauthorized_client':
      return 'client.grant_not_allowed'
    case 'invalid_target':
      return `${area}.unknown_target`
    case 'invalid_scope':
      // an exchange narrows a delegation (its own area); client credentials ask for the client's own rights
      return grantTool === 'token.client_credentials' ? 'scope.not_allowed' : `${area}.scope_not_allowed`
    case 'server_error':
      return 'system.error'
    default:
      return `${area}.${error ?? 'refused'}`
  }
}

/** `issuer`: the deciding server's identifier, the record's `audience` (the resource asked for is `facts.requested_target`). */
export function auditMiddleware(log: AuditLog, service: string, issuer: string, tenantOf: (clientId: string) => string | null = () => null) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> => {
    const facts = factsOf(ctx)
    try {
      await next()
    } finally {
      const route = (ctx.oidc as { route?: string } | undefined)?.route
      if (route !== undefined && AUDITED_ROUTES.has(route)) log.write(recordOf(ctx, route, facts, service, issuer, tenantOf))
    }
  }
}

function recordOf(ctx: KoaContextWithOIDC, route: string, f: Facts, service: string, issuer: string, tenantOf: (clientId: string) => string | null): AuditRecord {
  const status = ctx.status
  const allowed = status >= 200 && status < 300
  const body = (ctx.body !== null && typeof ctx.body === 'object' ? ctx.body : {}) as Record<string, unknown>
  const error = typeof body.error === 'string' ? body.error : undefined
  const params = (ctx.oidc.params ?? {}) as Record<string, unknown>
  const grantTool = route === 'token' ? (GRANT_TOOL[String(params.grant_type)] ?? `token.${String(params.grant_type ?? 'unknown').slice(0, 64)}`) : null
  const tool = f.tool ?? grantTool ?? (route === 'registration' ? 'client.register' : route === 'client' ? 'client.read' : route === 'client_delete' ? 'client.delete' : 'client.update')
  // oidc-provider loads the client before checking its credentials: it is "the client" only once authenticated
  const authenticated = error !== 'invalid_client' ? (ctx.oidc.client?.clientId ?? null) : null
  const issued = allowed && route === 'token' ? (f.issuedToken ?? (typeof body.access_token === 'string' ? body.access_token : null)) : null
  const claims = issuedClaims(issued)
  const facts: Record<string, unknown> = { ...f.extra, ...(f.error?.facts ?? {}) }
  if (!allowed && f.error?.why === undefined && f.error?.error_detail !== undefined) facts.library_detail = String(f.error.error_detail).slice(0, 200)
  if (!allowed && error === 'invalid_client' && typeof params.client_id === 'string') facts.claimed_client = params.client_id.slice(0, 128)
  if (route === 'registration' && allowed && typeof body.client_id === 'string') facts.registered_client = body.client_id
  if (allowed && f.scopesGranted !== null) facts.granted_scope = f.scopesGranted
  const client = authenticated ?? (route === 'registration' && allowed && typeof body.client_id === 'string' ? body.client_id : null)

  let user = f.user
  let userKind = f.userKind
  let delegation = f.delegation
  let tenant = f.tenant
  if (claims !== null && user === null) {
    // client credentials: the agent acts as itself
    user = claims.sub ?? null
    userKind = claims.sub_type === 'user' ? 'human' : 'agent'
    delegation = actorChain(claims.act)
  } else if (grantTool === 'token.client_credentials' && user === null && authenticated !== null && error === 'invalid_scope') {
    // a client-credentials request refused for its scope is the authenticated agent asking for
    // itself (one refused the grant itself is refused before it acts as anyone: client only)
    user = authenticated
    userKind = 'agent'
  }
  // an agent acting as itself is in the tenant its first exchange bound it to (delegation store)
  if (grantTool === 'token.client_credentials' && tenant === null && authenticated !== null) tenant = tenantOf(authenticated)
  const scopeOf = (s: unknown): string[] => (typeof s === 'string' ? s.split(' ').filter(Boolean) : [])
  return {
    time: new Date().toISOString(),
    service,
    outcome: allowed ? 'allowed' : 'denied',
    why: allowed ? 'ok' : (f.error?.why ?? libraryReason(route, grantTool, f.error, error)),
    http_status: status,
    oauth_error: error ?? null,
    user,
    user_kind: userKind,
    client,
    delegation,
    key_thumbprint: f.keyThumbprint ?? claims?.cnf?.jkt ?? null,
    audience: issuer,
    method: ctx.method,
    path: ctx.path,
    tool,
    tenant,
    scopes_needed: f.scopesNeeded.length > 0 ? f.scopesNeeded : scopeOf(params.scope),
    scopes_held: f.scopesHeld.length > 0 ? f.scopesHeld : claims !== null ? scopeOf(claims.scope) : [],
    trace: traceIdOf(ctx.get('traceparent') || undefined),
    request_id: requestIdOf(ctx.get('x-request-id') || undefined),
    token_id: claims?.jti ?? null,
    token_sha256: issued !== null ? sha256b64url(issued) : null,
    subject_token_sha256: f.subjectTokenHash,
    facts,
  }
}
