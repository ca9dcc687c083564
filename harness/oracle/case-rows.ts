/**
 * The per-case table of run.json: one row per attack case with its worst verdict, for a board that
 * reads only this table. A case that was selected but never sent is a row too (`not-covered`),
 * because lost coverage must be visible, never silently absent.
 */
import type { AttemptRecord } from '../attempt.ts'
import type { AttackCase } from '../attacks/catalog.ts'
import type { CaseRow } from '../run/run-json.ts'
import { VERDICTS, worse, type GradedAttempt, type Verdict } from './verdict.ts'

/** Enough examples to start an investigation, few enough to keep run.json readable. */
export const MAX_EXAMPLES = 5

function emptyRow(id: string, c: AttackCase | undefined): CaseRow {
  return {
    id,
    // An id the catalog does not know still shows its family from the id's prefix.
    class: c?.class ?? id.split('.')[0] ?? 'unknown',
    grading: c?.grading ?? 'unknown',
    refs: c ? [...c.refs] : [],
    attempts: 0,
    counts: {},
    verdict: 'pass',
    examples: [],
  }
}

export function buildCaseRows(
  attempts: readonly AttemptRecord[],
  graded: ReadonlyMap<number, GradedAttempt>,
  catalog: readonly AttackCase[],
  selected: readonly string[] = [],
): CaseRow[] {
  const rows = new Map<string, CaseRow>()
  const failing = new Map<string, { a: AttemptRecord; g: GradedAttempt }[]>()
  const rowFor = (id: string): CaseRow => {
    let row = rows.get(id)
    if (!row) {
      row = emptyRow(id, catalog.find((c) => c.id === id))
      rows.set(id, row)
    }
    return row
  }
  for (const id of selected) rowFor(id)
  for (const a of attempts) {
    if (a.kind !== 'attack') continue
    const g = graded.get(a.seq)
    if (!g) continue
    const id = a.case ?? '(no case)'
    const row = rowFor(id)
    row.attempts++
    row.counts[g.verdict] = (row.counts[g.verdict] ?? 0) + 1
    row.verdict = row.attempts === 1 ? g.verdict : worse(row.verdict, g.verdict)
    if (g.verdict !== 'pass') {
      const list = failing.get(id) ?? []
      list.push({ a, g })
      failing.set(id, list)
    }
  }
  const rank = (v: Verdict): number => VERDICTS.indexOf(v)
  for (const row of rows.values()) {
    if (row.attempts === 0) row.verdict = 'not-covered'
    // Worst first, then in send order, so the first example is the one to look at.
    const list = (failing.get(row.id) ?? []).sort((x, y) => rank(y.g.verdict) - rank(x.g.verdict) || x.a.seq - y.a.seq)
    row.examples = list.slice(0, MAX_EXAMPLES).map(({ a, g }) => ({ trace_id: a.trace_id, verdict: g.verdict, why: g.why }))
  }
  return [...rows.values()].sort((x, y) => x.id.localeCompare(y.id))
}
