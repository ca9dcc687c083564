/**
 * Joins the target's evidence records to the harness's attempts (design.md, evidence contract):
 * by trace id first — every attempt carries a fresh W3C trace-id, so the join is exact — and, for
 * records without one (targets that do not propagate trace context), by token hash within a time
 * window around the attempt. Records stamped after the settle deadline are "late": they are joined
 * for the report's sake but never count as evidence, so a slow sink shows up as `unrecorded`.
 *
 * @example
 * ```ts
 * const m = matchEvidence(attempts, records, { settleDeadline: lastEnd + 5_000 })
 * m.bySeq.get(17)   // records that arrived in time for attempt 17
 * ```
 */
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'

/**
 * Slack either side of an attempt for the token-hash join: the target's clock and the harness's
 * differ a little even on loopback, and a record is stamped some time between send and response.
 */
export const DEFAULT_TOKEN_WINDOW_MS = 2_000

export interface MatchOptions {
  /** epoch ms; records whose `ts` is later are late. Omitted: nothing is late. */
  settleDeadline?: number
  /** slack for the token-hash fallback join, ms */
  windowMs?: number
}

export interface EvidenceMatch {
  /** in-time records joined to each attempt, in evidence order */
  bySeq: Map<number, EvidenceRecord[]>
  /** late records joined to each attempt (reported, never counted as evidence) */
  lateBySeq: Map<number, EvidenceRecord[]>
  /** record id → attempt seq, for every joined record (in time or late) */
  seqById: Map<string, number>
  /** record id → how it was joined */
  via: Map<string, 'trace' | 'token-window'>
  /** ids of every late record, joined or not */
  lateIds: Set<string>
  /** records that joined no attempt (other traffic, or correlation the target lost) */
  unmatched: EvidenceRecord[]
}

export function matchEvidence(attempts: readonly AttemptRecord[], evidence: readonly EvidenceRecord[], options: MatchOptions = {}): EvidenceMatch {
  const windowMs = options.windowMs ?? DEFAULT_TOKEN_WINDOW_MS
  const result: EvidenceMatch = { bySeq: new Map(), lateBySeq: new Map(), seqById: new Map(), via: new Map(), lateIds: new Set(), unmatched: [] }

  const byTrace = new Map<string, AttemptRecord>()
  const byToken = new Map<string, AttemptRecord[]>()
  for (const a of attempts) {
    // Trace ids are unique per attempt; should one repeat, the first attempt keeps it.
    if (!byTrace.has(a.trace_id)) byTrace.set(a.trace_id, a)
    if (a.token_hash) {
      const list = byToken.get(a.token_hash)
      if (list) list.push(a)
      else byToken.set(a.token_hash, [a])
    }
  }

  const isLate = (r: EvidenceRecord): boolean => {
    if (options.settleDeadline === undefined) return false
    const t = Date.parse(r.ts)
    return Number.isFinite(t) && t > options.settleDeadline
  }
  const join = (r: EvidenceRecord, a: AttemptRecord, via: 'trace' | 'token-window'): void => {
    const target = result.lateIds.has(r.id) ? result.lateBySeq : result.bySeq
    const list = target.get(a.seq)
    if (list) list.push(r)
    else target.set(a.seq, [r])
    result.seqById.set(r.id, a.seq)
    result.via.set(r.id, via)
  }

  const fallback: EvidenceRecord[] = []
  for (const r of evidence) {
    if (isLate(r)) result.lateIds.add(r.id)
    const trace = r.correlation.trace_id
    if (trace) {
      const a = byTrace.get(trace)
      if (a) join(r, a, 'trace')
      else result.unmatched.push(r)
    } else if (r.correlation.token_hash && byToken.has(r.correlation.token_hash)) {
      fallback.push(r)
    } else {
      result.unmatched.push(r)
    }
  }

  // Token-hash join, in time order: one token serves many attempts of an agent, so each record goes
  // to the nearest attempt of that token that no record has claimed yet. An attempt already joined
  // by trace id is taken: its target propagates trace context, so an untraced record is someone else's.
  const claimed = new Set<number>([...result.bySeq.keys(), ...result.lateBySeq.keys()])
  fallback.sort((x, y) => Date.parse(x.ts) - Date.parse(y.ts))
  for (const r of fallback) {
    const t = Date.parse(r.ts)
    let best: AttemptRecord | undefined
    let bestDistance = Infinity
    for (const a of byToken.get(r.correlation.token_hash as string) ?? []) {
      if (claimed.has(a.seq) || !Number.isFinite(t)) continue
      const distance = t < a.started_at ? a.started_at - t : t > a.ended_at ? t - a.ended_at : 0
      if (distance <= windowMs && distance < bestDistance) {
        best = a
        bestDistance = distance
      }
    }
    if (best) {
      claimed.add(best.seq)
      join(r, best, 'token-window')
    } else {
      result.unmatched.push(r)
    }
  }
  return result
}
