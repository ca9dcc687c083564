/**
 * Evidence writer used by the AS and the resource servers. It stamps each record (id, ts,
 * component, v), links it into this component's hash chain, buffers it, and ships batches to the
 * sink. The buffer is bounded: when it is full, append() returns false and the component must fail
 * closed (503), because an action that cannot be recorded must not happen.
 *
 * While the sink is unreachable (down, slow, partitioned) records wait in the buffer and are
 * retried with backoff; once it answers again they are delivered in order, chain intact. What the
 * writer could not record is itself recorded (gap-records.ts): refusals it answered while its
 * buffer was full, summed up once there is room again; and, with a data directory (a delivery
 * marker, delivery-marker.ts), records a previous process of the same component lost when it was
 * killed with a non-empty buffer: the next writer starts its chain at the sink's head with a gap
 * record; and records the sink acknowledged but no longer holds as it had them (its head moved away
 * from the last one acknowledged): the writer chains on from the sink's head with a gap record.
 */
import { Pool } from 'undici'
import { recordHash } from '../../../harness/evidence/chain.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { randomId } from '../shared/ids.ts'
import { DeliveryMarker } from './delivery-marker.ts'
import { headMovedRecord, lossRecord, RefusalTally } from './gap-records.ts'

export type RecordInput = Omit<EvidenceRecord, 'v' | 'id' | 'ts' | 'component' | 'prev' | 'hash'>

export interface EvidenceWriterOptions {
  component: string
  sinkUrl: string
  /** the bearer secret the sink takes appends with (WriterSettings.evidenceSecret) */
  sinkSecret: string
  /** flaw `evidence-drops-denies`: deny records vanish before they are chained */
  dropDenies?: boolean
  /** flaw `evidence-sampled`: only every n-th record is kept (the others vanish before they are chained) */
  keepOneIn?: number
  /**
   * flaw `evidence-drop-when-sink-down`: a failed delivery throws the buffer away (the chain is
   * rewound to the sink's head, so it still verifies) and, until the sink answers again, records
   * vanish instead of being buffered; no gap is ever recorded.
   */
  dropWhenSinkDown?: boolean
  /** where the delivery marker lives (see delivery-marker.ts); omitted: no gap detection across restarts */
  dataDir?: string
  /** the audience this component's records name (`resource.aud`); gap records name it too */
  audience?: string
  maxBuffer?: number
  flushIntervalMs?: number
  batchSize?: number
  log?: (line: string) => void
}

const MAX_BACKOFF_MS = 1_000
const PROBE_INTERVAL_MS = 200

export class EvidenceWriter {
  readonly component: string
  readonly #pool: Pool
  readonly #sinkAuthorization: string
  readonly #dropDenies: boolean
  readonly #keepOneIn: number
  readonly #dropWhenSinkDown: boolean
  readonly #marker: DeliveryMarker | null
  readonly #audience: string | undefined
  #offered = 0
  readonly #maxBuffer: number
  readonly #intervalMs: number
  readonly #batchSize: number
  readonly #log: (line: string) => void
  #prev: string | null = null
  /** hash of the last record the sink acknowledged */
  #delivered: string | null = null
  /** unacknowledged records, oldest first; a batch in flight is the front of this list */
  #buffer: EvidenceRecord[] = []
  #markedPending = false
  readonly #refused = new RefusalTally()
  /** flaw evidence-drop-when-sink-down: the last delivery failed and the sink has not answered since */
  #sinkDown = false
  #timer: NodeJS.Timeout | null = null
  #flushing: Promise<boolean> | null = null
  #backoffMs = 0
  #closed = false

  constructor(options: EvidenceWriterOptions) {
    this.component = options.component
    this.#pool = new Pool(options.sinkUrl, { connections: 1 })
    this.#sinkAuthorization = `Bearer ${options.sinkSecret}`
    this.#dropDenies = options.dropDenies ?? false
    this.#keepOneIn = options.keepOneIn ?? 1
    this.#dropWhenSinkDown = options.dropWhenSinkDown ?? false
    this.#audience = options.audience
    this.#maxBuffer = options.maxBuffer ?? 100_000
    this.#intervalMs = options.flushIntervalMs ?? 25
    this.#batchSize = options.batchSize ?? 500
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`))
    // the flawed writer never records a gap, so it keeps no marker either
    this.#marker = options.dataDir !== undefined && !this.#dropWhenSinkDown ? new DeliveryMarker(options.dataDir, this.component, this.#log) : null
  }

  /**
   * Continues the chain where the sink's head is, so a restarted component keeps one chain; when the
   * process before this one left undelivered records behind, the chain goes on with a gap record.
   */
  async init(attempts = 20): Promise<void> {
    for (let i = 1; ; i++) {
      try {
        this.#prev = this.#delivered = await this.#sinkHead()
        break
      } catch (e) {
        if (i >= attempts) throw new Error(`evidence sink unreachable: ${String(e)}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    const before = this.#marker?.read() ?? null
    if (before?.state === 'pending') this.#push(lossRecord(before, this.#delivered, this.#audience))
  }

  get full(): boolean {
    return this.#buffer.length >= this.#maxBuffer
  }

  get pending(): number {
    return this.#buffer.length
  }

  /** Chains and buffers one record; false when the buffer is full (the caller must refuse). */
  append(input: RecordInput): boolean {
    if (this.#closed) return false
    if (this.full) {
      this.noteRefused(input.correlation.trace_id ?? null)
      return false
    }
    if (this.#dropDenies && input.decision === 'deny') return true
    if (this.#keepOneIn > 1 && ++this.#offered % this.#keepOneIn !== 0) return true
    if (this.#sinkDown) return true // flaw evidence-drop-when-sink-down
    this.#push(input)
    return true
  }

  /** A request refused because the buffer was full, without a record of its own (summed up later). */
  noteRefused(traceId: string | null): void {
    if (!this.#dropWhenSinkDown) this.#refused.add(traceId)
  }

  /** Stops accepting records and ships what is buffered, giving up after `timeoutMs`. */
  async close(timeoutMs = 2_000): Promise<void> {
    this.#closed = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    const deadline = Date.now() + timeoutMs
    while (this.#buffer.length > 0 && Date.now() < deadline && !this.#sinkDown) {
      const ok = await (this.#flushing ?? this.#flushOnce())
      if (!ok) await new Promise((r) => setTimeout(r, 50))
    }
    if (this.#buffer.length > 0) {
      this.#log(`${this.component}: ${this.#buffer.length} evidence records not delivered at shutdown`)
      this.#marker?.write({ state: 'pending', delivered: this.#delivered, since: this.#buffer[0].ts, undelivered: this.#buffer.length, final: true })
    }
    await this.#pool.close().catch(() => {})
  }

  #push(input: RecordInput): void {
    const record = {
      v: 1 as const,
      id: randomId('ev', 12),
      ts: new Date().toISOString(),
      component: this.component,
      ...input,
      prev: this.#prev,
    }
    const hash = recordHash(record)
    this.#buffer.push({ ...record, hash })
    this.#prev = hash
    if (!this.#markedPending && this.#marker !== null) {
      this.#marker.write({ state: 'pending', delivered: this.#delivered, since: record.ts })
      this.#markedPending = true
    }
    this.#schedule(this.#buffer.length >= this.#batchSize ? 0 : this.#intervalMs)
  }

  /** Once there is room again: one record for the refusals that could not have their own. */
  #recordRefusals(): void {
    if (!this.#refused.empty && this.#buffer.length < this.#maxBuffer) this.#push(this.#refused.take(this.#audience))
  }

  #schedule(delayMs: number): void {
    if (this.#closed || this.#flushing !== null) return
    if (this.#timer !== null) {
      if (delayMs > 0) return
      clearTimeout(this.#timer)
    }
    this.#timer = setTimeout(() => {
      this.#timer = null
      void (this.#sinkDown ? this.#probe() : this.#flushOnce())
    }, Math.max(delayMs, this.#backoffMs))
    this.#timer.unref()
  }

  #flushOnce(): Promise<boolean> {
    const batch = this.#buffer.slice(0, this.#batchSize)
    const flushing = this.#send(batch).then((ok) => {
      this.#flushing = null
      this.#backoffMs = ok ? 0 : Math.min(Math.max(50, this.#backoffMs * 2), MAX_BACKOFF_MS)
      if (ok) this.#recordRefusals()
      if (!ok && this.#dropWhenSinkDown) this.#dropAll()
      else if (!ok) this.#marker?.write({ state: 'pending', delivered: this.#delivered, since: this.#buffer[0]?.ts, undelivered: this.#buffer.length })
      else if (this.#buffer.length === 0 && this.#markedPending) {
        this.#marker?.write({ state: 'clean', delivered: this.#delivered })
        this.#markedPending = false
      }
      if (this.#buffer.length > 0 || this.#sinkDown) this.#schedule(ok ? 0 : this.#backoffMs)
      return ok
    })
    this.#flushing = flushing
    return flushing
  }

  /** flaw evidence-drop-when-sink-down: forget everything undelivered and rewind the chain. */
  #dropAll(): void {
    this.#log(`${this.component}: evidence sink unreachable: dropping ${this.#buffer.length} records`)
    this.#buffer = []
    this.#prev = this.#delivered
    this.#sinkDown = true
  }

  /** flaw evidence-drop-when-sink-down: records are dropped until the sink answers again. */
  async #probe(): Promise<void> {
    try {
      this.#prev = this.#delivered = await this.#sinkHead(PROBE_INTERVAL_MS * 5)
      this.#sinkDown = false
      this.#backoffMs = 0
    } catch {
      this.#schedule(PROBE_INTERVAL_MS)
    }
  }

  async #sinkHead(timeoutMs = 2_000): Promise<string | null> {
    const res = await this.#pool.request({ path: '/heads', method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
    const body = (await res.body.json()) as { heads?: Record<string, string | null> }
    if (res.statusCode !== 200) throw new Error(`sink answered ${res.statusCode}`)
    return body.heads?.[this.component] ?? null
  }

  async #send(batch: EvidenceRecord[]): Promise<boolean> {
    if (batch.length === 0) return true
    try {
      const res = await this.#pool.request({
        path: '/ingest',
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: this.#sinkAuthorization },
        body: JSON.stringify(batch),
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      })
      const text = await res.body.text()
      if (res.statusCode === 200) {
        this.#buffer.splice(0, batch.length)
        this.#delivered = batch[batch.length - 1].hash
        return true
      }
      if (res.statusCode === 409) return await this.#resync(batch)
      this.#log(`${this.component}: evidence sink answered ${res.statusCode}: ${text.slice(0, 200)}`)
      return false
    } catch (e) {
      this.#log(`${this.component}: evidence sink unreachable: ${String(e)}`)
      return false
    }
  }

  /**
   * A 409 after a lost response means the sink already holds part of what we are resending:
   * drop everything up to the sink's head and carry on from there. A head that is neither in the
   * batch nor the one we last delivered means the sink lost or rewrote records it had acknowledged:
   * retrying would never link again, so the writer records that and chains on from the sink's head.
   */
  async #resync(batch: EvidenceRecord[]): Promise<boolean> {
    const head = await this.#sinkHead()
    const landed = batch.findIndex((r) => r.hash === head)
    if (landed !== -1) {
      this.#buffer.splice(0, landed + 1)
      this.#delivered = head
      return true
    }
    if (head === this.#delivered) {
      this.#log(`${this.component}: evidence sink refused the chain (head ${String(head)}); retrying`)
      return false
    }
    this.#rechain(head)
    return true
  }

  /**
   * The sink's head moved away from the last record it acknowledged to us: a `sink_head_moved` gap
   * record (gap-records.ts) goes first, then every buffered record, none of them acknowledged yet,
   * is linked again behind it. The chain at the sink stays verifiable from its own head on; what
   * the sink dropped or changed is for the reader of the evidence to see (the expected head is named).
   */
  #rechain(head: string | null): void {
    const pending = this.#buffer
    const expected = this.#delivered
    this.#log(`${this.component}: evidence sink head is ${String(head)}, not ${String(expected)} as acknowledged; recording the gap and chaining ${pending.length} buffered records on from it`)
    this.#buffer = []
    this.#prev = this.#delivered = head
    // the flawed writer of evidence-drop-when-sink-down never records a gap
    if (!this.#dropWhenSinkDown) this.#push(headMovedRecord(expected, head, pending.length, this.#audience))
    for (const { hash: _old, ...r } of pending) {
      const linked = { ...r, prev: this.#prev }
      const hash = recordHash(linked)
      this.#buffer.push({ ...linked, hash })
      this.#prev = hash
    }
  }
}
