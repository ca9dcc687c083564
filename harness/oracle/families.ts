/**
 * Verdicts by family, so a reviewer sees at a glance which families of attack held: a family is the
 * first two segments of a case id (`replay.dpop-jti-reuse` holds `replay.dpop-jti-reuse` and
 * `replay.dpop-jti-reuse.parallel`). Judged from what the run already decided, never anew:
 * - `failed`: one of its cases is behind a failed gate;
 * - `not-covered`: none of its cases was exercised;
 * - `partial`: what was exercised held, but some case was not covered;
 * - `held`: every case was exercised and none is behind a failed gate (an ungated warn holds; its
 *   row in the case table says so).
 */
import type { CaseRow, FamilyRow, GateResult, RunJson } from '../contracts/run-json.ts'

export const familyOf = (caseId: string): string => caseId.split('.').slice(0, 2).join('.')

export function familiesOf(cases: readonly CaseRow[], coverage: NonNullable<RunJson['coverage']>, gates: readonly GateResult[]): FamilyRow[] {
  const failing = new Set(gates.filter((g) => !g.ok).flatMap((g) => g.cases))
  const uncovered = new Set(coverage.filter((c) => !c.covered).map((c) => c.case))
  const rows = new Map<string, FamilyRow>()
  for (const c of cases) {
    const family = familyOf(c.id)
    const row = rows.get(family) ?? { family, class: c.class, cases: [], attempts: 0, failed: [], not_covered: [], result: 'held' }
    row.cases.push(c.id)
    row.attempts += c.attempts
    if (failing.has(c.id)) row.failed.push(c.id)
    if (uncovered.has(c.id)) row.not_covered.push(c.id)
    rows.set(family, row)
  }
  for (const row of rows.values()) {
    row.result = row.failed.length > 0 ? 'failed' : row.not_covered.length === row.cases.length ? 'not-covered' : row.not_covered.length > 0 ? 'partial' : 'held'
  }
  return [...rows.values()]
}
