/**
 * The OTLP receiver's log: what it acknowledged, in order, for the run. Each entry gets the next
 * sequence number before the receiver answers 200, so an acknowledged record is never lost, and the
 * sequence is both the source's cursor and the record's id (`otlp:<seq>`): a re-read from any cursor
 * gives the same records under the same ids.
 *
 * Records are mapped as they arrive (the raw request is not kept); what the mapping or the receiver
 * could not use is an entry too, holding its problems, so problems follow the cursor exactly as
 * records do (EvidencePage `problems`): a page re-read is counted again by whoever re-reads, and
 * nothing before a start cursor is the run's.
 *
 * The log lives in memory with the source object, as long as the run: a cursor from another process
 * names nothing here.
 */
import { createHash } from 'node:crypto'
import type { EvidenceProblems } from '../contracts/evidence-source.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { CompiledMapping } from './mapping.ts'
import type { DecodedLogRecord } from './otlp-decode.ts'
import { MAX_EXAMPLES, ProblemLog } from './problems.ts'

interface Entry {
  record?: EvidenceRecord
  problems?: EvidenceProblems
}

/** A mapping's "line N" is a log record here: its sequence number, which is also its id. */
class RecordProblems extends ProblemLog {
  override unmappedLine(seq: number, why: string): void {
    this.unmapped++
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(`OTLP log record ${seq}: ${why}`)
  }

  any(): boolean {
    return this.unmapped > 0 || this.warnings.length > 0
  }
}

export interface OtlpLogOptions {
  mapping: CompiledMapping
  /** fill correlation.trace_id from the log record's own trace id when the mapped record has none */
  ownTraceId: boolean
}

export class OtlpLog {
  readonly #entries: Entry[] = []
  /** hashes of records already stored, to store a retried export's records once */
  readonly #seen = new Set<string>()
  readonly #options: OtlpLogOptions
  /** records stored (mapped or not) and exact repeats dropped */
  stored = 0
  repeats = 0

  constructor(options: OtlpLogOptions) {
    this.#options = options
  }

  /** the last sequence number given out (0: none yet) */
  get last(): number {
    return this.#entries.length
  }

  /** Maps and stores one request's records, synchronously: the caller answers 200 after this returns. */
  append(records: DecodedLogRecord[]): void {
    for (const { raw, repeatKey } of records) {
      if (repeatKey !== null) {
        const key = createHash('sha256').update(repeatKey).digest('base64url')
        if (this.#seen.has(key)) {
          this.repeats++
          this.warnOnce('repeat', 'the sender re-sent OTLP log records the receiver had already acknowledged (a retried export whose answer was lost): each was stored once')
          continue
        }
        this.#seen.add(key)
      }
      const seq = this.#entries.length + 1
      const problems = new RecordProblems()
      const record = this.#options.mapping.apply(raw, { line: seq, id: `otlp:${seq}` }, problems)
      if (record && this.#options.ownTraceId && !record.correlation.trace_id && raw.trace_id) record.correlation.trace_id = raw.trace_id
      this.#entries.push({ ...(record && { record }), ...(problems.any() && { problems: problems.snapshot() }) })
      this.stored++
    }
  }

  /** A request that gave no record at all (malformed): one unmapped entry with why. */
  unusable(why: string): void {
    this.#entries.push({ problems: { unmapped: 1, examples: [why], warnings: [] } })
  }

  readonly #warned = new Set<string>()
  /** A warning that rides on the next page, once per source and kind. */
  warnOnce(kind: string, message: string): void {
    if (this.#warned.has(kind)) return
    this.#warned.add(kind)
    this.#entries.push({ problems: { unmapped: 0, examples: [], warnings: [message] } })
  }

  /**
   * The records and problems of entries after `after`, at most `limit` records, and the sequence
   * number the page ends at (`more`: the page stopped at the limit).
   */
  page(after: number, limit: number): { records: EvidenceRecord[]; problems: EvidenceProblems; end: number; more: boolean } {
    const log = new ProblemLog()
    const records: EvidenceRecord[] = []
    let seq = after
    while (seq < this.#entries.length && records.length < limit) {
      const entry = this.#entries[seq++]
      if (entry.record) records.push(entry.record)
      if (entry.problems) {
        log.unmapped += entry.problems.unmapped
        for (const e of entry.problems.examples) if (log.examples.length < MAX_EXAMPLES) log.examples.push(e)
        for (const w of entry.problems.warnings) log.warn(w)
      }
    }
    return { records, problems: log.snapshot(), end: seq, more: seq < this.#entries.length }
  }
}
