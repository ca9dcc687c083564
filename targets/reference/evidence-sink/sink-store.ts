/**
 * The sink's records: one append-only JSONL file plus an in-memory copy for cursor reads. A batch
 * is accepted whole or not at all, and only if every record's hash recomputes and its `prev` links
 * to its writer's current head, so the stored log is always a set of intact chains.
 *
 * Cursors name a position in the log and the id of the last record before it. Within one process
 * positions never shift: a record the sink drops (the flaws in sink-flaws.ts) leaves a hole. A log
 * edited on disk and reloaded by a restarted sink has other positions, so a reader's cursor resumes
 * right after its anchor record wherever that record now is, and only when the anchor itself is
 * gone at the position clamped to the log. A reader thus never skips a record because others were
 * removed before it.
 */
import { appendFile, mkdir, readFile, rename, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { recordHash } from '../../../harness/evidence/chain.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'

export type IngestResult = { ok: true; accepted: number } | { ok: false; status: 400 | 409; error: string; description: string }

export const MAX_PAGE = 5_000
/** the sink's log in its data directory */
export const EVIDENCE_LOG = 'evidence.jsonl'

/** One stored record of a chain, as the sink's flaw jobs see it. */
export interface StoredRecord {
  position: number
  record: EvidenceRecord
  /** epoch ms the sink accepted it; 0 for a record reloaded from the log */
  ingestedAt: number
}

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
  /** the log in order; null where a record was dropped in this process */
  readonly #records: (EvidenceRecord | null)[] = []
  readonly #ingestedAt: number[] = []
  /** positions of each writer's records, oldest first */
  readonly #chains = new Map<string, number[]>()
  readonly #lastIngest = new Map<string, number>()
  readonly #heads = new Map<string, string | null>()
  #size = 0
  /** file appends run one after another so the file order equals the memory order */
  #writes: Promise<void> = Promise.resolve()
  /** flaw `evidence-chain-broken`: deny records are altered after they were verified */
  readonly #alterDenies: boolean

  constructor(dataDir: string, options: { alterDenies?: boolean } = {}) {
    this.#dir = dataDir
    this.file = join(dataDir, EVIDENCE_LOG)
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
    const now = Date.now()
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue
      const r = JSON.parse(line) as EvidenceRecord
      this.#add(r, 0)
      this.#heads.set(r.component, r.hash)
    }
    for (const component of this.#chains.keys()) this.#lastIngest.set(component, now)
  }

  /** Checks and applies a batch synchronously, then resolves once it is on disk. */
  ingest(batch: unknown): { result: IngestResult; written: Promise<void> } {
    const result = this.#check(batch)
    if (!result.ok) return { result, written: Promise.resolve() }
    const verified = batch as EvidenceRecord[]
    if (verified.length === 0) return { result, written: Promise.resolve() }
    const component = verified[0].component
    this.#heads.set(component, verified[verified.length - 1].hash)
    const records = this.#alterDenies ? verified.map((r) => this.#alter(r)) : verified
    const now = Date.now()
    for (const r of records) this.#add(r, now)
    this.#lastIngest.set(component, now)
    const lines = records.map((r) => JSON.stringify(r)).join('\n') + '\n'
    return { result, written: this.#queue(() => appendFile(this.file, lines)) }
  }

  #add(r: EvidenceRecord, ingestedAt: number): void {
    const positions = this.#chains.get(r.component) ?? []
    positions.push(this.#records.length)
    this.#chains.set(r.component, positions)
    this.#records.push(r)
    this.#ingestedAt.push(ingestedAt)
    this.#size++
  }

  #queue(write: () => Promise<void>): Promise<void> {
    const written = this.#writes.then(write)
    // one failed write must not block every later one
    this.#writes = written.catch(() => {})
    return written
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

  /** Cursor = position in the log and the record before it; opaque to readers. Null: not a cursor of this sink. */
  page(after: string | null, limit: number): { records: EvidenceRecord[]; cursor: string } | null {
    const start = after === null ? 0 : this.#resume(after)
    if (start === null) return null
    const records: EvidenceRecord[] = []
    let end = start
    for (; end < this.#records.length && records.length < limit; end++) {
      const r = this.#records[end]
      if (r !== null) records.push(r)
    }
    return { records, cursor: encodeCursor(end, this.#idBefore(end)) }
  }

  #resume(cursor: string): number | null {
    const c = decodeCursor(cursor)
    if (c === null) return null
    const length = this.#records.length
    // a cursor without an anchor (an older sink's): a position, nothing more
    if (c.anchor === undefined) return c.position <= length ? c.position : null
    if (c.anchor === '' || this.#records[c.position - 1]?.id === c.anchor) return Math.min(c.position, length)
    for (let i = length - 1; i >= 0; i--) if (this.#records[i]?.id === c.anchor) return i + 1
    return Math.min(c.position, length)
  }

  #idBefore(position: number): string {
    for (let i = position - 1; i >= 0; i--) {
      const r = this.#records[i]
      if (r !== null) return r.id
    }
    return ''
  }

  heads(): Record<string, string | null> {
    return Object.fromEntries(this.#heads)
  }

  get size(): number {
    return this.#size
  }

  flushed(): Promise<void> {
    return this.#writes
  }

  // What the sink's flaw jobs (sink-flaws.ts) work on. A correct sink never calls the two below.

  /** writers with records here */
  components(): string[] {
    return [...this.#chains.keys()]
  }

  /** epoch ms of the last batch accepted from this writer (the load time for a reloaded chain) */
  lastIngest(component: string): number {
    return this.#lastIngest.get(component) ?? 0
  }

  /** a writer's stored records, oldest first */
  chain(component: string): StoredRecord[] {
    return (this.#chains.get(component) ?? []).map((position) => ({ position, record: this.#records[position]!, ingestedAt: this.#ingestedAt[position] }))
  }

  /** Drops a writer's newest `count` records (their positions become holes), moves its head back and rewrites the log. */
  dropNewest(component: string, count: number): Promise<void> {
    const positions = this.#chains.get(component) ?? []
    for (const p of positions.splice(Math.max(0, positions.length - count))) {
      this.#records[p] = null
      this.#size--
    }
    const last = positions.at(-1)
    if (last === undefined) this.#heads.delete(component)
    else this.#heads.set(component, this.#records[last]!.hash)
    return this.#rewriteLog()
  }

  /** Replaces stored records in place (same positions), sets their writer's head, and rewrites the log. */
  replace(component: string, replacements: ReadonlyMap<number, EvidenceRecord>, head: string | null): Promise<void> {
    for (const [position, r] of replacements) this.#records[position] = r
    this.#heads.set(component, head)
    return this.#rewriteLog()
  }

  /** The whole log as memory now holds it, written in the queue after every earlier append. */
  #rewriteLog(): Promise<void> {
    const text = this.#records.flatMap((r) => (r === null ? [] : [`${JSON.stringify(r)}\n`])).join('')
    const tmp = `${this.file}.rewrite`
    return this.#queue(async () => {
      await writeFile(tmp, text)
      await rename(tmp, this.file)
    })
  }
}

function encodeCursor(position: number, anchor: string): string {
  return Buffer.from(`p:${position}:${anchor}`).toString('base64url')
}

function decodeCursor(cursor: string): { position: number; anchor?: string } | null {
  const m = /^p:(\d{1,15})(?::([^\n]{0,512}))?$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  return m === null ? null : { position: Number(m[1]), ...(m[2] !== undefined ? { anchor: m[2] } : {}) }
}
