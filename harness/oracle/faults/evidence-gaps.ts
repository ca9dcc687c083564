/**
 * "Every attempt made during a fault is recorded, or the target recorded the gap" (the chaos
 * steady state). A writer that lost records (killed before it shipped its buffer, sink outage past
 * what it could hold) must say so with a `system.evidence_gap` record. Such a record covers the
 * attempts of a fault window that have no record of their own: same resource (audience) when the
 * record names one, inside the gap's time span, and no more attempts than the records it says were
 * lost when it gives an exact count; a record that lists trace ids covers exactly those. A gap
 * with neither a start nor trace ids covers nothing: it cannot say which attempts it stands for.
 *
 * Only attempts in flight during a fault window can be covered; an unrecorded attempt anywhere else
 * stays `unrecorded`.
 */
import type { AttemptRecord } from '../../contracts/attempt.ts'
import type { AttackCase } from '../../contracts/attack-case.ts'
import type { EvidenceRecord } from '../../contracts/evidence.ts'
import { matchesExpected } from '../grade-attempt.ts'
import type { GradedAttempt } from '../../contracts/verdict.ts'
import { IN_FLIGHT_LEAD_MS } from './windows.ts'
import type { FaultWindowRecord } from '../../contracts/fault-window.ts'

export const EVIDENCE_GAP_REASON = 'system.evidence_gap'

export interface EvidenceGap {
  id: string
  component: string
  /** epoch ms of the gap record */
  ts: number
  /** the span the lost records were written in, epoch ms (bounded by the gap record's own time) */
  from: number | null
  to: number | null
  /** how many records were lost, when the record says exactly (else no cap) */
  lost: number | null
  /** the very attempts it stands for, when the record lists them (refusals without a record) */
  traceIds: ReadonlySet<string> | null
  aud: string | null
}

const SLACK_MS = 1_000

function epoch(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e12 ? v * 1000 : v
  if (typeof v === 'string') {
    const t = Date.parse(v)
    return Number.isNaN(t) ? null : t
  }
  return null
}

function firstOf(detail: Record<string, unknown>, keys: string[], read: (v: unknown) => number | null): number | null {
  for (const k of keys) {
    const v = read(detail[k])
    if (v !== null) return v
  }
  return null
}

const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null)

/**
 * Gap records as the evidence schema's `detail` gives them: the reference target writes
 * `{ cause: 'writer_restarted', undelivered_since, lost_count | lost_at_least }` (a writer killed
 * with records in its buffer, recorded by its successor) and `{ cause: 'buffer_full', first_at,
 * last_at, refused_count, trace_ids }` (refusals it could not record while its buffer was full).
 */
export function evidenceGaps(records: Iterable<EvidenceRecord>): EvidenceGap[] {
  const gaps: EvidenceGap[] = []
  for (const r of records) {
    if (r.reason !== EVIDENCE_GAP_REASON) continue
    const d = r.detail ?? {}
    const ts = epoch(r.ts) ?? 0
    const ids = Array.isArray(d.trace_ids) && d.trace_ids.length > 0 && d.trace_ids_truncated !== true ? new Set(d.trace_ids.filter((x): x is string => typeof x === 'string')) : null
    gaps.push({
      id: r.id,
      component: r.component,
      ts,
      from: firstOf(d, ['undelivered_since', 'first_at', 'from', 'since'], epoch),
      // records are lost before the gap is recorded: its own time bounds the span
      to: firstOf(d, ['last_at', 'to', 'until'], epoch) ?? ts,
      lost: firstOf(d, ['lost_count', 'refused_count', 'lost'], count),
      traceIds: ids,
      aud: r.resource?.aud ?? null,
    })
  }
  return gaps
}

function covers(g: EvidenceGap, a: AttemptRecord): boolean {
  if (g.traceIds !== null) return g.traceIds.has(a.trace_id)
  // A gap that says neither which attempts nor since when (e.g. a writer reporting that the sink
  // lost records it had already acknowledged) cannot stand for any attempt's missing record.
  if (g.from === null) return false
  if (g.aud !== null && a.expected.aud && g.aud !== a.expected.aud) return false
  const from = (g.from ?? -Infinity) - SLACK_MS
  const to = (g.to ?? Infinity) + SLACK_MS
  return a.started_at <= to && a.ended_at >= from
}

/** The fault window (with the in-flight lead before it and the recovery allowance after) the attempt was in flight during. */
export function windowOf(a: AttemptRecord, windows: readonly FaultWindowRecord[]): FaultWindowRecord | undefined {
  return windows.find((w) => w.start !== null && a.ended_at >= w.start - IN_FLIGHT_LEAD_MS && a.started_at < (w.end ?? w.start + w.for_ms) + (w.recover_within_ms ?? 0))
}

/**
 * Applies recorded gaps to graded attempts one at a time (the oracle streams them): an attempt in
 * flight during a fault window that lacks a record of its own but is covered by a gap counts as
 * matched (so evidence coverage holds); one that was `unrecorded` only for want of that record
 * becomes what it would be with it (pass, or warn for a refusal with the wrong code). Everything
 * else passes through unchanged.
 */
export class GapCoverage {
  readonly #gaps: EvidenceGap[]
  readonly #left: Map<string, number>
  readonly #windows: readonly FaultWindowRecord[]
  readonly #caseById: ReadonlyMap<string, AttackCase>

  constructor(gaps: readonly EvidenceGap[], windows: readonly FaultWindowRecord[], catalog: readonly AttackCase[]) {
    this.#gaps = [...gaps]
    this.#left = new Map(gaps.map((g) => [g.id, g.lost ?? Infinity]))
    this.#windows = windows
    this.#caseById = new Map(catalog.map((c) => [c.id, c]))
  }

  /** The attempt's grade with a covering gap applied, and the gap's id (undefined: unchanged). */
  apply(a: AttemptRecord, g: GradedAttempt): { g: GradedAttempt; gap?: string } {
    if (this.#gaps.length === 0 || g.matched || g.verdict === 'error' || g.verdict === 'not-covered') return { g }
    if (!windowOf(a, this.#windows)) return { g }
    const gap = this.#gaps.find((x) => (this.#left.get(x.id) ?? 0) > 0 && covers(x, a))
    if (!gap) return { g }
    this.#left.set(gap.id, this.#left.get(gap.id)! - 1)
    // Only the missing record changes: a refusal of legitimate work stays a false deny, a breach a breach.
    let verdict = g.verdict
    if (verdict === 'unrecorded') {
      const c = a.case === undefined ? undefined : this.#caseById.get(a.case)
      // a 5xx refusal during a fault is the target failing closed (fail-closed.ts), not a wrong code
      const failedClosed = a.status !== null && a.status >= 500 && a.status <= 599
      verdict = a.kind === 'attack' && c !== undefined && !c.control && !failedClosed && !matchesExpected(a, c.expect) ? 'warn' : 'pass'
    }
    return {
      gap: gap.id,
      g: {
        ...g,
        verdict,
        why: `${g.why}; covered by evidence-gap record ${gap.id} from ${gap.component}${gap.lost !== null ? ` (${gap.lost} records lost)` : ''}`,
        evidence_id: gap.id,
        matched: true,
        faithful: true,
      },
    }
  }
}
