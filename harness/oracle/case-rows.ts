/**
 * The per-case table of run.json: one row per attack case with its worst verdict, for a board that
 * reads only this table. A case that was selected but never sent is a row too (`not-covered`),
 * because lost coverage must be visible, never silently absent.
 */
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { AttackCase } from '../contracts/attack-case.ts'
import type { CaseRow } from '../contracts/run-json.ts'
import { VERDICTS, worse, type GradedAttempt, type Verdict } from '../contracts/verdict.ts'

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

type Example = CaseRow['examples'][number] & { seq: number }

/** A CaseRowsBuilder's content as plain data. */
export interface CaseRowsPart {
  rows: CaseRow[]
  examples: [string, Example[]][]
}

const rank = (v: Verdict): number => VERDICTS.indexOf(v)
/** Worst first, then in send order, so the first example is the one to look at. */
const before = (x: Example, y: Example): boolean => rank(x.verdict) > rank(y.verdict) || (x.verdict === y.verdict && x.seq < y.seq)

/**
 * The per-case table built one graded attack at a time (the streaming grader feeds it in any order).
 * It keeps only the best MAX_EXAMPLES failing examples per case, so memory is per case, not per attempt.
 */
export class CaseRowsBuilder {
  private readonly rows = new Map<string, CaseRow>()
  private readonly examples = new Map<string, Example[]>()
  private readonly catalog: readonly AttackCase[]

  constructor(catalog: readonly AttackCase[], selected: readonly string[] = []) {
    this.catalog = catalog
    for (const id of selected) this.rowFor(id)
  }

  private rowFor(id: string): CaseRow {
    let row = this.rows.get(id)
    if (!row) {
      row = emptyRow(id, this.catalog.find((c) => c.id === id))
      this.rows.set(id, row)
    }
    return row
  }

  add(a: AttemptRecord, g: GradedAttempt): void {
    if (a.kind !== 'attack') return
    const id = a.case ?? '(no case)'
    const row = this.rowFor(id)
    row.attempts++
    row.counts[g.verdict] = (row.counts[g.verdict] ?? 0) + 1
    row.verdict = row.attempts === 1 ? g.verdict : worse(row.verdict, g.verdict)
    if (g.verdict === 'pass') return
    this.#example(id, { trace_id: a.trace_id, verdict: g.verdict, why: g.why, seq: a.seq })
  }

  /** What this builder holds, as plain data (it crosses threads: oracle/verdict-pass.ts). */
  part(): CaseRowsPart {
    return { rows: [...this.rows.values()], examples: [...this.examples] }
  }

  /** Folds in a part built over later attempts in send order: the result is what adding them here would have made. */
  merge(part: CaseRowsPart): void {
    for (const r of part.rows) {
      const row = this.rowFor(r.id)
      if (r.attempts === 0) continue
      row.verdict = row.attempts === 0 ? r.verdict : worse(row.verdict, r.verdict)
      row.attempts += r.attempts
      for (const [v, n] of Object.entries(r.counts)) row.counts[v as Verdict] = (row.counts[v as Verdict] ?? 0) + (n ?? 0)
    }
    for (const [id, list] of part.examples) for (const e of list) this.#example(id, e)
  }

  #example(id: string, e: Example): void {
    const list = this.examples.get(id) ?? []
    if (list.length === MAX_EXAMPLES && !before(e, list[list.length - 1])) return
    const at = list.findIndex((x) => before(e, x))
    list.splice(at === -1 ? list.length : at, 0, e)
    if (list.length > MAX_EXAMPLES) list.pop()
    this.examples.set(id, list)
  }

  build(): CaseRow[] {
    for (const row of this.rows.values()) {
      if (row.attempts === 0) row.verdict = 'not-covered'
      row.examples = (this.examples.get(row.id) ?? []).map(({ trace_id, verdict, why }) => ({ trace_id, verdict, why }))
    }
    return [...this.rows.values()].sort((x, y) => x.id.localeCompare(y.id))
  }
}

export function buildCaseRows(
  attempts: readonly AttemptRecord[],
  graded: ReadonlyMap<number, GradedAttempt>,
  catalog: readonly AttackCase[],
  selected: readonly string[] = [],
): CaseRow[] {
  const builder = new CaseRowsBuilder(catalog, selected)
  for (const a of attempts) {
    const g = graded.get(a.seq)
    if (g) builder.add(a, g)
  }
  return builder.build()
}
