/**
 * The attack catalog as data. Each case says what rule it breaks, how it is graded (MUST → breach
 * when accepted; SHOULD/MAY/policy → warn), the responses a correct target may give, and the
 * evidence a correct target writes. The oracle grades only from this data.
 */
import type { ReasonArea } from '../evidence/record.ts'
import { AUTHORIZATION_SERVER_CASES } from './catalog/authorization-server-cases.ts'
import { RESOURCE_SERVER_CASES } from './catalog/resource-server-cases.ts'

export const CATALOG_VERSION = '2026.11.1'

export type AttackClass = 'replay' | 'escalate' | 'unattributed' | 'lifecycle'
export type Grading = 'must' | 'should' | 'may' | 'policy'

export interface ExpectedResponse {
  status: number
  /** OAuth error code; null means the response must carry none (e.g. no credentials were sent) */
  error: string | null
  /** challenge scheme where the RFC fixes it */
  scheme?: 'DPoP' | 'Bearer'
}

export interface AttackCase {
  id: string
  class: AttackClass
  title: string
  rule: string
  refs: string[]
  owasp: string[]
  grading: Grading
  /** any listed response passes */
  expect: ExpectedResponse[]
  evidence: {
    decision: 'deny'
    area: ReasonArea
    /** how the deny record must attribute the call: to the token's principal and actors, or to nobody */
    attribution: 'token' | 'anonymous'
    /** detail fields a reviewer needs; reported when missing */
    detail: string[]
  }
  /** the attempt tries a write: a refusal must leave no side effect */
  write: boolean
  /**
   * A control case: a correct target ACCEPTS it (e.g. htu with an upper-case host). Expect 2xx and an
   * allow record; a refusal is graded by `grading` (usually a warn), never a breach.
   */
  control?: boolean
  /**
   * Judge the issued token rather than the status (RFC 8693 §2.2.1, RFC 6749 §3.3): a 200 whose
   * token is no wider than the subject's is a pass; only a wider one is accepted-as-attack.
   */
  judge?: 'issued-token'
  /** judged as a group (attempts sharing `group`): at most one of N may be accepted */
  concurrency?: boolean
  /** target capabilities the case needs; without them it is not-covered */
  needs?: (keyof import('../target/types.ts').TargetCapabilities)[]
}

export const CATALOG: readonly AttackCase[] = [...RESOURCE_SERVER_CASES, ...AUTHORIZATION_SERVER_CASES]

export function findCase(id: string): AttackCase | undefined {
  return CATALOG.find((c) => c.id === id)
}

/** Expands `replay.*`-style patterns against the catalog; unknown ids come back in `unknown`. */
export function selectCases(patterns: string[]): { cases: AttackCase[]; unknown: string[] } {
  const picked = new Map<string, AttackCase>()
  const unknown: string[] = []
  for (const p of patterns) {
    const matches = p.endsWith('*') ? CATALOG.filter((c) => c.id.startsWith(p.slice(0, -1))) : CATALOG.filter((c) => c.id === p)
    if (matches.length === 0) unknown.push(p)
    for (const m of matches) picked.set(m.id, m)
  }
  return { cases: [...picked.values()], unknown }
}
