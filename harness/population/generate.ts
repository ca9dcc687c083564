/**
 * Seeded population structure (docs/architecture.md, Determinism): the same seed and spec give the same
 * tenants, principals, agents, sub-agents and delegation trees, whatever the number of workers,
 * because the whole structure is drawn here, in one fixed order, before any work is split.
 *
 * A private Faker instance is seeded so nothing else in the process (another module calling the
 * global `faker`) can shift the sequence. Keys are not drawn here: they are random (provision.ts).
 *
 * Scope shapes are chosen to give the tool-scope attacks material: about a quarter of users lack
 * `refunds:write`, some agents are narrowed below their user, and every delegation hop drops at
 * least one scope, so roughly half the sub-agents lack `refunds:write`.
 *
 * @example
 *   const pop = buildPopulation({ tenants: 3, agents: 12, subAgentsPerAgent: 2, depth: 2 }, 42)
 *   pop.subAgents[0] // { ref: 'a1.1', parentRef: 'a1', scope: ['tickets:read'], … }
 */
import { Faker, en } from '@faker-js/faker'
import { ENTITLEMENTS, normalizeSpec } from './spec.ts'
import type { AgentNode, Entitlement, Population, PopulationSpec, Principal, SubAgentNode, Tenant } from './spec.ts'

const canonical = (scopes: readonly Entitlement[]): Entitlement[] => ENTITLEMENTS.filter((e) => scopes.includes(e))

function drawEntitlements(faker: Faker): Entitlement[] {
  const r = faker.number.float({ min: 0, max: 1 })
  if (r < 0.75) return [...ENTITLEMENTS]
  if (r < 0.95) return ['tickets:read', 'customers:read']
  return ['tickets:read']
}

/** Most agents get everything their user has; the rest lose `refunds:write` (or one other scope). */
function drawAgentScope(faker: Faker, entitlements: Entitlement[]): Entitlement[] {
  if (entitlements.length === 1 || faker.number.float({ min: 0, max: 1 }) < 0.7) return [...entitlements]
  if (entitlements.includes('refunds:write')) return entitlements.filter((e) => e !== 'refunds:write')
  return canonical(faker.helpers.arrayElements(entitlements, entitlements.length - 1))
}

/**
 * A strict, non-empty subset of the parent's scope. When a deeper level still follows, keep at
 * least two scopes where possible so the next hop can narrow again.
 */
function drawNarrower(faker: Faker, parent: Entitlement[], moreLevelsBelow: boolean): Entitlement[] {
  const max = parent.length - 1
  const min = moreLevelsBelow && max >= 2 ? 2 : 1
  const size = faker.number.int({ min, max })
  return canonical(faker.helpers.arrayElements(parent, size))
}

export function buildPopulation(specIn: PopulationSpec, seed: number): Population {
  if (!Number.isSafeInteger(seed)) throw new TypeError(`seed must be a safe integer, got ${seed}`)
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
        entitlements: drawEntitlements(faker),
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
      scope: drawAgentScope(faker, principal.entitlements),
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
          scope: drawNarrower(faker, parent.scope, depth < spec.depth),
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
