/**
 * The records an evidence writer writes about evidence it could not write (reason
 * `system.evidence_gap`, policy rule `gap-recorded`), so that "every attempt made during a fault is
 * recorded, or the target recorded the gap" holds:
 *  - `writer_restarted`: a predecessor process lost undelivered records (delivery-marker.ts);
 *    `lost_from` is the last record of the chain the sink holds, `lost_count` is exact (the
 *    predecessor shut down knowing it), `lost_at_least` a lower bound, neither when nobody knows;
 *  - `buffer_full`: refusals answered while the buffer was full, which have no record of their
 *    own, with their trace ids (up to 1000; `trace_ids_truncated` beyond);
 *  - `sink_head_moved`: the sink's head is no longer the last record it acknowledged to this
 *    writer (it lost or rewrote acknowledged records); `expected_head` is that record's hash,
 *    `sink_head` the head the chain goes on from, `rechained` how many buffered (never
 *    acknowledged) records were linked again behind this one. How many records the sink lost is
 *    not the writer's to know.
 */
import type { MarkerState } from './delivery-marker.ts'
import type { RecordInput } from './evidence-writer.ts'

const POLICY = { id: 'reference-evidence-v1', rule: 'gap-recorded' }
const MAX_TRACE_IDS = 1_000

/** `status` 0: no HTTP exchange of its own; a buffer_full record carries the 503 its refusals got. */
function gapRecord(detail: Record<string, unknown>, status: number, audience: string | undefined): RecordInput {
  return {
    decision: 'deny',
    reason: 'system.evidence_gap',
    status,
    ...(status === 503 ? { error: 'temporarily_unavailable' } : {}),
    principal: { sub: null, type: 'anonymous' },
    client_id: null,
    actors: [],
    resource: audience !== undefined ? { aud: audience } : {},
    policy: POLICY,
    correlation: {},
    detail,
  }
}

/** The gap a predecessor left (its marker `before`), chained from the sink's head `head`. */
export function lossRecord(before: MarkerState, head: string | null, audience: string | undefined): RecordInput {
  const known = before.delivered === head && typeof before.undelivered === 'number'
  return gapRecord({
    cause: 'writer_restarted',
    lost_from: head,
    ...(known && before.final === true ? { lost_count: before.undelivered } : {}),
    ...(known && before.final !== true ? { lost_at_least: before.undelivered } : {}),
    ...(before.since !== undefined ? { undelivered_since: before.since } : {}),
  }, 0, audience)
}

/** The sink's head moved away from `expected`, the last record it acknowledged; the chain goes on from `head`. */
export function headMovedRecord(expected: string | null, head: string | null, rechained: number, audience: string | undefined): RecordInput {
  return gapRecord({ cause: 'sink_head_moved', expected_head: expected, sink_head: head, rechained }, 0, audience)
}

/** Refusals answered without a record of their own while the buffer was full. */
export class RefusalTally {
  #count = 0
  #first = ''
  #last = ''
  #traceIds: string[] = []

  get empty(): boolean {
    return this.#count === 0
  }

  add(traceId: string | null): void {
    const now = new Date().toISOString()
    if (this.#count++ === 0) this.#first = now
    this.#last = now
    if (traceId !== null && this.#traceIds.length < MAX_TRACE_IDS) this.#traceIds.push(traceId)
  }

  /** The record summing them up; the tally starts over. */
  take(audience: string | undefined): RecordInput {
    const detail = {
      cause: 'buffer_full',
      refused_count: this.#count,
      first_at: this.#first,
      last_at: this.#last,
      trace_ids: this.#traceIds,
      ...(this.#traceIds.length < this.#count ? { trace_ids_truncated: true } : {}),
    }
    this.#count = 0
    this.#traceIds = []
    return gapRecord(detail, 503, audience)
  }
}
