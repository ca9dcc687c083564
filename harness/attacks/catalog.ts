/**
 * The attack catalog as data. Each case says what rule it breaks, how it is graded (MUST → breach
 * when accepted; SHOULD/MAY/policy → warn), the responses a correct target may give, and the
 * evidence a correct target writes. The oracle grades only from this data.
 */
import type { ReasonArea } from '../contracts/evidence.ts'
import { AUTHORIZATION_SERVER_CASES } from './catalog/authorization-server-cases.ts'
import { RESOURCE_SERVER_CASES } from './catalog/resource-server-cases.ts'
import type { AttackCase } from '../contracts/attack-case.ts'

export const CATALOG_VERSION = '2026.12.1'

export const CATALOG: readonly AttackCase[] = [...RESOURCE_SERVER_CASES, ...AUTHORIZATION_SERVER_CASES]

export function findCase(id: string): AttackCase | undefined {
  return CATALOG.find((c) => c.id === id)
}

/**
 * The families a scenario may name with a pattern: each class (`replay.*`) and each group of ids
 * that share their first two segments (`replay.stolen-token.*`), in catalog order.
 */
export function caseFamilies(): string[] {
  const families = new Set<string>()
  for (const c of CATALOG) families.add(`${c.class}.*`)
  for (const c of CATALOG) {
    const [cls, family] = c.id.split('.')
    if (CATALOG.filter((x) => x.id.startsWith(`${cls}.${family}.`)).length > 0) families.add(`${cls}.${family}.*`)
  }
  return [...families]
}

/**
 * Expands a scenario's `attacks.cases`: `'all'` (the whole catalog), ids, and `replay.*`-style
 * patterns; ids and patterns that match nothing come back in `unknown`.
 */
export function selectCases(patterns: readonly string[] | 'all'): { cases: AttackCase[]; unknown: string[] } {
  if (patterns === 'all') return { cases: [...CATALOG], unknown: [] }
  const picked = new Map<string, AttackCase>()
  const unknown: string[] = []
  for (const p of patterns) {
    const matches = p.endsWith('*') ? CATALOG.filter((c) => c.id.startsWith(p.slice(0, -1))) : CATALOG.filter((c) => c.id === p)
    if (matches.length === 0) unknown.push(p)
    for (const m of matches) picked.set(m.id, m)
  }
  return { cases: [...picked.values()], unknown }
}
