/**
 * The two grants and the delegation policy. client_credentials: an agent acting for itself.
 * Token exchange (RFC 8693): an agent acting for a user (subject = the workforce IdP's assertion),
 * or a sub-agent acting for its parent (subject = the parent's access token). Every hop keeps
 * `sub`, nests `act` with the new actor first (always the authenticated client), can only narrow
 * scope, and keeps the parent's audience.
 */
import { b64urlSha256 } from '../../../harness/protocol/token-hash.ts'
import { Refusal } from '../shared/oauth-error.ts'
import { intersect, isSubset, isValidScopeString, parseScope } from '../shared/scope.ts'
import { flawed, type AsContext } from './as-context.ts'
import type { Audit } from './as-evidence.ts'
import { GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE, type RegisteredClient } from './client-registry.ts'
import { actorClaim, checkMayAct, flattenAct, TYPE_ACCESS_TOKEN, TYPE_JWT, verifySubject, type Act } from './exchange-subject.ts'

export { TYPE_ACCESS_TOKEN, TYPE_JWT, type Act } from './exchange-subject.ts'

export interface Grant {
  sub: string
  principalType: 'user' | 'agent'
  tenant: string
  act?: Act
  clientId: string
  scope: string[]
  aud: string
}

function requireGrantType(ctx: AsContext, client: RegisteredClient, grant: string): void {
  // flaw `grant-type-unchecked`: any supported grant for any client, whatever it registered
  if (!client.grant_types.includes(grant) && !flawed(ctx, 'grant-type-unchecked')) throw new Refusal(400, 'unauthorized_client', 'client.grant_not_allowed', `client is not registered for ${grant}`)
}

/**
 * RFC 8707: exactly one resource, and one this AS knows. `anyTarget` (flaw
 * `exchange-target-unchecked`) takes any single value, with the scopes of every known server.
 */
function resolveResource(ctx: AsContext, params: URLSearchParams, reason: string, audit: Audit, anyTarget = false): { aud: string; scopes: string[] } {
  const resources = params.getAll('resource')
  audit.detail.requested_target = resources.length === 1 ? resources[0].slice(0, 512) : resources.slice(0, 8)
  const scopes = resources.length === 1 ? ctx.resources.get(resources[0]) : undefined
  if (scopes !== undefined) return { aud: resources[0], scopes }
  if (anyTarget && resources.length === 1) return { aud: resources[0], scopes: [...new Set([...ctx.resources.values()].flat())] }
  throw new Refusal(400, 'invalid_target', reason, 'resource must name exactly one known resource server')
}

/**
 * The scope asked for; null when none was. `scope=` (or only spaces) counts as none: RFC 6749 §3.2,
 * a parameter sent without a value is treated as omitted (the §3.3 ABNF has no empty scope).
 */
function requestedScope(params: URLSearchParams): string[] | null {
  const raw = params.get('scope')
  if (raw === null || raw.trim() === '') return null
  if (!isValidScopeString(raw)) throw new Refusal(400, 'invalid_scope', 'scope.malformed', 'scope is not a valid scope string')
  return parseScope(raw)
}

/** Picks the granted scope: what was asked for, which must lie within `allowed`; by default all of it. */
function narrow(params: URLSearchParams, allowed: string[], audit: Audit, widenReason: string): string[] {
  const requested = requestedScope(params)
  audit.requested = requested ?? allowed
  audit.held = allowed
  if (requested !== null && !isSubset(requested, allowed)) {
    audit.detail.requested_scope = requested
    throw new Refusal(400, 'invalid_scope', widenReason, 'requested scope exceeds what this client may hold here', { requested_scope: requested, allowed_scope: allowed })
  }
  const granted = requested ?? allowed
  if (granted.length === 0) throw new Refusal(400, 'invalid_scope', 'scope.empty', 'no scope can be granted')
  return granted
}

/**
 * Flaw `exchange-omitted-scope-widens`: an exchange that asks for no scope (absent, or empty, which
 * RFC 6749 §3.2 treats as absent) gets the client's registered scope as its default, the subject's
 * scope forgotten. The correct default is everything the client may hold here, and no more.
 */
function defaultsToRegistration(ctx: AsContext, params: URLSearchParams): boolean {
  return flawed(ctx, 'exchange-omitted-scope-widens') && requestedScope(params) === null
}

/**
 * What a client may hold on its own account at a resource: its registration ∩ the resource's scopes.
 * Flaw `client-credentials-scope-unchecked`: whatever it asks for is added to that (the request is
 * echoed, as where scope is thought to be the resource server's business), so no request is too wide.
 */
function ownAccountScope(ctx: AsContext, client: RegisteredClient, scopes: string[], params: URLSearchParams): string[] {
  const allowed = intersect(client.scope, scopes)
  return flawed(ctx, 'client-credentials-scope-unchecked') ? [...new Set([...allowed, ...(requestedScope(params) ?? [])])] : allowed
}

export function clientCredentialsGrant(ctx: AsContext, client: RegisteredClient, params: URLSearchParams, audit: Audit): Grant {
  requireGrantType(ctx, client, GRANT_CLIENT_CREDENTIALS)
  audit.principal = { sub: client.client_id, type: 'agent' }
  // An agent acting for itself acts in its own tenant; one registered without a tenant has none
  // until a subject token's tenant binds it (checkTenant), so it cannot act for itself before that.
  if (client.tenant === null) {
    throw new Refusal(400, 'unauthorized_client', 'tenant.unbound', 'a client registered without a tenant gets its tenant at its first token exchange; until then it cannot use client_credentials')
  }
  const { aud, scopes } = resolveResource(ctx, params, 'policy.target_unknown', audit)
  const scope = narrow(params, ownAccountScope(ctx, client, scopes, params), audit, 'scope.not_allowed')
  return { sub: client.client_id, principalType: 'agent', tenant: client.tenant, clientId: client.client_id, scope, aud }
}

/**
 * Tenant isolation of an exchange: the subject token's tenant must be the client's. A client
 * registered without a tenant (a standards-only RFC 7591 client) has none to compare yet: it passes
 * here and is bound to this tenant by bindOnIssue once the exchange passed every check.
 */
function checkTenant(client: RegisteredClient, tenant: string, description: string): void {
  if (client.tenant !== null && tenant !== client.tenant) {
    throw new Refusal(400, 'invalid_request', 'tenant.mismatch', description, { subject_tenant: tenant, client_tenant: client.tenant })
  }
}

/**
 * Binds an unbound client to the tenant of the subject token it was just granted a token for, so
 * every later exchange (and client_credentials) is held to that tenant. Called after the last await
 * of the grant, in the same turn as checkTenant's comparison: two concurrent first exchanges from
 * different tenants cannot both pass, the second sees the first's binding. Should recording the
 * issued token fail afterwards (503), the binding stays: a valid subject token of that tenant was
 * presented either way.
 */
function bindOnIssue(ctx: AsContext, client: RegisteredClient, tenant: string, audit: Audit): void {
  if (client.tenant === null) ctx.clients.bindTenant(client, tenant)
  audit.tenant = tenant
}

interface ExchangeInput {
  subjectToken: string
  type: string
}

/** Parameters every exchange needs, checked before anything is verified. */
function exchangeInput(params: URLSearchParams, audit: Audit): ExchangeInput {
  const subjectToken = params.get('subject_token')
  const type = params.get('subject_token_type')
  if (subjectToken === null || type === null) throw new Refusal(400, 'invalid_request', 'exchange.subject_missing', 'subject_token and subject_token_type are required')
  audit.parentHash = b64urlSha256(subjectToken)
  audit.detail.subject_token_type = type
  return { subjectToken, type }
}

function checkTypes(params: URLSearchParams, type: string): void {
  const wanted = params.get('requested_token_type')
  if (wanted !== null && wanted !== TYPE_ACCESS_TOKEN) throw new Refusal(400, 'invalid_request', 'exchange.token_type_unsupported', 'only access tokens are issued')
  if (type !== TYPE_JWT && type !== TYPE_ACCESS_TOKEN) throw new Refusal(400, 'invalid_request', 'exchange.subject_type_unsupported', `subject_token_type must be ${TYPE_JWT} or ${TYPE_ACCESS_TOKEN}`)
}

export async function tokenExchangeGrant(ctx: AsContext, client: RegisteredClient, params: URLSearchParams, audit: Audit): Promise<Grant> {
  requireGrantType(ctx, client, GRANT_TOKEN_EXCHANGE)
  const { subjectToken, type } = exchangeInput(params, audit)
  // null unless flaw `actor-token-trusted` lets the request name the actor
  const actor = actorClaim(ctx, params, client.client_id) ?? client.client_id
  checkTypes(params, type)
  const { aud, scopes } = resolveResource(ctx, params, 'exchange.target_unknown', audit, flawed(ctx, 'exchange-target-unchecked'))
  const subject = await verifySubject(ctx, subjectToken, type)
  const tenant = subject.tenant as string
  const subjectScope = parseScope(subject.scope)
  audit.detail.subject_scope = subjectScope

  if (type === TYPE_JWT) {
    audit.principal = { sub: subject.sub!, type: 'user' }
    audit.actors = [actor]
    checkMayAct(ctx, subject, client.client_id)
    if (client.parent_client_id !== null) {
      throw new Refusal(400, 'invalid_request', 'exchange.not_top_level', 'only a top-level agent may exchange a user assertion; a sub-agent exchanges its parent\'s token', { parent_client_id: client.parent_client_id })
    }
    checkTenant(client, tenant, 'the user and the agent are in different tenants')
    const bound = flawed(ctx, 'exchange-upscope') || defaultsToRegistration(ctx, params) ? client.scope : intersect(client.scope, subjectScope)
    const scope = narrow(params, intersect(bound, scopes), audit, 'exchange.scope_widen')
    bindOnIssue(ctx, client, tenant, audit)
    return { sub: subject.sub!, principalType: 'user', tenant, act: { sub: actor }, clientId: client.client_id, scope, aud }
  }

  const subjectAct = subject.act as Act | undefined
  const principalType = subject.principal_type === 'user' ? 'user' : 'agent'
  const currentActor = subjectAct?.sub ?? (subject.client_id as string)
  audit.principal = { sub: subject.sub!, type: principalType }
  audit.actors = [actor, ...flattenAct(subjectAct)]
  checkMayAct(ctx, subject, client.client_id)
  // The defence against laundering a stolen subject token: only a registered child of the
  // subject's current actor may exchange it (RFC 8693 cannot prove possession of the subject).
  if (client.parent_client_id !== currentActor && !flawed(ctx, 'exchange-laundering')) {
    throw new Refusal(400, 'invalid_request', 'exchange.not_delegate', 'client is not a registered delegate of the subject token\'s current actor', { subject_actor: currentActor, parent_client_id: client.parent_client_id })
  }
  checkTenant(client, tenant, 'the subject token is from another tenant')
  if (aud !== subject.aud && !flawed(ctx, 'exchange-target-unchecked')) {
    throw new Refusal(400, 'invalid_target', 'exchange.target_widen', 'a delegated token keeps its parent\'s audience', { subject_aud: subject.aud ?? null })
  }
  // flaw `exchange-scope-unregistered`: the request is held to the subject token only ("the parent
  // had it"), not to what this client was registered for
  const bound = flawed(ctx, 'reexchange-widen') || defaultsToRegistration(ctx, params) ? client.scope
    : flawed(ctx, 'exchange-scope-unregistered') ? subjectScope
    : intersect(subjectScope, client.scope)
  const scope = narrow(params, intersect(bound, scopes), audit, 'exchange.scope_widen')
  const act: Act = subjectAct !== undefined ? { sub: actor, act: subjectAct } : { sub: actor }
  bindOnIssue(ctx, client, tenant, audit)
  return { sub: subject.sub!, principalType, tenant, act, clientId: client.client_id, scope, aud }
}

/**
 * Flaw `anon-exchange-allowed` only: an exchange with no client authentication is served. With no
 * authenticated actor the token keeps the subject's actors and client, and narrows nothing but scope.
 */
export async function anonymousExchangeGrant(ctx: AsContext, params: URLSearchParams, audit: Audit): Promise<Grant> {
  const { subjectToken, type } = exchangeInput(params, audit)
  checkTypes(params, type)
  const { aud, scopes } = resolveResource(ctx, params, 'exchange.target_unknown', audit)
  const subject = await verifySubject(ctx, subjectToken, type)
  const subjectScope = parseScope(subject.scope)
  audit.detail.subject_scope = subjectScope
  const act = type === TYPE_ACCESS_TOKEN ? (subject.act as Act | undefined) : undefined
  const principalType = type === TYPE_JWT || subject.principal_type === 'user' ? 'user' : 'agent'
  const clientId = type === TYPE_ACCESS_TOKEN ? (subject.client_id as string) : (params.get('client_id') ?? 'anonymous').slice(0, 128)
  audit.principal = { sub: subject.sub!, type: principalType }
  audit.actors = flattenAct(act)
  audit.tenant = subject.tenant as string
  const scope = narrow(params, intersect(subjectScope, scopes), audit, 'exchange.scope_widen')
  return { sub: subject.sub!, principalType, tenant: subject.tenant as string, ...(act !== undefined ? { act } : {}), clientId, scope, aud }
}
