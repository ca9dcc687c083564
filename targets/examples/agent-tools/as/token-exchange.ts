/**
 * The RFC 8693 token-exchange grant, registered on oidc-provider with `registerGrantType`.
 *
 * Checks, in this order (the order decides what a refusal can be attributed to: before the subject
 * token is trusted a refusal names only the authenticated client):
 *
 * 1. DPoP (RFC 9449 §5): a valid proof is required, its jti never seen before for this client; the
 *    issued token is bound to its key (`cnf.jkt`).
 * 2. The actor is the authenticated client, always: `actor_token` is refused (RFC 8693 §4.1; the
 *    client cannot name someone else as actor).
 * 3. Token types, then exactly one known `resource` (RFC 8707; `invalid_target`).
 * 4. The subject token, validated for its type (subject-token.ts).
 * 5. With a trusted subject: `may_act` (RFC 8693 §4.4), the delegation policy (README.md), every
 *    client in the subject's chain still registered, tenant, audience (a delegated token keeps its
 *    subject's audience), and scope: requested ⊆ subject's scope ∩ client's registered scope ∩ the
 *    resource's scopes, else `invalid_scope`.
 *
 * The token: `sub` = the subject's `sub`, `act` = {sub: client, act: subject's act} (current actor
 * outermost), the tenant claim, `scope` = the narrowed scope, `aud` = the resource, `cnf.jkt`, and a
 * lifetime that never outlives the subject token.
 */
import type { KoaContextWithOIDC, Provider } from 'oidc-provider'
import { errors } from 'oidc-provider'
import validateDpop, { checkDpopReplay } from 'oidc-provider/lib/helpers/validate_dpop.js'
import { sha256b64url } from '../lib/correlation.ts'
import type { Flaw } from '../lib/flaws.ts'
import { factsOf } from './audit.ts'
import type { DelegationStore, Place } from './delegation-store.ts'
import { refuse } from './refusal.ts'
import { TYPE_ACCESS_TOKEN, TYPE_JWT, type Act, type Subject } from './subject-token.ts'

export const GRANT_TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'

/** The parameters oidc-provider passes to this grant (others are stripped before the handler runs). */
export const EXCHANGE_PARAMETERS = ['audience', 'resource', 'scope', 'requested_token_type', 'subject_token', 'subject_token_type', 'actor_token', 'actor_token_type']

const MAX_DEPTH = 8

export interface ExchangeDeps {
  resources: ReadonlyMap<string, readonly string[]>
  verifySubject: (token: string, type: string) => Promise<Subject>
  delegation: DelegationStore
  tenantClaim: string
  tokenTtlS: number
  childBindWindowS: number
  flaws: ReadonlySet<Flaw>
  /** claims the issued token carries besides oidc-provider's own (read by extraTokenClaims) */
  claimsFor: WeakMap<object, Record<string, unknown>>
}

const intersect = (a: readonly string[], b: readonly string[]): string[] => a.filter((s) => b.includes(s))
const within = (a: readonly string[], b: readonly string[]): boolean => a.every((s) => b.includes(s))
const param = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

export function tokenExchangeHandler(deps: ExchangeDeps): (ctx: KoaContextWithOIDC) => Promise<void> {
  return async (ctx) => {
    const provider = ctx.oidc.provider as Provider
    const client = ctx.oidc.client!
    const params = ctx.oidc.params as Record<string, unknown>
    const facts = factsOf(ctx)
    facts.tool = 'token.exchange'
    // the tenant this client acts in, once known (refusals before the subject is trusted still name it)
    facts.tenant = deps.delegation.get(client.clientId)?.tenant ?? null

    // 1. DPoP
    const dPoP = await validateDpop(provider, ctx)
    if (dPoP === undefined) throw refuse(new errors.InvalidDpopProof('DPoP proof required'), 'dpop.missing')
    facts.keyThumbprint = dPoP.thumbprint
    await checkDpopReplay(provider, ctx, dPoP, client.clientId, errors.InvalidDpopProof)

    // 2. the actor is the authenticated client
    if (params.actor_token !== undefined || params.actor_token_type !== undefined) {
      throw refuse(new errors.InvalidRequest('the authenticated client is the actor; actor_token is not accepted'), 'exchange.actor_token_refused', {
        authenticated_actor: client.clientId,
        claimed_actor: claimedActor(param(params.actor_token)),
      })
    }

    // 3. types and target
    const subjectToken = param(params.subject_token)
    const type = param(params.subject_token_type)
    if (subjectToken === undefined || type === undefined) throw refuse(new errors.InvalidRequest('subject_token and subject_token_type are required'), 'exchange.subject_missing')
    facts.subjectTokenHash = sha256b64url(subjectToken)
    facts.extra.subject_token_type = type
    if (type !== TYPE_JWT && type !== TYPE_ACCESS_TOKEN) throw refuse(new errors.InvalidRequest(`subject_token_type must be ${TYPE_JWT} or ${TYPE_ACCESS_TOKEN}`), 'exchange.subject_type_unsupported')
    const wanted = param(params.requested_token_type)
    if (wanted !== undefined && wanted !== TYPE_ACCESS_TOKEN) throw refuse(new errors.InvalidRequest('only access tokens are issued'), 'exchange.token_type_unsupported')
    const targets = [params.resource].flat().filter((r): r is string => typeof r === 'string')
    facts.extra.requested_target = targets.length === 1 ? targets[0].slice(0, 512) : targets.slice(0, 8)
    if (params.audience !== undefined) throw refuse(new errors.InvalidTarget('name the target with resource (RFC 8707), not audience'), 'exchange.audience_unsupported')
    const resource = targets.length === 1 ? targets[0] : null
    const resourceScopes = resource === null ? undefined : deps.resources.get(resource)
    if (resource === null || resourceScopes === undefined) throw refuse(new errors.InvalidTarget('resource must name exactly one known resource server'), 'exchange.unknown_target')

    // 4. the subject token
    const subject = await deps.verifySubject(subjectToken, type)

    // 5. a trusted subject: from here every refusal names its principal and the would-be chain
    const subjectActors = type === TYPE_ACCESS_TOKEN ? chainOf(subject) : []
    facts.user = subject.sub
    facts.userKind = subject.subType === 'user' ? 'human' : 'agent'
    facts.delegation = [client.clientId, ...subjectActors]
    facts.tenant = subject.tenant
    facts.scopesHeld = subject.scope
    facts.extra.subject_scope = subject.scope
    checkMayAct(subject, client.clientId)
    if (subjectActors.length + 1 > MAX_DEPTH) throw refuse(new errors.InvalidRequest('delegation chain too deep'), 'exchange.too_deep', { depth: subjectActors.length + 1 })
    const place = placeFor(deps, subject, client.clientId, client.clientIdIssuedAt)
    for (const id of subject.clients) {
      if ((await provider.Client.find(id)) === undefined) {
        throw refuse(new errors.InvalidRequest('a client in the subject token\'s delegation is no longer registered'), 'exchange.subject_offboarded', { offboarded_client: id })
      }
    }
    if (place !== null && place.tenant !== subject.tenant) {
      throw refuse(new errors.InvalidRequest('the subject token is from another tenant than this client acts in'), 'tenant.mismatch', { subject_tenant: subject.tenant, client_tenant: place.tenant })
    }
    if (type === TYPE_ACCESS_TOKEN && subject.aud !== resource) {
      throw refuse(new errors.InvalidTarget('a delegated token keeps its subject token\'s audience'), 'exchange.target_widened', { subject_aud: subject.aud })
    }
    const registered = (client.scope ?? '').split(' ').filter(Boolean)
    const ceiling = deps.flaws.has('exchange-scope-not-narrowed') ? intersect(registered, resourceScopes) : intersect(intersect(subject.scope, registered), resourceScopes)
    const requested = param(params.scope)?.split(' ').filter(Boolean) ?? null
    facts.scopesNeeded = requested ?? ceiling
    if (requested !== null && requested.length > 0 && !within(requested, ceiling)) {
      throw refuse(new errors.InvalidScope('requested scope exceeds what the subject token and this client allow', requested.join(' ')), 'exchange.scope_widened', {
        requested_scope: requested,
        allowed_scope: ceiling,
      })
    }
    const granted = requested !== null && requested.length > 0 ? requested : ceiling
    if (granted.length === 0) throw refuse(new errors.InvalidScope('no scope can be granted', ''), 'exchange.scope_empty', { allowed_scope: ceiling })

    // issue
    const act: Act = subject.act !== undefined ? { sub: client.clientId, act: subject.act } : { sub: client.clientId }
    const nowS = Math.floor(Date.now() / 1000)
    const token = new provider.AccessToken({
      accountId: subject.sub,
      client,
      gty: GRANT_TOKEN_EXCHANGE,
      scope: granted.join(' '),
      expiresIn: Math.max(1, Math.min(deps.tokenTtlS, subject.exp - nowS)),
    } as unknown as ConstructorParameters<Provider['AccessToken']>[0])
    token.resourceServer = new provider.ResourceServer(resource, { scope: resourceScopes.join(' '), audience: resource, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } })
    token.setThumbprint('jkt', dPoP.thumbprint)
    deps.claimsFor.set(token, { act, [deps.tenantClaim]: subject.tenant, sub_type: subject.subType })
    ctx.oidc.entity('AccessToken', token)
    const value = await token.save()
    facts.issuedToken = value
    facts.scopesGranted = granted
    ctx.body = {
      access_token: value,
      issued_token_type: TYPE_ACCESS_TOKEN,
      token_type: token.tokenType,
      expires_in: token.expiration,
      scope: granted.join(' '),
    }
  }
}

/** The subject token's delegation, current actor first (for an access token without `act`: the client it was issued to). */
function chainOf(subject: Subject): string[] {
  const out: string[] = []
  for (let a = subject.act; a !== undefined && out.length < 16; a = a.act) out.push(a.sub)
  return out.length > 0 ? out : subject.currentActor !== null ? [subject.currentActor] : []
}

/** RFC 8693 §4.4: when the subject names who may act for it, nobody else may. */
function checkMayAct(subject: Subject, actor: string): void {
  const m = subject.mayAct
  if (m === undefined) return
  const sub = m !== null && typeof m === 'object' ? (m as { sub?: unknown }).sub : undefined
  if (sub !== actor) {
    throw refuse(new errors.InvalidRequest('the subject token\'s may_act does not name this client'), 'exchange.may_act', { may_act: typeof sub === 'string' ? { sub: sub.slice(0, 128) } : null, actor })
  }
}

/**
 * The delegation policy (README.md): a client's place is fixed by its first exchange. Returns the
 * place the client has after this exchange (null only under flaw `exchange-any-client` for an
 * access-token subject, where no place is looked at).
 */
function placeFor(deps: ExchangeDeps, subject: Subject, clientId: string, issuedAt: number | undefined): Place | null {
  const current = deps.delegation.get(clientId)
  if (subject.type === TYPE_JWT) {
    if (current?.role === 'child') {
      throw refuse(new errors.InvalidRequest('a sub-agent acts for its parent agent, never directly for a user'), 'exchange.not_top_level', { parent: current.parent })
    }
    return current ?? deps.delegation.bind(clientId, { role: 'agent', tenant: subject.tenant })
  }
  if (deps.flaws.has('exchange-any-client')) return null
  const parent = subject.currentActor!
  const notDelegate = (description: string, facts: Record<string, unknown>) =>
    refuse(new errors.InvalidRequest(description), 'exchange.not_delegate', { subject_actor: parent, ...facts })
  if (current?.role === 'agent') throw notDelegate('a top-level agent may not exchange another client\'s access token', { client_place: 'agent' })
  if (current?.role === 'child') {
    if (current.parent !== parent) throw notDelegate('this client is the sub-agent of another agent', { client_parent: current.parent })
    return current
  }
  if (parent === clientId) throw notDelegate('a client cannot be its own sub-agent', {})
  const ageS = issuedAt === undefined ? Infinity : Date.now() / 1000 - issuedAt
  if (ageS > deps.childBindWindowS) throw notDelegate('this client registered too long ago to become a sub-agent now', { registered_s_ago: Math.round(ageS), window_s: deps.childBindWindowS })
  const bound = deps.delegation.bind(clientId, { role: 'child', parent, tenant: subject.tenant })
  if (bound.role !== 'child' || bound.parent !== parent) throw notDelegate('this client took another place in the delegation tree concurrently', {})
  return bound
}

/** Who an actor_token claims to be, read unverified, for the record only. */
function claimedActor(token: string | undefined): string | null {
  if (token === undefined) return null
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { client_id?: unknown; sub?: unknown }
    const who = typeof payload.client_id === 'string' ? payload.client_id : payload.sub
    return typeof who === 'string' ? who.slice(0, 128) : null
  } catch {
    return null
  }
}
