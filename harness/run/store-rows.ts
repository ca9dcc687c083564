/**
 * RunFiles over a run store: attempts with their verdicts and records with their joins, read in
 * pages so a CSV of millions of rows streams in constant memory. Each page's verdicts and joins are
 * kept while it is being yielded, so the reporter's per-row lookup right after a row costs a map
 * read; a lookup for any other key falls back to one indexed query.
 */
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { GradedAttempt, Verdict } from '../contracts/verdict.ts'
import type { RunFiles } from './reporter.ts'
import type { RunStore } from './run-store.ts'

const PAGE = 1_000

interface VerdictRow {
  seq: number
  verdict: Verdict | null
  why: string | null
  evidence_id: string | null
  matched: number | null
  faithful: number | null
}

function toGraded(r: VerdictRow): GradedAttempt | undefined {
  if (r.verdict === null) return undefined
  const g: GradedAttempt = { seq: r.seq, verdict: r.verdict, why: r.why ?? '', matched: r.matched === 1, faithful: r.faithful === null ? null : r.faithful === 1 }
  if (r.evidence_id !== null) g.evidence_id = r.evidence_id
  return g
}

/** `settleDeadline`: the one the grading used (records after it are late); undefined: none are. */
export function storeRows(store: RunStore, dir: string, settleDeadline?: number): RunFiles {
  let verdictPage = new Map<number, GradedAttempt | undefined>()
  let joinPage = new Map<string, { seq: number | undefined; late: boolean }>()
  const lateOf = (ts: number | null, tampered: number | null): boolean =>
    settleDeadline !== undefined && tampered === null && ts !== null && ts > settleDeadline
  const VERDICT_COLUMNS = 'v.verdict, v.why, v.evidence_id, v.matched, v.faithful'
  const JOIN_SQL = `SELECT e.rowid, e.id, e.ts, e.json, j.seq, t.rowid AS tampered FROM evidence e
    LEFT JOIN joins j ON j.rowid = e.rowid LEFT JOIN tampered t ON t.rowid = e.rowid`

  function joinOf(id: string): { seq: number | undefined; late: boolean } {
    const cached = joinPage.get(id)
    if (cached) return cached
    const r = store.sql(`${JOIN_SQL} WHERE e.id = ?`).get(id) as { ts: number | null; seq: number | null; tampered: number | null } | undefined
    return { seq: r?.seq ?? undefined, late: r ? lateOf(r.ts, r.tampered) : false }
  }

  return {
    dir,
    db: store.file,
    *attempts(): Generator<AttemptRecord> {
      for (let after = Number.MIN_SAFE_INTEGER; ; ) {
        const rows = store.sql(`SELECT a.seq, a.json, ${VERDICT_COLUMNS} FROM attempts a LEFT JOIN verdicts v ON v.seq = a.seq
          WHERE a.seq > ? ORDER BY a.seq LIMIT ?`).all(after, PAGE) as unknown as (VerdictRow & { json: string })[]
        if (rows.length === 0) return
        after = rows[rows.length - 1].seq
        verdictPage = new Map(rows.map((r) => [r.seq, toGraded(r)]))
        for (const r of rows) yield JSON.parse(r.json) as AttemptRecord
      }
    },
    verdicts: {
      get(seq) {
        if (verdictPage.has(seq)) return verdictPage.get(seq)
        const r = store.sql('SELECT * FROM verdicts WHERE seq = ?').get(seq) as VerdictRow | undefined
        return r && toGraded(r)
      },
    },
    *evidence(): Generator<EvidenceRecord> {
      for (let after = 0; ; ) {
        const rows = store.sql(`${JOIN_SQL} WHERE e.rowid > ? ORDER BY e.rowid LIMIT ?`).all(after, PAGE) as {
          rowid: number; id: string; ts: number | null; json: string; seq: number | null; tampered: number | null
        }[]
        if (rows.length === 0) return
        after = rows[rows.length - 1].rowid
        joinPage = new Map(rows.map((r) => [r.id, { seq: r.seq ?? undefined, late: lateOf(r.ts, r.tampered) }]))
        for (const r of rows) yield JSON.parse(r.json) as EvidenceRecord
      }
    },
    seqById: { get: (id) => joinOf(id).seq },
    lateIds: { has: (id) => joinOf(id).late },
  }
}
