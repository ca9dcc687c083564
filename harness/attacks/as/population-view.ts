/**
 * What the authorization-server cases know of the provisioned population: each identity by client
 * id, each client's children, each principal, and the ordinary token exchange an identity makes
 * (an agent: its user's subject token; a sub-agent: its parent's access token). Most cases start
 * from that legitimate request and change exactly one thing.
 *
 * @example
 *   prepare: (kit) => populationView(kit),
 *   fire(env) { const x = await ordinaryExchange(env.prepared as PopulationView, env.meta, env.identity) }
 */
import type { RunIdentity } from '../../contracts/identity.ts'
import { unverifiedPayload } from '../../protocol/jws.ts'
import { SUBJECT_ACCESS_TOKEN, type AsMetadata } from '../../protocol/oauth-client.ts'
import type { Principal } from '../../population/spec.ts'
import type { WorkforceIdp } from '../../population/workforce-idp.ts'
import type { ResourceServerInfo, SubjectTokenSource } from '../../contracts/target.ts'
import type { CaseKit } from '../kit.ts'

export interface PopulationView {
  /** crafts subject tokens: only for cases that need `harnessIdp` */
  idp: Pick<WorkforceIdp, 'assertionFor'>
  /** agents' ordinary subject tokens */
  subjects: SubjectTokenSource
  principals: Map<string, Principal>
  byClientId: Map<string, RunIdentity>
  /** client id → its registered children (sub-agents whose current parent it is) */
  children: Map<string, RunIdentity[]>
  /** tenant → its top-level agents */
  agentsByTenant: Map<string, RunIdentity[]>
  resources: ResourceServerInfo[]
}

export function populationView(kit: CaseKit): PopulationView {
  const byClientId = new Map(kit.identities.map((i) => [i.clientId, i]))
  const children = new Map<string, RunIdentity[]>()
  const agentsByTenant = new Map<string, RunIdentity[]>()
  for (const i of kit.identities) {
    if (i.kind === 'agent') agentsByTenant.set(i.tenant, [...(agentsByTenant.get(i.tenant) ?? []), i])
    else if (i.actors.length > 1) children.set(i.actors[1], [...(children.get(i.actors[1]) ?? []), i])
  }
  return {
    idp: kit.idp,
    subjects: kit.subjects,
    principals: new Map(kit.principals.map((p) => [p.id, p])),
    byClientId,
    children,
    agentsByTenant,
    resources: kit.target.resources,
  }
}

/** The top-level agent of an identity's chain (the identity itself for an agent). */
export function topAgent(view: PopulationView, identity: RunIdentity): RunIdentity {
  return view.byClientId.get(identity.actors[identity.actors.length - 1]) ?? identity
}

/**
 * The top-level agent of the carrier's chain with its principal: where the cases that start from an
 * agent's own user assertion begin. Undefined when the population lacks the principal.
 */
export function carrierAgent(env: { prepared?: unknown; identity: RunIdentity }): { view: PopulationView; agent: RunIdentity; principal: Principal } | undefined {
  const view = env.prepared as PopulationView
  const agent = topAgent(view, env.identity)
  const principal = view.principals.get(agent.principal)
  return principal ? { view, agent, principal } : undefined
}

/** A registered child and its parent near `identity`: itself and its parent, or one of its children and itself. */
export function delegationPair(view: PopulationView, identity: RunIdentity, salt: number): { child: RunIdentity; parent: RunIdentity } | undefined {
  if (identity.kind === 'sub-agent') {
    const parent = view.byClientId.get(identity.actors[1])
    return parent ? { child: identity, parent } : undefined
  }
  const kids = view.children.get(identity.clientId) ?? []
  return kids.length > 0 ? { child: kids[salt % kids.length], parent: identity } : undefined
}

/** The token's `aud` (read unverified: our own tokens, for addressing a request, never for trust). */
export function audienceOf(token: string): string | null {
  const aud = unverifiedPayload(token)?.aud
  return typeof aud === 'string' ? aud : Array.isArray(aud) && typeof aud[0] === 'string' ? aud[0] : null
}

export interface Exchange {
  subjectToken: string
  /** RFC 8693 §3 token type URI (SUBJECT_JWT or SUBJECT_ACCESS_TOKEN for the ordinary exchanges) */
  subjectTokenType: string
  /** the resource the identity's own token is for */
  resource: string
  principal: string
  /** the actor chain of the token it yields: the exchanging client first */
  actors: string[]
  tenant: string
}

/**
 * The exchange `identity` makes for its own token: an agent presents a fresh subject token of its
 * user, a sub-agent its parent's access token. Undefined when the population lacks the principal or parent.
 */
export async function ordinaryExchange(view: PopulationView, meta: AsMetadata, identity: RunIdentity): Promise<Exchange | undefined> {
  const resource = audienceOf(identity.credential.accessToken) ?? view.resources[0].audience
  const base = { resource, principal: identity.principal, actors: identity.actors, tenant: identity.tenant }
  if (identity.kind === 'agent') {
    const principal = view.principals.get(identity.principal)
    if (!principal) return undefined
    return { ...base, subjectToken: await view.subjects.subjectTokenFor(principal, meta.issuer), subjectTokenType: view.subjects.tokenType }
  }
  const parent = view.byClientId.get(identity.actors[1])
  if (!parent) return undefined
  return { ...base, subjectToken: parent.credential.accessToken, subjectTokenType: SUBJECT_ACCESS_TOKEN }
}
