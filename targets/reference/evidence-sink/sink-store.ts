/**
 * The sink's records: one append-only JSONL file plus an in-memory copy for cursor reads. A batch
 * is accepted whole or not at all, and only if every record's hash recomputes and its `prev` links
 * to its writer's current head, so the stored log is always a set of intact chains.
 */
import { appendFile, mkdir, readFile, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { recordHash } from '../../../harness/evidence/chain.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'

export type IngestResult = { ok: true; accepted: number } | { ok: false; status: 400 | 409; error: string; description: string }

export const MAX_PAGE = 5_000

function looksLikeRecord(r: unknown): r is EvidenceRecord {
  if (r === null || typeof r !== 'object') return false
  const x = r as Record<string, unknown>
  return x.v === 1 && typeof x.id === 'string' && typeof x.component === 'string' && x.component.length > 0 &&
    typeof x.hash === 'string' && (x.prev === null || typeof x.prev === 'string') &&
    (x.decision === 'allow' || x.decision === 'deny')
}

export class SinkStore {
  readonly file: string
  readonly #dir: string
  readonly #records: EvidenceRecord[] = []
  readonly #heads = new Map<string, string | null>()
  /** file appends run one after another so the file order equals the memory order */
  #writes: Promise<void> = Promise.resolve()
  /** flaw `evidence-chain-broken`: deny records are altered after they were verified */
  readonly #alterDenies: boolean

  constructor(dataDir: string, options: { alterDenies?: boolean } = {}) {
    this.#dir = dataDir
    this.file = join(dataDir, 'evidence.jsonl')
    this.#alterDenies = options.alterDenies ?? false
  }

  /**
   * Reloads an earlier log (a restarted sink keeps its chains). A sink killed in the middle of an
   * append leaves a torn last line: that batch was never acknowledged (the sink answers only once
   * it is on disk), so the line is cut off and its writer sends the batch again.
   */
  async load(): Promise<void> {
    await mkdir(this.#dir, { recursive: true })
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
      throw e
    }
    const complete = text.lastIndexOf('\n') + 1
    if (complete < text.length) {
      await truncate(this.file, Buffer.byteLength(text.slice(0, complete)))
      text = text.slice(0, complete)
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue
      const r = JSON.parse(line) as EvidenceRecord
      this.#records.push(r)
      this.#heads.set(r.component, r.hash)
    }
  }

  /** Checks and applies a batch synchronously, then resolves once it is on disk. */
  ingest(batch: unknown): { result: IngestResult; written: Promise<void> } {
    const result = this.#check(batch)
    if (!result.ok) return { result, written: Promise.resolve() }
    const verified = batch as EvidenceRecord[]
    if (verified.length > 0) this.#heads.set(verified[0].component, verified[verified.length - 1].hash)
    const records = this.#alterDenies ? verified.map((r) => this.#alter(r)) : verified
    for (const r of records) this.#records.push(r)
    const lines = records.map((r) => JSON.stringify(r)).join('\n') + '\n'
    const written = this.#writes.then(() => appendFile(this.file, lines))
    // one failed append must not block every later one
    this.#writes = written.catch(() => {})
    return { result, written }
  }

  /**
   * A tampering (or buggy) pipeline stage that rewrites refusals, the records an intruder most wants
   * changed: upper-cases `reason`, so the stored hash no longer recomputes.
   */
  #alter(r: EvidenceRecord): EvidenceRecord {
    return this.#alterDenies && r.decision === 'deny' ? { ...r, reason: r.reason.toUpperCase() } : r
  }

  #check(batch: unknown): IngestResult {
    if (!Array.isArray(batch)) return { ok: false, status: 400, error: 'invalid_request', description: 'body must be a JSON array of records' }
    if (batch.length === 0) return { ok: true, accepted: 0 }
    if (!batch.every(looksLikeRecord)) return { ok: false, status: 400, error: 'invalid_request', description: 'not an evidence record (v:1 with id, component, decision, prev, hash)' }
    const component = batch[0].component
    if (!batch.every((r) => r.component === component)) {
      return { ok: false, status: 400, error: 'invalid_request', description: 'a batch must come from one writer' }
    }
    let head = this.#heads.get(component) ?? null
    for (const r of batch) {
      if (r.prev !== head) return { ok: false, status: 409, error: 'chain_mismatch', description: `record ${r.id}: prev does not link to the head of ${component}` }
      if (recordHash(r) !== r.hash) return { ok: false, status: 409, error: 'hash_mismatch', description: `record ${r.id}: hash does not recompute` }
      head = r.hash
    }
    return { ok: true, accepted: batch.length }
  }

  /** Cursor = position in the log; opaque to readers. */
  page(after: string | null, limit: number): { records: EvidenceRecord[]; cursor: string } | null {
    const start = after === null ? 0 : decodeCursor(after)
    if (start === null || start > this.#records.length) return null
    const records = this.#records.slice(start, start + limit)
    return { records, cursor: encodeCursor(start + records.length) }
  }

  heads(): Record<string, string | null> {
    return Object.fromEntries(this.#heads)
  }

  get size(): number {
    return this.#records.length
  }

  flushed(): Promise<void> {
    return this.#writes
  }
}

function encodeCursor(position: number): string {
  return Buffer.from(`p:${position}`).toString('base64url')
}

function decodeCursor(cursor: string): number | null {
  const m = /^p:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  return m === null ? null : Number(m[1])
}
