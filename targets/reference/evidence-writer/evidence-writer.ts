/**
 * Evidence writer used by the AS and the resource servers. It stamps each record (id, ts,
 * component, v), links it into this component's hash chain, buffers it, and ships batches to the
 * sink. The buffer is bounded: when it is full, append() returns false and the component must fail
 * closed (503), because an action that cannot be recorded must not happen.
 */
import { Pool } from 'undici'
import { recordHash } from '../../../harness/evidence/chain.ts'
import type { EvidenceRecord } from '../../../harness/evidence/record.ts'
import { randomId } from '../shared/ids.ts'

export type RecordInput = Omit<EvidenceRecord, 'v' | 'id' | 'ts' | 'component' | 'prev' | 'hash'>

export interface EvidenceWriterOptions {
  component: string
  sinkUrl: string
  /** flaw `evidence-drops-denies`: deny records vanish before they are chained */
  dropDenies?: boolean
  /** flaw `evidence-sampled`: only every n-th record is kept (the others vanish before they are chained) */
  keepOneIn?: number
  maxBuffer?: number
  flushIntervalMs?: number
  batchSize?: number
  log?: (line: string) => void
}

const MAX_BACKOFF_MS = 2_000

export class EvidenceWriter {
  readonly component: string
  readonly #pool: Pool
  readonly #dropDenies: boolean
  readonly #keepOneIn: number
  #offered = 0
  readonly #maxBuffer: number
  readonly #intervalMs: number
  readonly #batchSize: number
  readonly #log: (line: string) => void
  #prev: string | null = null
  /** unacknowledged records, oldest first; a batch in flight is the front of this list */
  #buffer: EvidenceRecord[] = []
  #timer: NodeJS.Timeout | null = null
  #flushing: Promise<boolean> | null = null
  #backoffMs = 0
  #closed = false

  constructor(options: EvidenceWriterOptions) {
    this.component = options.component
    this.#pool = new Pool(options.sinkUrl, { connections: 1 })
    this.#dropDenies = options.dropDenies ?? false
    this.#keepOneIn = options.keepOneIn ?? 1
    this.#maxBuffer = options.maxBuffer ?? 100_000
    this.#intervalMs = options.flushIntervalMs ?? 25
    this.#batchSize = options.batchSize ?? 500
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`))
  }

  /** Continues the chain where the sink's head is, so a restarted component keeps one chain. */
  async init(attempts = 20): Promise<void> {
    for (let i = 1; ; i++) {
      try {
        const res = await this.#pool.request({ path: '/heads', method: 'GET', headersTimeout: 2_000, bodyTimeout: 2_000 })
        const body = (await res.body.json()) as { heads?: Record<string, string | null> }
        if (res.statusCode !== 200) throw new Error(`sink answered ${res.statusCode}`)
        this.#prev = body.heads?.[this.component] ?? null
        return
      } catch (e) {
        if (i >= attempts) throw new Error(`evidence sink unreachable: ${String(e)}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }
  }

  get full(): boolean {
    return this.#buffer.length >= this.#maxBuffer
  }

  get pending(): number {
    return this.#buffer.length
  }

  /** Chains and buffers one record; false when the buffer is full (the caller must refuse). */
  append(input: RecordInput): boolean {
    if (this.#closed || this.full) return false
    if (this.#dropDenies && input.decision === 'deny') return true
    if (this.#keepOneIn > 1 && ++this.#offered % this.#keepOneIn !== 0) return true
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
    this.#schedule(this.#buffer.length >= this.#batchSize ? 0 : this.#intervalMs)
    return true
  }

  /** Stops accepting records and ships what is buffered, giving up after `timeoutMs`. */
  async close(timeoutMs = 2_000): Promise<void> {
    this.#closed = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    const deadline = Date.now() + timeoutMs
    while (this.#buffer.length > 0 && Date.now() < deadline) {
      const ok = await (this.#flushing ?? this.#flushOnce())
      if (!ok) await new Promise((r) => setTimeout(r, 50))
    }
    if (this.#buffer.length > 0) this.#log(`${this.component}: ${this.#buffer.length} evidence records not delivered at shutdown`)
    await this.#pool.close().catch(() => {})
  }

  #schedule(delayMs: number): void {
    if (this.#closed || this.#flushing !== null) return
    if (this.#timer !== null) {
      if (delayMs > 0) return
      clearTimeout(this.#timer)
    }
    this.#timer = setTimeout(() => {
      this.#timer = null
      void this.#flushOnce()
    }, Math.max(delayMs, this.#backoffMs))
    this.#timer.unref()
  }

  #flushOnce(): Promise<boolean> {
    const batch = this.#buffer.slice(0, this.#batchSize)
    const flushing = this.#send(batch).then((ok) => {
      this.#flushing = null
      this.#backoffMs = ok ? 0 : Math.min(Math.max(50, this.#backoffMs * 2), MAX_BACKOFF_MS)
      if (this.#buffer.length > 0) this.#schedule(ok ? 0 : this.#backoffMs)
      return ok
    })
    this.#flushing = flushing
    return flushing
  }

  async #send(batch: EvidenceRecord[]): Promise<boolean> {
    if (batch.length === 0) return true
    try {
      const res = await this.#pool.request({
        path: '/ingest',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch),
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      })
      const text = await res.body.text()
      if (res.statusCode === 200) {
        this.#buffer.splice(0, batch.length)
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
   * drop everything up to the sink's head and carry on from there.
   */
  async #resync(batch: EvidenceRecord[]): Promise<boolean> {
    const res = await this.#pool.request({ path: '/heads', method: 'GET', headersTimeout: 2_000, bodyTimeout: 2_000 })
    const body = (await res.body.json()) as { heads?: Record<string, string | null> }
    const head = body.heads?.[this.component] ?? null
    const landed = batch.findIndex((r) => r.hash === head)
    if (landed === -1) {
      this.#log(`${this.component}: evidence sink refused the chain (head ${String(head)}); retrying`)
      return false
    }
    this.#buffer.splice(0, landed + 1)
    return true
  }
}
