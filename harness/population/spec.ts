/**
 * The shape of a population: what a scenario's `population` block asks for, and the seeded
 * structure `buildPopulation` makes from it. Structure only: keys, client ids and tokens arrive at
 * provisioning (provision.ts), because keys are random and client ids are the target's to assign.
 *
 * @example
 *   const spec: PopulationSpec = { tenants: 20, agents: 500, subAgentsPerAgent: 2, depth: 2 }
 */
import { ScenarioInvalid } from '../contracts/errors.ts'

/**
 * The scopes a population draws entitlements from: the tools' scopes of the target (a profile's or
 * the reference target's), in canonical order (scopes are always listed in this order), and which of
 * them grant writes (users and agents without one give the tool-scope attacks their material).
 */
export interface ScopeSet {
  scopes: readonly string[]
  writes: readonly string[]
}

/** The scope set of a target's tools: first appearance is canonical order; a scope writes if any tool needing it writes. */
export function scopeSetOf(tools: readonly { scope: string; writes?: boolean }[]): ScopeSet {
  const scopes: string[] = []
  for (const t of tools) if (!scopes.includes(t.scope)) scopes.push(t.scope)
  return { scopes, writes: scopes.filter((s) => tools.some((t) => t.scope === s && t.writes)) }
}

export interface PopulationSpec {
  tenants: number
  agents: number
  /** children per agent, and per sub-agent when depth is 3 */
  subAgentsPerAgent: number
  /** delegation levels below the principal: 1 = agents only, 2 = agents + sub-agents, 3 = one more hop */
  depth: number
  /** users per tenant; defaults to about one user per two agents (at least one) */
  principalsPerTenant?: number
}

export interface Tenant {
  id: string
  name: string
}

/** A person of the simulated workforce IdP (workforce-idp.ts signs their assertions). */
export interface Principal {
  id: string
  tenant: string
  name: string
  entitlements: string[]
}

export interface AgentNode {
  /** stable name within the run (`a7`); the target assigns the client id */
  ref: string
  kind: 'agent'
  depth: 1
  tenant: string
  /** id of the principal it acts for */
  principal: string
  /** ⊆ the principal's entitlements */
  scope: string[]
  children: string[]
}

export interface SubAgentNode {
  /** `a7.2`, `a7.2.1`: the parent's ref plus a child index */
  ref: string
  kind: 'sub-agent'
  parentRef: string
  /** 2 or 3 */
  depth: number
  tenant: string
  principal: string
  /** a strict subset of the parent's scope: every hop narrows */
  scope: string[]
  children: string[]
}

export type PopulationNode = AgentNode | SubAgentNode

export interface Population {
  seed: number
  spec: Required<PopulationSpec>
  tenants: Tenant[]
  principals: Principal[]
  agents: AgentNode[]
  /** ordered by depth, so every parent comes before its children */
  subAgents: SubAgentNode[]
}

export const MAX_DEPTH = 3

function requireInt(spec: PopulationSpec, key: keyof PopulationSpec, min: number, max = Number.MAX_SAFE_INTEGER): void {
  const v = spec[key]
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    throw new ScenarioInvalid(`population.${key} must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got ${JSON.stringify(v)}`, {
      key: `population.${key}`,
      hint: 'population: { tenants, agents, subAgentsPerAgent, depth (1 = agents only, 2 = + sub-agents, 3 = one more hop), principalsPerTenant? }',
    })
  }
}

/** Fills defaults and refuses what cannot be built (wrong types, depth outside 1..3). */
export function normalizeSpec(spec: PopulationSpec): Required<PopulationSpec> {
  requireInt(spec, 'tenants', 1)
  requireInt(spec, 'agents', 1)
  requireInt(spec, 'subAgentsPerAgent', 0)
  requireInt(spec, 'depth', 1, MAX_DEPTH)
  if (spec.principalsPerTenant !== undefined) requireInt(spec, 'principalsPerTenant', 1)
  const principalsPerTenant = spec.principalsPerTenant ?? Math.max(1, Math.ceil(spec.agents / spec.tenants / 2))
  return {
    tenants: spec.tenants,
    agents: spec.agents,
    subAgentsPerAgent: spec.subAgentsPerAgent,
    depth: spec.depth,
    principalsPerTenant,
  }
}

/** Agents first, then sub-agents parent-before-child: the order provisioning must follow. */
export function nodesOf(pop: Population): PopulationNode[] {
  return [...pop.agents, ...pop.subAgents]
}
