import { faker } from '@faker-js/faker'
import { describe, expect, test } from 'vitest'
import { buildPopulation } from '../../../harness/population/generate.ts'
import { nodesOf, scopeSetOf } from '../../../harness/population/spec.ts'
import type { Population } from '../../../harness/population/spec.ts'
import { SCOPES } from './scopes.ts'

const SPEC = { tenants: 4, agents: 40, subAgentsPerAgent: 2, depth: 2 }
const lacksRefunds = (scope: readonly string[]) => !scope.includes('refunds:write')
const isStrictSubset = (child: readonly string[], parent: readonly string[]) =>
  child.length > 0 && child.length < parent.length && child.every((s) => parent.includes(s))

function checkTree(pop: Population) {
  const byRef = new Map(nodesOf(pop).map((n) => [n.ref, n]))
  const principals = new Map(pop.principals.map((p) => [p.id, p]))
  const seen = new Set<string>()
  for (const n of nodesOf(pop)) {
    expect(seen.has(n.ref)).toBe(false)
    seen.add(n.ref)
    expect(n.scope).toEqual(SCOPES.scopes.filter((e) => n.scope.includes(e))) // canonical order
    if (n.kind === 'agent') {
      const p = principals.get(n.principal)!
      expect(p.tenant).toBe(n.tenant)
      expect(n.scope.every((s) => p.entitlements.includes(s))).toBe(true)
    } else {
      const parent = byRef.get(n.parentRef)!
      expect(seen.has(parent.ref)).toBe(true) // parents come first
      expect(parent.children).toContain(n.ref)
      expect(n.ref.startsWith(`${parent.ref}.`)).toBe(true)
      expect(n.depth).toBe(parent.depth + 1)
      expect([n.tenant, n.principal]).toEqual([parent.tenant, parent.principal])
      expect(isStrictSubset(n.scope, parent.scope)).toBe(true)
    }
  }
}

describe('Determinism: population structure from the seed', () => {
  test('the same seed gives a deep-equal population; a different seed gives a different one', () => {
    const a = buildPopulation(SPEC, 42, SCOPES)
    faker.seed(7) // the global faker must not be able to shift a private, seeded instance
    faker.person.fullName()
    const b = buildPopulation(SPEC, 42, SCOPES)
    expect(b).toEqual(a)
    expect(JSON.stringify(b)).toBe(JSON.stringify(a))
    const c = buildPopulation(SPEC, 43, SCOPES)
    expect(c).not.toEqual(a)
  })

  test('ids and names: t_n tenants with company names, user_n principals, a<n> agents, a<n>.<k> sub-agents', () => {
    const pop = buildPopulation(SPEC, 1, SCOPES)
    expect(pop.tenants.map((t) => t.id)).toEqual(['t_1', 't_2', 't_3', 't_4'])
    expect(pop.tenants.every((t) => t.name.length > 0)).toBe(true)
    expect(pop.principals[0].id).toBe('user_1')
    expect(pop.principals).toHaveLength(4 * pop.spec.principalsPerTenant)
    expect(pop.agents.map((a) => a.ref).slice(0, 3)).toEqual(['a1', 'a2', 'a3'])
    // round-robin: every tenant has agents
    expect(new Set(pop.agents.map((a) => a.tenant)).size).toBe(4)
    expect(pop.subAgents[0].ref).toMatch(/^a\d+\.1$/)
    checkTree(pop)
  })
})

describe('Delegation trees narrow scope at every hop', () => {
  test('depth 1 has no sub-agents', () => {
    const pop = buildPopulation({ ...SPEC, depth: 1 }, 5, SCOPES)
    expect(pop.subAgents).toEqual([])
    expect(pop.agents.every((a) => a.children.length === 0)).toBe(true)
  })

  test('depth 2: every multi-scope agent gets subAgentsPerAgent children with a strict subset of its scope', () => {
    const pop = buildPopulation(SPEC, 9, SCOPES)
    checkTree(pop)
    for (const a of pop.agents) expect(a.children).toHaveLength(a.scope.length >= 2 ? 2 : 0)
  })

  test('depth 3: a third level exists and still narrows', () => {
    const pop = buildPopulation({ tenants: 2, agents: 20, subAgentsPerAgent: 2, depth: 3 }, 11, SCOPES)
    checkTree(pop)
    const third = pop.subAgents.filter((s) => s.depth === 3)
    expect(third.length).toBeGreaterThan(0)
    expect(third.every((s) => s.scope.length === 1)).toBe(true)
    expect(pop.subAgents.map((s) => s.depth)).toEqual([...pop.subAgents.map((s) => s.depth)].sort())
  })

  test('tool-scope attack material: a fair share of identities lacks refunds:write, sub-agents most of all', () => {
    const pop = buildPopulation({ tenants: 10, agents: 500, subAgentsPerAgent: 2, depth: 2 }, 2024, SCOPES)
    const share = (xs: { scope: readonly string[] }[]) => xs.filter((x) => lacksRefunds(x.scope)).length / xs.length
    const users = pop.principals.map((p) => ({ scope: p.entitlements }))
    expect(share(users)).toBeGreaterThan(0.1)
    expect(share(users)).toBeLessThan(0.5) // most users have all three
    expect(share(pop.agents)).toBeGreaterThan(0.2)
    expect(share(pop.subAgents)).toBeGreaterThan(0.35)
  })
})

describe('Scenario validation of population', () => {
  test.each([
    [{ ...SPEC, depth: 4 }, 'population.depth'],
    [{ ...SPEC, depth: 0 }, 'population.depth'],
    [{ ...SPEC, agents: 1.5 }, 'population.agents'],
    [{ ...SPEC, tenants: 0 }, 'population.tenants'],
    [{ ...SPEC, subAgentsPerAgent: -1 }, 'population.subAgentsPerAgent'],
    [{ ...SPEC, principalsPerTenant: 0 }, 'population.principalsPerTenant'],
  ])('%o is refused at %s', (spec, key) => {
    expect(() => buildPopulation(spec, 1, SCOPES)).toThrow(expect.objectContaining({ code: 'ERR_SCENARIO_INVALID', key }))
  })
})

describe('entitlements come from the target\'s tools, not from the reference workload', () => {
  test('scopeSetOf: first appearance is canonical order; a scope writes when a tool needing it writes', () => {
    expect(scopeSetOf([{ scope: 'b:read' }, { scope: 'a:write', writes: true }, { scope: 'b:read', writes: false }])).toEqual({ scopes: ['b:read', 'a:write'], writes: ['a:write'] })
  })

  test('a profile\'s scopes: every principal, agent and sub-agent holds only those, narrowing at each hop', () => {
    const set = scopeSetOf([{ scope: 'orders:read' }, { scope: 'invoices:read' }, { scope: 'orders:cancel', writes: true }, { scope: 'audit:read' }])
    const pop = buildPopulation({ tenants: 3, agents: 60, subAgentsPerAgent: 2, depth: 3 }, 7, set)
    for (const p of pop.principals) expect(set.scopes).toEqual(expect.arrayContaining(p.entitlements))
    const held = new Set([...pop.principals.flatMap((p) => p.entitlements), ...nodesOf(pop).flatMap((n) => n.scope)])
    expect([...held].sort()).toEqual([...set.scopes].sort())
    // some users and agents lack the write scope, so tool-scope attacks find carriers
    expect(pop.principals.some((p) => !p.entitlements.includes('orders:cancel'))).toBe(true)
    expect(pop.agents.some((a) => !a.scope.includes('orders:cancel'))).toBe(true)
    for (const s of pop.subAgents) {
      const parent = nodesOf(pop).find((n) => n.ref === s.parentRef)!
      expect(s.scope.length).toBeLessThan(parent.scope.length)
      expect(parent.scope).toEqual(expect.arrayContaining(s.scope))
    }
  })

  test('a target without tool scopes cannot have a population', () => {
    expect(() => buildPopulation({ tenants: 1, agents: 1, subAgentsPerAgent: 0, depth: 1 }, 1, { scopes: [], writes: [] })).toThrow(TypeError)
  })
})
