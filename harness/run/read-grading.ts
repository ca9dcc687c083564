/**
 * Reads a graded run store back whole: verdicts in send order and how records joined attempts.
 * For small stores (a sweep, tests); reporters page through run.db instead (store-rows.ts).
 */
import path from 'node:path'
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { GradedAttempt, Verdict } from '../contracts/verdict.ts'
import { RUN_FILES } from './run-dir.ts'
import { RunStore } from './run-store.ts'

/** How records joined attempts. */
export interface EvidenceMatch {
  /** in-time records joined to each attempt, in delivery order */
  bySeq: Map<number, EvidenceRecord[]>
  /** late records joined to each attempt (reported, never counted as evidence) */
  lateBySeq: Map<number, EvidenceRecord[]>
  /** record id → attempt seq, for every joined record */
  seqById: Map<string, number>
  via: Map<string, 'trace' | 'token-window'>
  /** ids of every late record, joined or not */
  lateIds: Set<string>
  /** records that joined no attempt */
  unmatched: EvidenceRecord[]
}

/** A finished run directory's attempts, verdicts and in-time joined records. */
export function readGrading(dir: string): { attempts: AttemptRecord[]; verdicts: Map<number, GradedAttempt>; records: Map<number, EvidenceRecord[]> } {
  const store = RunStore.open(path.join(dir, RUN_FILES.db))
  try {
    const deadline = store.getMeta('settle_deadline')
    const attempts = [...store.attemptPages(5_000)].flat()
    const verdicts = new Map(readVerdicts(store).map((g) => [g.seq, g]))
    return { attempts, verdicts, records: readJoins(store, deadline === undefined ? undefined : Number(deadline)).bySeq }
  } finally {
    store.close()
  }
}

export function readVerdicts(store: RunStore): GradedAttempt[] {
  const rows = store.sql('SELECT seq, verdict, why, evidence_id, matched, faithful FROM verdicts ORDER BY seq').all() as {
    seq: number; verdict: Verdict; why: string; evidence_id: string | null; matched: number; faithful: number | null
  }[]
  return rows.map((r) => ({
    seq: r.seq,
    verdict: r.verdict,
    why: r.why,
    ...(r.evidence_id === null ? {} : { evidence_id: r.evidence_id }),
    matched: r.matched === 1,
    faithful: r.faithful === null ? null : r.faithful === 1,
  }))
}

export function readJoins(store: RunStore, settleDeadline: number | undefined): EvidenceMatch {
  const m: EvidenceMatch = { bySeq: new Map(), lateBySeq: new Map(), seqById: new Map(), via: new Map(), lateIds: new Set(), unmatched: [] }
  const rows = store.sql(`SELECT e.id, e.ts, e.json, j.seq, j.via, t.rowid AS tampered FROM evidence e
    LEFT JOIN joins j ON j.rowid = e.rowid LEFT JOIN tampered t ON t.rowid = e.rowid ORDER BY e.rowid`).all() as {
    id: string; ts: number | null; json: string; seq: number | null; via: 'trace' | 'token-window' | null; tampered: number | null
  }[]
  for (const r of rows) {
    const record = JSON.parse(r.json) as EvidenceRecord
    const late = settleDeadline !== undefined && r.tampered === null && r.ts !== null && r.ts > settleDeadline
    if (late) m.lateIds.add(r.id)
    if (r.seq === null) {
      m.unmatched.push(record)
      continue
    }
    const into = late ? m.lateBySeq : m.bySeq
    into.set(r.seq, [...(into.get(r.seq) ?? []), record])
    m.seqById.set(r.id, r.seq)
    m.via.set(r.id, r.via!)
  }
  return m
}
