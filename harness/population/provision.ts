/**
 * Provisioning: turns a population's structure into live identities at the target (docs/architecture.md,
 * Delegation model), each enrolled by enroll.ts. Per agent: a fresh key, RFC 7591 registration, then
 * an RFC 8693 exchange of its user's IdP assertion. Per sub-agent, after its parent: a fresh key,
 * registration linked to the parent (`parent_client_id`), then an exchange of the PARENT's access
 * token, narrowing scope.
 *
 * Runs level by level (agents, then depth 2, then depth 3) with bounded concurrency; a level only
 * starts when its parents hold tokens. The first failure stops new work and names the identity,
 * the step and the OAuth error; the clients registered so far travel with the error for cleanup.
 *
 * @example
 *   const prov = await provision(pop, { issuer: target.issuer, resource: rs.audience, registration, subjects })
 *   const a1 = prov.byRef.get('a1')!   // { clientId, key, accessToken, actors: [clientId], … }
 */
import { deleteClient, discover, httpClientFor } from '../protocol/oauth-client.ts'
import type { AsMetadata, RegisteredClient } from '../protocol/oauth-client.ts'
import type { HttpClient } from '../protocol/http.ts'
import { forEachBounded } from './bounded-pool.ts'
import { enroll, reexchange } from './enroll.ts'
import type { Delegator, EnrollContext, ProvisionedIdentity } from './enroll.ts'
import type { Population, PopulationNode, Principal } from './spec.ts'
import type { RegistrationPolicy, SubjectTokenSource } from '../contracts/target.ts'
import type { IssuedTokenObserver } from '../contracts/issued-token.ts'

export interface ProvisionOptions {
  /** AS issuer; metadata is discovered from it */
  issuer: string
  /** RFC 8707 resource (the resource server's audience) the tokens are for */
  resource: string
  /** how the target registers clients (initial access token, members) */
  registration: RegistrationPolicy
  /** agents' subject tokens (their principals'): the harness's IdP or the target's own source */
  subjects: SubjectTokenSource
  concurrency?: number
  onProgress?(done: number, total: number): void
  /** the target's connection options (host policy, TLS) for every OAuth call; loopback only without it */
  http?: HttpClient
  /** told of every token received (the issued-token checks) */
  observe?: IssuedTokenObserver
}

export interface ProvisionedPopulation {
  population: Population
  meta: AsMetadata
  resource: string
  /** agents first, then sub-agents parent-before-child */
  identities: ProvisionedIdentity[]
  byRef: Map<string, ProvisionedIdentity>
}

export async function provision(pop: Population, opts: ProvisionOptions): Promise<ProvisionedPopulation> {
  const meta = await discover(opts.issuer, opts.http)
  const ctx: EnrollContext = { meta, subjects: opts.subjects, registration: opts.registration, observe: opts.observe }
  const principals = principalsOf(pop)
  const byRef = new Map<string, ProvisionedIdentity>()
  // An agent acts for its principal; a sub-agent under its parent, enrolled a level earlier.
  const delegatorOf = (node: PopulationNode): Delegator => {
    if (node.kind === 'sub-agent') return { parent: byRef.get(node.parentRef)! }
    const principal = principals.get(node.principal)
    if (!principal) throw new TypeError(`population has no principal ${node.principal} (agent ${node.ref})`)
    return { principal }
  }
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
      results[i] = await enroll(ctx, { ref: node.ref, scope: node.scope, resource: opts.resource, registered, ...delegatorOf(node) })
      byRef.set(node.ref, results[i])
      opts.onProgress?.(++done, total)
    })
    identities.push(...results)
  }
  return { population: pop, meta, resource: opts.resource, identities, byRef }
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
  opts: { subjects: SubjectTokenSource; minValidityS?: number; force?: boolean; observe?: IssuedTokenObserver },
): Promise<ProvisionedIdentity> {
  const id = typeof identity === 'string' ? prov.byRef.get(identity) : identity
  if (!id) throw new TypeError(`unknown identity ${String(identity)}`)
  if (!opts.force && id.expiresAt - Date.now() > (opts.minValidityS ?? 30) * 1000) return Promise.resolve(id)
  const pending = inFlight.get(id)
  if (pending) return pending
  const run = (async () => {
    try {
      if (id.parent !== null) await refreshIdentity(prov, id.parent, { ...opts, force: false })
      const principal = id.parent === null ? (principalsOf(prov.population).get(id.principal) ?? null) : null
      return await reexchange({ meta: prov.meta, subjects: opts.subjects, observe: opts.observe }, id, principal)
    } finally {
      inFlight.delete(id)
    }
  })()
  inFlight.set(id, run)
  return run
}

/**
 * RFC 7592 cleanup (docs/architecture.md: runs clean up the identities they registered): deletes children
 * before parents. Best effort: returns the refs that could not be deleted instead of throwing.
 */
export async function deprovision(identities: readonly ProvisionedIdentity[], meta: AsMetadata, concurrency = 16): Promise<{ deleted: number; failed: string[] }> {
  const failed: string[] = []
  let deleted = 0
  // Deepest level first, one level at a time: an AS may refuse to delete a parent with live children.
  const maxDepth = identities.reduce((m, i) => Math.max(m, i.depth), 0)
  for (let depth = maxDepth; depth >= 1; depth--) {
    await forEachBounded(identities.filter((i) => i.depth === depth), concurrency, async (identity) => {
      try {
        const status = await deleteClient(identity.registration, httpClientFor(meta))
        if (status >= 200 && status < 300) deleted++
        else failed.push(identity.ref)
      } catch {
        failed.push(identity.ref)
      }
    })
  }
  return { deleted, failed }
}
