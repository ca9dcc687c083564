/**
 * Provisioning: turns a population's structure into live identities at the target (design.md,
 * Delegation model). Per agent: a fresh key, RFC 7591 registration, then an RFC 8693 exchange of
 * its user's IdP assertion. Per sub-agent, after its parent: a fresh key, registration linked to the
 * parent (`parent_client_id`), then an exchange of the PARENT's access token, narrowing scope.
 *
 * Runs level by level (agents, then depth 2, then depth 3) with bounded concurrency; a level only
 * starts when its parents hold tokens. The first failure stops new work and names the identity,
 * the step and the OAuth error; the clients registered so far travel with the error for cleanup.
 *
 * @example
 *   const prov = await provision(pop, { issuer: target.issuer, resource: rs.audience, initialAccessToken, idp })
 *   const a1 = prov.byRef.get('a1')!   // { clientId, key, accessToken, actors: [clientId], … }
 */
import { ProvisioningFailed, TargetUnsafe } from '../contracts/errors.ts'
import { TokenCredential } from '../protocol/token-credential.ts'
import type { RunIdentity } from '../contracts/identity.ts'
import type { Credential } from '../contracts/identity.ts'
import { generateIdentityKey } from '../protocol/identity-key.ts'
import type { IdentityKey } from '../contracts/identity.ts'
import { unverifiedPayload } from '../protocol/jws.ts'
import { OAuthError, SUBJECT_ACCESS_TOKEN, SUBJECT_JWT, deleteClient, discover, registerClient, tokenExchange } from '../protocol/oauth-client.ts'
import type { AsMetadata, RegisteredClient, TokenResponse } from '../protocol/oauth-client.ts'
import { forEachBounded } from './bounded-pool.ts'
import type { Population, PopulationNode, Principal } from './spec.ts'
import type { WorkforceIdp } from './workforce-idp.ts'

export type AssertionSource = Pick<WorkforceIdp, 'assertionFor'>

export interface ProvisionOptions {
  /** AS issuer; metadata is discovered from it */
  issuer: string
  /** RFC 8707 resource (the resource server's audience) the tokens are for */
  resource: string
  /** RFC 7591 bootstrap secret (from the environment, never from a scenario file) */
  initialAccessToken: string
  idp: AssertionSource
  concurrency?: number
  onProgress?(done: number, total: number): void
}

/**
 * One provisioned agent or sub-agent, as the harness holds it for the whole run: it is also the
 * run's RunIdentity (contracts/identity.ts), so nothing is copied per identity. Built for 100k+
 * identities (≤ 5 KB each with key, registration and token, bench/README.md): the key is compact
 * (identity-key.ts), scope arrays are interned, the token is stored once (in `credential`) and
 * hashed lazily, the registration is two strings, and `tokenJti`/`expiresAt` are derived or packed.
 */
export class ProvisionedIdentity implements RunIdentity {
  readonly ref: string
  readonly kind: 'agent' | 'sub-agent'
  readonly parentRef: string | null
  readonly depth: number
  readonly clientId: string
  readonly tenant: string
  /** the principal (user id) the delegation chain acts for: the token's `sub` */
  readonly principal: string
  /** the scope the population assigns (ground truth for legitimate workflows); interned, frozen */
  readonly scope: string[]
  /** what the AS says it granted (response `scope`, else the request); differs only if the AS narrowed or widened. Interned, frozen */
  grantedScope: string[]
  /** client ids, current actor first: the expected nested `act` chain */
  readonly actors: string[]
  /** the current token and key; replaced as a whole on refresh (requests in flight keep theirs) */
  credential: Credential
  /** expiry, whole seconds since the epoch (a small integer: no heap number per identity) */
  #expS = 0
  readonly #regToken: string | undefined
  /** the RFC 7592 client URI, or only its interned prefix when it is `<prefix><clientId>` */
  readonly #regUri: string | undefined
  readonly #regUriIsPrefix: boolean

  constructor(node: PopulationNode, parent: ProvisionedIdentity | null, key: IdentityKey, registration: RegisteredClient) {
    this.ref = node.ref
    this.kind = node.kind
    this.parentRef = parent?.ref ?? null
    this.depth = node.depth
    this.clientId = registration.clientId
    this.tenant = node.tenant
    this.principal = node.principal
    this.scope = internScope(node.scope)
    this.grantedScope = EMPTY_SCOPE
    this.actors = [registration.clientId, ...(parent?.actors ?? [])]
    this.credential = new TokenCredential('', key)
    this.#regToken = registration.registrationAccessToken
    const uri = registration.registrationClientUri
    this.#regUriIsPrefix = uri !== undefined && uri.length > this.clientId.length && uri.endsWith(this.clientId)
    this.#regUri = this.#regUriIsPrefix ? internString(uri!.slice(0, uri!.length - this.clientId.length)) : uri
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

export interface ProvisionedPopulation {
  population: Population
  meta: AsMetadata
  resource: string
  /** agents first, then sub-agents parent-before-child */
  identities: ProvisionedIdentity[]
  byRef: Map<string, ProvisionedIdentity>
}

export type ProvisioningStep = 'register' | 'exchange'

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

const DEFAULT_TTL_S = 300

function expiryOf(token: TokenResponse, claims: Record<string, unknown> | null, now: number): number {
  // Prefer the token's own `exp`: expires_in counts from when the AS answered, not from now.
  if (typeof claims?.exp === 'number') return claims.exp * 1000
  return now + (token.expires_in ?? DEFAULT_TTL_S) * 1000
}

/** Fills the token fields of an identity from a token response (at provisioning and on refresh). */
export function applyToken(identity: ProvisionedIdentity, token: TokenResponse): void {
  const claims = unverifiedPayload(token.access_token)
  identity.expiresAt = expiryOf(token, claims, Date.now())
  identity.grantedScope = typeof token.scope === 'string' ? internScope(token.scope.split(' ').filter(Boolean)) : identity.scope
  // Last, and as a whole: a request in flight keeps the credential it read.
  identity.credential = new TokenCredential(token.access_token, identity.key)
}

interface Ctx {
  meta: AsMetadata
  opts: ProvisionOptions
  principals: Map<string, Principal>
  byRef: Map<string, ProvisionedIdentity>
}

/** The exchange step for one identity: a user assertion for agents, the parent's token for sub-agents. */
async function exchangeFor(ctx: Ctx, identity: ProvisionedIdentity, idp: AssertionSource): Promise<TokenResponse> {
  const parent = identity.parentRef === null ? null : ctx.byRef.get(identity.parentRef)!
  let subjectToken: string
  if (parent === null) {
    const principal = ctx.principals.get(identity.principal)
    if (!principal) throw new TypeError(`population has no principal ${identity.principal} (agent ${identity.ref})`)
    subjectToken = idp.assertionFor(principal, ctx.meta.issuer)
  } else {
    subjectToken = parent.accessToken
  }
  return tokenExchange(ctx.meta, {
    clientId: identity.clientId,
    key: identity.key,
    subjectToken,
    subjectTokenType: parent === null ? SUBJECT_JWT : SUBJECT_ACCESS_TOKEN,
    resource: ctx.opts.resource,
    scope: identity.scope,
  })
}

function hintFor(step: ProvisioningStep, node: PopulationNode, ctx: Ctx, cause: unknown): string {
  const oauth = cause instanceof OAuthError ? ` (${cause.error ?? `HTTP ${cause.status}`})` : ''
  if (step === 'register') {
    return `The AS refused to register ${node.ref}${oauth}: check the initial access token and that tenant ${node.tenant} and scope "${node.scope.join(' ')}" are allowed.`
  }
  return node.kind === 'agent'
    ? `The AS refused the exchange for ${node.ref}${oauth}: check that it trusts the workforce IdP issuer and JWKS, and serves resource ${ctx.opts.resource}.`
    : `The AS refused the exchange for ${node.ref}${oauth}: check that it links the sub-agent to its parent (parent_client_id) and accepts the parent's token as subject.`
}

async function provisionOne(ctx: Ctx, node: PopulationNode, registered: RegisteredClient[]): Promise<ProvisionedIdentity> {
  const parent = node.kind === 'sub-agent' ? ctx.byRef.get(node.parentRef)! : null
  const key = generateIdentityKey()
  let step: ProvisioningStep = 'register'
  try {
    const registration = await registerClient(ctx.meta, ctx.opts.initialAccessToken, {
      key,
      tenant: node.tenant,
      scope: node.scope,
      parentClientId: parent?.clientId,
      name: `gatecrash ${node.ref}`,
    })
    registered.push(registration)
    const identity = new ProvisionedIdentity(node, parent, key, registration)
    step = 'exchange'
    applyToken(identity, await exchangeFor(ctx, identity, ctx.opts.idp))
    return identity
  } catch (cause) {
    if (cause instanceof TargetUnsafe) throw cause
    const why = cause instanceof Error ? cause.message : String(cause)
    throw new IdentityProvisioningFailed(`provisioning ${node.ref} failed at ${step}: ${why}`, {
      ref: node.ref,
      step,
      cause,
      hint: hintFor(step, node, ctx, cause),
      registered,
    })
  }
}

export async function provision(pop: Population, opts: ProvisionOptions): Promise<ProvisionedPopulation> {
  const meta = await discover(opts.issuer)
  const ctx: Ctx = { meta, opts, principals: principalsOf(pop), byRef: new Map() }
  const total = pop.agents.length + pop.subAgents.length
  const registered: RegisteredClient[] = []
  const identities: ProvisionedIdentity[] = []
  let done = 0
  // Level by level: pop.subAgents is depth-ordered, so each level's parents are all provisioned.
  const levels: PopulationNode[][] = [pop.agents]
  for (const s of pop.subAgents) {
    if (levels.length < s.depth) levels.push([])
    levels[s.depth - 1].push(s)
  }
  for (const level of levels) {
    const results: ProvisionedIdentity[] = new Array(level.length)
    await forEachBounded(level, opts.concurrency ?? 16, async (node, i) => {
      results[i] = await provisionOne(ctx, node, registered)
      ctx.byRef.set(node.ref, results[i])
      opts.onProgress?.(++done, total)
    })
    identities.push(...results)
  }
  return { population: pop, meta, resource: opts.resource, identities, byRef: ctx.byRef }
}

const inFlight = new WeakMap<ProvisionedIdentity, Promise<ProvisionedIdentity>>()
// Refreshes happen throughout a run; index principals once per population, not per refresh.
const principalIndex = new WeakMap<Population, Map<string, Principal>>()

function principalsOf(pop: Population): Map<string, Principal> {
  let index = principalIndex.get(pop)
  if (!index) principalIndex.set(pop, (index = new Map(pop.principals.map((p) => [p.id, p]))))
  return index
}

/**
 * Re-exchanges an identity's token when it expires within `minValidityS` (or always with `force`).
 * A sub-agent's parent is refreshed first, since its token is the subject. The identity is updated
 * in place, so every holder of the object sees the new token; concurrent calls share one exchange.
 */
export function refreshIdentity(
  prov: ProvisionedPopulation,
  identity: ProvisionedIdentity | string,
  opts: { idp: AssertionSource; minValidityS?: number; force?: boolean },
): Promise<ProvisionedIdentity> {
  const id = typeof identity === 'string' ? prov.byRef.get(identity) : identity
  if (!id) throw new TypeError(`unknown identity ${String(identity)}`)
  if (!opts.force && id.expiresAt - Date.now() > (opts.minValidityS ?? 30) * 1000) return Promise.resolve(id)
  const pending = inFlight.get(id)
  if (pending) return pending
  const run = (async () => {
    try {
      if (id.parentRef !== null) await refreshIdentity(prov, id.parentRef, { ...opts, force: false })
      const ctx: Ctx = {
        meta: prov.meta,
        opts: { issuer: prov.meta.issuer, resource: prov.resource, initialAccessToken: '', idp: opts.idp },
        principals: principalsOf(prov.population),
        byRef: prov.byRef,
      }
      applyToken(id, await exchangeFor(ctx, id, opts.idp))
      return id
    } finally {
      inFlight.delete(id)
    }
  })()
  inFlight.set(id, run)
  return run
}

/**
 * RFC 7592 cleanup (design.md: runs clean up the identities they registered): deletes children
 * before parents. Best effort: returns the refs that could not be deleted instead of throwing.
 */
export async function deprovision(prov: ProvisionedPopulation, concurrency = 16): Promise<{ deleted: number; failed: string[] }> {
  const failed: string[] = []
  let deleted = 0
  // Deepest level first, one level at a time: an AS may refuse to delete a parent with live children.
  const maxDepth = prov.identities.reduce((m, i) => Math.max(m, i.depth), 0)
  for (let depth = maxDepth; depth >= 1; depth--) {
    await forEachBounded(prov.identities.filter((i) => i.depth === depth), concurrency, async (identity) => {
      try {
        const status = await deleteClient(identity.registration)
        if (status >= 200 && status < 300) deleted++
        else failed.push(identity.ref)
      } catch {
        failed.push(identity.ref)
      }
    })
  }
  return { deleted, failed }
}
