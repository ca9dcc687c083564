/**
 * The attack catalog as data. Each case says what rule it breaks, how it is graded (MUST → breach
 * when accepted; SHOULD/MAY/policy → warn), the responses a correct target may give, and the
 * evidence a correct target writes. The oracle grades only from this data.
 */
import type { ReasonArea } from '../evidence/record.ts'

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
}

export const CATALOG: readonly AttackCase[] = [
  {
    id: 'replay.dpop-jti-reuse',
    class: 'replay',
    title: 'Resend a request with the same DPoP proof (same jti)',
    rule: 'A proof is accepted once; a server can store jti per target URI to refuse repeats',
    refs: ['RFC 9449 §11.1', 'RFC 9449 §4.3 (11)'],
    owasp: ['ASI07'],
    grading: 'should',
    expect: [{ status: 401, error: 'invalid_dpop_proof', scheme: 'DPoP' }],
    evidence: { decision: 'deny', area: 'dpop', attribution: 'token', detail: ['proof_jti_hash'] },
    write: false,
  },
  {
    id: 'escalate.tool-scope',
    class: 'escalate',
    title: 'Call a tool whose scope the token lacks',
    rule: 'A request needing a scope the token does not hold is refused with insufficient_scope',
    refs: ['RFC 6750 §3.1'],
    owasp: ['ASI02', 'NHI5'],
    grading: 'must',
    expect: [{ status: 403, error: 'insufficient_scope', scheme: 'DPoP' }],
    evidence: { decision: 'deny', area: 'scope', attribution: 'token', detail: [] },
    write: true,
  },
  {
    id: 'unattributed.no-credential',
    class: 'unattributed',
    title: 'Call a tool with no credential at all',
    rule: 'No credential → 401 with a challenge and no error code',
    refs: ['RFC 6750 §3.1', 'RFC 9449 §7.1 Fig. 15'],
    owasp: ['NHI9'],
    grading: 'must',
    expect: [{ status: 401, error: null, scheme: 'DPoP' }],
    evidence: { decision: 'deny', area: 'auth', attribution: 'anonymous', detail: [] },
    write: false,
  },
]

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
