/**
 * Seeded population structure (docs/architecture.md, Determinism): the same seed and spec give the same
 * tenants, principals, agents, sub-agents and delegation trees, whatever the number of workers,
 * because the whole structure is drawn here, in one fixed order, before any work is split.
 *
 * A private Faker instance is seeded so nothing else in the process (another module calling the
 * global `faker`) can shift the sequence. Keys are not drawn here: they are random (provision.ts).
 *
 * Entitlements are drawn from the target's tool scopes (ScopeSet: a profile's tools, or the reference
 * target's). Scope shapes are chosen to give the tool-scope attacks material: about a quarter of
 * users lack the write scopes, some agents are narrowed below their user, and every delegation hop
 * drops at least one scope, so roughly half the sub-agents lack a write scope.
 *
 * @example
 *   const pop = buildPopulation({ tenants: 3, agents: 12, subAgentsPerAgent: 2, depth: 2 }, 42, scopeSetOf(rs.tools))
 *   pop.subAgents[0] // { ref: 'a1.1', parentRef: 'a1', scope: ['tickets:read'], … }
 */
import { Faker, en } from '@faker-js/faker'
import { normalizeSpec } from './spec.ts'
import type { AgentNode, Population, PopulationSpec, Principal, ScopeSet, SubAgentNode, Tenant } from './spec.ts'

function canonical(set: ScopeSet, scopes: readonly string[]): string[] {
  return set.scopes.filter((e) => scopes.includes(e))
}

/** Most users hold every scope; a fifth hold none of the write scopes; a few only the first read scope. */
function drawEntitlements(faker: Faker, set: ScopeSet): string[] {
  const r = faker.number.float({ min: 0, max: 1 })
  const reads = set.scopes.filter((x) => !set.writes.includes(x))
  if (r < 0.75 || reads.length === 0) return [...set.scopes]
  if (r < 0.95 && reads.length < set.scopes.length) return reads
  return [reads[0]]
}

/** Most agents get everything their user has; the rest lose the write scopes (or one other scope). */
function drawAgentScope(faker: Faker, set: ScopeSet, entitlements: string[]): string[] {
  if (entitlements.length === 1 || faker.number.float({ min: 0, max: 1 }) < 0.7) return [...entitlements]
  if (entitlements.some((e) => set.writes.includes(e))) return entitlements.filter((e) => !set.writes.includes(e))
  return canonical(set, faker.helpers.arrayElements(entitlements, entitlements.length - 1))
}

/**
 * A strict, non-empty subset of the parent's scope. When a deeper level still follows, keep at
 * least two scopes where possible so the next hop can narrow again.
 */
function drawNarrower(faker: Faker, set: ScopeSet, parent: string[], moreLevelsBelow: boolean): string[] {
  const max = parent.length - 1
  const min = moreLevelsBelow && max >= 2 ? 2 : 1
  const size = faker.number.int({ min, max })
  return canonical(set, faker.helpers.arrayElements(parent, size))
}

export function buildPopulation(specIn: PopulationSpec, seed: number, set: ScopeSet): Population {
  if (!Number.isSafeInteger(seed)) throw new TypeError(`seed must be a safe integer, got ${seed}`)
  if (set.scopes.length === 0) throw new TypeError('a population needs at least one tool scope to draw entitlements from')
  const spec = normalizeSpec(specIn)
  const faker = new Faker({ locale: [en] })
  faker.seed(seed)

  const tenants: Tenant[] = []
  for (let t = 1; t <= spec.tenants; t++) tenants.push({ id: `t_${t}`, name: faker.company.name() })

  const principals: Principal[] = []
  const principalsByTenant = new Map<string, Principal[]>()
  for (const tenant of tenants) {
    const list: Principal[] = []
    for (let p = 0; p < spec.principalsPerTenant; p++) {
      const principal: Principal = {
        id: `user_${principals.length + 1}`,
        tenant: tenant.id,
        name: faker.person.fullName(),
        entitlements: drawEntitlements(faker, set),
      }
      principals.push(principal)
      list.push(principal)
    }
    principalsByTenant.set(tenant.id, list)
  }

  // Round-robin over tenants so every tenant has agents (cross-tenant cases need neighbours).
  const agents: AgentNode[] = []
  for (let a = 1; a <= spec.agents; a++) {
    const tenant = tenants[(a - 1) % tenants.length]
    const principal = faker.helpers.arrayElement(principalsByTenant.get(tenant.id)!)
    agents.push({
      ref: `a${a}`,
      kind: 'agent',
      depth: 1,
      tenant: tenant.id,
      principal: principal.id,
      scope: drawAgentScope(faker, set, principal.entitlements),
      children: [],
    })
  }

  // Breadth first, level by level: parents precede children, and the draw order is fixed.
  const subAgents: SubAgentNode[] = []
  let parents: (AgentNode | SubAgentNode)[] = agents
  for (let depth = 2; depth <= spec.depth; depth++) {
    const level: SubAgentNode[] = []
    for (const parent of parents) {
      // A single-scope parent cannot be narrowed strictly, so it stays a leaf.
      if (parent.scope.length < 2) continue
      for (let k = 1; k <= spec.subAgentsPerAgent; k++) {
        const child: SubAgentNode = {
          ref: `${parent.ref}.${k}`,
          kind: 'sub-agent',
          parentRef: parent.ref,
          depth,
          tenant: parent.tenant,
          principal: parent.principal,
          scope: drawNarrower(faker, set, parent.scope, depth < spec.depth),
          children: [],
        }
        parent.children.push(child.ref)
        level.push(child)
      }
    }
    subAgents.push(...level)
    parents = level
  }

  return { seed, spec, tenants, principals, agents, subAgents }
}
