/**
 * Enrollment: how one agent or sub-agent comes to exist at the target (docs/architecture.md, Delegation model),
 * for the run's population (provision.ts) and for the identities attack cases make for themselves
 * (attacks/kit.ts) alike. A fresh key, RFC 7591 registration authenticating with `private_key_jwt`
 * (a sub-agent linked to its parent by `parent_client_id`), then its delegated token by RFC 8693
 * exchange: an agent exchanges its principal's subject token (the IdP's assertion), a sub-agent its parent's access token,
 * each authenticating as itself. `reexchange` repeats that exchange for an identity already held.
 *
 * @example
 *   const a = await enroll(as, { ref: 'a1', principal, scope: principal.entitlements, resource: rs.audience })
 *   const s = await enroll(as, { ref: 'a1.1', parent: a, scope: ['tickets:read'], resource: a.resource })
 */
import { ProvisioningFailed, TargetUnsafe } from '../contracts/errors.ts'
import type { Credential, IdentityKey, RunIdentity } from '../contracts/identity.ts'
import type { RegistrationPolicy, SubjectTokenSource, TargetAdmin } from '../contracts/target.ts'
import type { IssuedTokenObserver } from '../contracts/issued-token.ts'
import { generateIdentityKey } from '../protocol/identity-key.ts'
import { unverifiedPayload } from '../protocol/jws.ts'
import { OAuthError, SUBJECT_ACCESS_TOKEN, registerClient, tokenExchange } from '../protocol/oauth-client.ts'
import type { AsMetadata, RegisteredClient, TokenResponse } from '../protocol/oauth-client.ts'
import { TokenCredential } from '../protocol/token-credential.ts'
import type { Principal } from './spec.ts'

/** What identity this is, besides what the target assigns (a PopulationNode is one). */
export interface IdentitySpec {
  ref: string
  tenant: string
  principal: string
  scope: readonly string[]
}

/**
 * One agent or sub-agent with its key, registration and current token, as the harness holds it for
 * the whole run: it is also the run's RunIdentity (contracts/identity.ts), so nothing is copied per
 * identity. Built for 100k+ identities (≤ 5 KB each with key, registration and token,
 * bench/README.md): the key is compact (identity-key.ts), scope arrays are interned, the token is
 * stored once (in `credential`) and hashed lazily, the registration is two strings, `tokenJti` and
 * `expiresAt` are derived or packed, and `kind`, `depth` and `parentRef` are read off the actor chain
 * and the parent rather than stored.
 */
export class ProvisionedIdentity implements RunIdentity {
  readonly ref: string
  /** the identity whose token is this one's exchange subject; null for an agent (its subject is the principal's assertion) */
  readonly parent: ProvisionedIdentity | null
  readonly clientId: string
  readonly tenant: string
  /** the principal (user id) the delegation chain acts for: the token's `sub` */
  readonly principal: string
  /** the scope asked for (for the population: ground truth for legitimate workflows); interned, frozen */
  readonly scope: string[]
  /** what the AS says it granted (response `scope`, else the request); differs only if the AS narrowed or widened. Interned, frozen */
  grantedScope: string[]
  /** client ids, current actor first: the expected nested `act` chain */
  readonly actors: string[]
  /** RFC 8707 resource (the resource server's audience) its token is for */
  readonly resource: string
  /** the current token and key; replaced as a whole on refresh (requests in flight keep theirs) */
  credential: Credential
  /** expiry, whole seconds since the epoch (a small integer: no heap number per identity) */
  #expS = 0
  readonly #regToken: string | undefined
  /** the RFC 7592 client URI, or only its interned prefix when it is `<prefix><clientId>` */
  readonly #regUri: string | undefined
  readonly #regUriIsPrefix: boolean

  constructor(spec: IdentitySpec, parent: ProvisionedIdentity | null, key: IdentityKey, registration: RegisteredClient, resource: string) {
    this.ref = spec.ref
    this.parent = parent
    this.clientId = registration.clientId
    this.tenant = spec.tenant
    this.principal = spec.principal
    this.scope = internScope(spec.scope)
    this.grantedScope = EMPTY_SCOPE
    this.actors = [registration.clientId, ...(parent?.actors ?? [])]
    this.resource = resource
    this.credential = new TokenCredential('', key)
    this.#regToken = registration.registrationAccessToken
    const uri = registration.registrationClientUri
    this.#regUriIsPrefix = uri !== undefined && uri.length > this.clientId.length && uri.endsWith(this.clientId)
    this.#regUri = this.#regUriIsPrefix ? internString(uri!.slice(0, uri!.length - this.clientId.length)) : uri
  }

  get kind(): 'agent' | 'sub-agent' {
    return this.parent === null ? 'agent' : 'sub-agent'
  }

  /** delegation levels below the principal: 1 for an agent (one actor per level) */
  get depth(): number {
    return this.actors.length
  }

  get parentRef(): string | null {
    return this.parent?.ref ?? null
  }

  get key(): IdentityKey {
    return this.credential.key
  }

  get accessToken(): string {
    return this.credential.accessToken
  }

  get tokenHash(): string {
    return this.credential.tokenHash
  }

  /** the access token's `jti` (RFC 9068), read unverified, for evidence correlation; null if absent */
  get tokenJti(): string | null {
    const jti = unverifiedPayload(this.credential.accessToken)?.jti
    return typeof jti === 'string' ? jti : null
  }

  /** epoch ms (kept to the second) */
  get expiresAt(): number {
    return this.#expS * 1000
  }

  set expiresAt(ms: number) {
    this.#expS = Math.floor(ms / 1000)
  }

  /** RFC 7592 credentials, for cleanup (deprovision) and the offboarding cases */
  get registration(): RegisteredClient {
    return {
      clientId: this.clientId,
      registrationAccessToken: this.#regToken,
      registrationClientUri: this.#regUriIsPrefix ? this.#regUri! + this.clientId : this.#regUri,
    }
  }
}

const EMPTY_SCOPE: string[] = Object.freeze([]) as unknown as string[]
const scopes = new Map<string, string[]>()
const strings = new Map<string, string>()

/**
 * One frozen array per distinct scope list (a population has a handful), shared by every identity
 * that has it. Frozen so a caller that tried to edit one identity's scope would throw, not edit all.
 */
export function internScope(scope: readonly string[]): string[] {
  const k = scope.join(' ')
  let v = scopes.get(k)
  if (v === undefined) scopes.set(k, (v = Object.freeze([...scope]) as unknown as string[]))
  return v
}

function internString(s: string): string {
  let v = strings.get(s)
  if (v === undefined) strings.set(s, (v = s))
  return v
}

const DEFAULT_TTL_S = 300

/**
 * Epoch ms a token from this response expires: the earlier of its own `exp` and what `expires_in`
 * said. `exp` is exact where expires_in counts from when the AS answered, but a token whose `exp`
 * lies past what its client was told is judged by what it was told (the issued-token lifetime
 * check reports the difference), so nothing waits on a lifetime nobody announced.
 */
export function expiryOf(token: TokenResponse, now = Date.now()): number {
  const exp = unverifiedPayload(token.access_token)?.exp
  const told = token.expires_in === undefined ? undefined : now + token.expires_in * 1000
  if (typeof exp === 'number') return told === undefined ? exp * 1000 : Math.min(exp * 1000, told)
  return told ?? now + DEFAULT_TTL_S * 1000
}

/** Fills the token fields of an identity from a token response (at enrollment and on re-exchange). */
export function applyToken(identity: ProvisionedIdentity, token: TokenResponse): void {
  identity.expiresAt = expiryOf(token)
  identity.grantedScope = typeof token.scope === 'string' ? internScope(token.scope.split(' ').filter(Boolean)) : identity.scope
  // Last, and as a whole: a request in flight keeps the credential it read.
  identity.credential = new TokenCredential(token.access_token, identity.key)
}

export type ProvisioningStep = 'register' | 'token-ttl' | 'exchange'

/** ERR_PROVISIONING, plus which identity and step failed and what was registered before it. */
export class IdentityProvisioningFailed extends ProvisioningFailed {
  ref: string
  step: ProvisioningStep
  status: number | null
  oauthError: string | null
  /** clients registered before the failure, for RFC 7592 cleanup */
  registered: RegisteredClient[]
  constructor(message: string, opts: { ref: string; step: ProvisioningStep; cause: unknown; hint: string; registered: RegisteredClient[] }) {
    super(message, { cause: opts.cause, hint: opts.hint })
    this.ref = opts.ref
    this.step = opts.step
    this.status = opts.cause instanceof OAuthError ? opts.cause.status : null
    this.oauthError = opts.cause instanceof OAuthError ? opts.cause.error : null
    this.registered = opts.registered
  }
}

/** The authorization server and the secrets an enrollment draws on: one per run. */
export interface EnrollContext {
  meta: AsMetadata
  /** where an agent's subject token (its principal's) comes from */
  subjects: SubjectTokenSource
  /** how the target registers clients: its initial access token (from the environment, never from a file) and members */
  registration: RegistrationPolicy
  /** told of every token received, with what was asked for (the issued-token checks) */
  observe?: IssuedTokenObserver
  /** where this context's tokens come from, for the checks' findings: `provisioning` unless a case enrolls (its id) */
  source?: string
}

/** Whom the new identity acts for: an agent for its principal, a sub-agent for its parent (an enrolled identity). */
export type Delegator = { principal: Principal; parent?: undefined } | { parent: ProvisionedIdentity; principal?: undefined }

export type EnrollRequest = Delegator & {
  /** run-unique name; the client is registered as `gatecrash <ref>` */
  ref: string
  /** registered, and asked for in the exchange */
  scope: readonly string[]
  /** RFC 8707 resource the token is for */
  resource: string
  /** a per-client token lifetime, set through the target's admin hook between registration and exchange */
  tokenTtl?: { seconds: number; admin: Pick<TargetAdmin, 'setTokenTtl'> }
  /** collects every client registered (this one too), for RFC 7592 cleanup; the error carries it on failure */
  registered?: RegisteredClient[]
  /** RFC 7591 grant_types to register (default: client credentials and token exchange) */
  grantTypes?: string[]
}

/**
 * The client for a new identity: registered with a fresh key (RFC 7591), or, at an AS without
 * dynamic registration, the next client of the target's pre-registered ones.
 */
async function registerOrTake(ctx: EnrollContext, spec: IdentitySpec, parent: ProvisionedIdentity | null, grantTypes?: string[]): Promise<{ key: IdentityKey; registration: RegisteredClient }> {
  if (ctx.registration.preRegistered) {
    const client = ctx.registration.preRegistered(spec.tenant)
    if (!client) {
      throw new ProvisioningFailed(`no pre-registered client is left for ${spec.ref} (tenant ${spec.tenant})`, {
        hint: 'the clients file must hold one client per agent and sub-agent of the population, for its tenants: add clients or lower population.agents / subAgentsPerAgent',
      })
    }
    return { key: client.key, registration: { clientId: client.clientId } }
  }
  const key = generateIdentityKey()
  const registration = await registerClient(ctx.meta, {
    key,
    scope: spec.scope.join(' '),
    name: `gatecrash ${spec.ref}`,
    initialAccessToken: ctx.registration.initialAccessToken(spec.tenant),
    members: ctx.registration.members({ tenant: spec.tenant, parentClientId: parent?.clientId }),
    ...(grantTypes !== undefined ? { grantTypes } : {}),
  })
  return { key, registration }
}

/** Registers a new client with a fresh key (or takes a pre-registered one), then obtains its delegated token by exchange. */
export async function enroll(ctx: EnrollContext, req: EnrollRequest): Promise<ProvisionedIdentity> {
  const parent = req.parent ?? null
  const spec: IdentitySpec = {
    ref: req.ref,
    // an agent lives in its principal's tenant; a sub-agent in its parent's, for the parent's principal
    tenant: parent?.tenant ?? req.principal!.tenant,
    principal: parent?.principal ?? req.principal!.id,
    scope: req.scope,
  }
  const registered = req.registered ?? []
  let step: ProvisioningStep = 'register'
  try {
    const { key, registration } = await registerOrTake(ctx, spec, parent, req.grantTypes)
    registered.push(registration)
    const identity = new ProvisionedIdentity(spec, parent, key, registration, req.resource)
    if (req.tokenTtl) {
      step = 'token-ttl'
      await req.tokenTtl.admin.setTokenTtl(identity.clientId, req.tokenTtl.seconds)
    }
    step = 'exchange'
    applyToken(identity, await exchange(ctx, identity, req.principal ?? null, ctx.source ?? 'provisioning'))
    return identity
  } catch (cause) {
    throw failure(cause, { ref: spec.ref, kind: parent ? 'sub-agent' : 'agent', tenant: spec.tenant, scope: spec.scope, resource: req.resource }, step, req.tokenTtl?.seconds, registered)
  }
}

/**
 * Exchanges again for an identity's token (expiry, a rotated signing key) and updates it in place,
 * so every holder of the object sees the new token. An agent's subject is a new assertion of its
 * principal (required for agents); a sub-agent's is its parent's current token.
 */
export async function reexchange(ctx: ExchangeContext, identity: ProvisionedIdentity, principal: Principal | null): Promise<ProvisionedIdentity> {
  if (identity.parent === null && principal?.id !== identity.principal) {
    throw new TypeError(`agent ${identity.ref} acts for ${identity.principal}: its exchange needs that principal's assertion, got ${principal?.id ?? 'none'}`)
  }
  try {
    applyToken(identity, await exchange(ctx, identity, principal, 're-exchange'))
    return identity
  } catch (cause) {
    throw failure(cause, identity, 'exchange', undefined, [])
  }
}

/** What an exchange needs: the registration policy only to know whether the client's registered scope is the harness's to know. */
export type ExchangeContext = Omit<EnrollContext, 'registration' | 'source'> & { registration?: RegistrationPolicy }

/**
 * RFC 8693 §2.1 exchange for `identity`, authenticating as itself, with the subject its place in the
 * chain gives it. The response goes to the issued-token checks with what was asked for and what the
 * client may hold: its registered scope (unknown for a pre-registered client) and the subject's.
 */
async function exchange(ctx: ExchangeContext, identity: ProvisionedIdentity, principal: Principal | null, source: string): Promise<TokenResponse> {
  const parent = identity.parent
  const response = await tokenExchange(ctx.meta, {
    clientId: identity.clientId,
    key: identity.key,
    subjectToken: parent === null ? await ctx.subjects.subjectTokenFor(principal!, ctx.meta.issuer) : parent.accessToken,
    subjectTokenType: parent === null ? ctx.subjects.tokenType : SUBJECT_ACCESS_TOKEN,
    resource: identity.resource,
    scope: identity.scope,
  })
  ctx.observe?.(
    {
      source,
      issuer: ctx.meta.issuer,
      ref: identity.ref,
      clientId: identity.clientId,
      jkt: identity.key.jkt,
      principal: identity.principal,
      actors: identity.actors,
      resource: identity.resource,
      registeredScope: ctx.registration?.preRegistered ? null : identity.scope,
      subjectScope: parent === null ? (principal?.entitlements ?? null) : parent.grantedScope,
    },
    response,
    Date.now(),
  )
  return response
}

type Who = Pick<ProvisionedIdentity, 'ref' | 'kind' | 'tenant' | 'resource'> & { scope: readonly string[] }

function failure(cause: unknown, who: Who, step: ProvisioningStep, ttlS: number | undefined, registered: RegisteredClient[]): unknown {
  if (cause instanceof TargetUnsafe) return cause
  const why = cause instanceof Error ? cause.message : String(cause)
  return new IdentityProvisioningFailed(`provisioning ${who.ref} failed at ${step}: ${why}`, { ref: who.ref, step, cause, hint: hintFor(step, who, cause, ttlS), registered })
}

function hintFor(step: ProvisioningStep, who: Who, cause: unknown, ttlS: number | undefined): string {
  const oauth = cause instanceof OAuthError ? ` (${cause.error ?? `HTTP ${cause.status}`})` : ''
  if (step === 'register') {
    return `The AS refused to register ${who.ref}${oauth}: check the initial access token and that tenant ${who.tenant} and scope "${who.scope.join(' ')}" are allowed.`
  }
  if (step === 'token-ttl') return `The target's admin hook could not set a ${ttlS} s token lifetime for ${who.ref}: check the admin hook (TargetAdmin.setTokenTtl).`
  return who.kind === 'agent'
    ? `The AS refused the exchange for ${who.ref}${oauth}: check that it trusts the workforce IdP issuer and JWKS, and serves resource ${who.resource}.`
    : `The AS refused the exchange for ${who.ref}${oauth}: check that it links the sub-agent to its parent (parent_client_id) and accepts the parent's token as subject.`
}
