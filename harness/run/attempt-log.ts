/**
 * The attempt log: attempts stream into the run store (run.db) as they complete, so a run keeps
 * nothing per attempt in memory and a run that dies midway still leaves everything it measured up
 * to its last commit; `gatecrash report` grades it.
 *
 * The hot path only serialises the attempt and buffers its row. A batch goes to the writer thread
 * (store-writer.ts) at MAX_ROWS_PER_TRANSACTION rows or FLUSH_MS after its first row, whichever
 * comes first, and is committed there as one transaction: a crash loses at most one batch and the
 * event loop never waits for SQLite.
 *
 * Run directories from before the store (attempts.jsonl / evidence.jsonl) are imported by
 * importJsonLines() so `gatecrash report` still grades them.
 */
import { createReadStream } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { Worker } from 'node:worker_threads'
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { ChainHeads } from '../contracts/evidence-source.ts'
import { ATTEMPT_ROW_LENGTH, attemptRow, MAX_ROWS_PER_TRANSACTION, type RunStore } from './run-store.ts'
import type { WriterReply, WriterRequest } from './store-writer.ts'

/** Longest an attempt waits in memory before its batch is committed. */
export const FLUSH_MS = 200

export class AttemptLog {
  readonly file: string
  count = 0
  /** attempts the store refused for repeating a seq (known at close) */
  dropped = 0
  private readonly worker: Worker
  private rows: unknown[] = []
  private timer: NodeJS.Timeout | null = null
  private failure: Error | null = null
  private readonly waiting = new Map<number, () => void>()
  private syncs = 0
  private closed: Promise<void> | null = null
  private exited = false
  private onExit: (() => void) | null = null

  private constructor(file: string, worker: Worker) {
    this.file = file
    this.worker = worker
    worker.on('message', (m: WriterReply) => this.onReply(m))
    worker.on('error', (e) => this.fail(e))
    worker.on('exit', () => {
      this.exited = true
      if (!this.closed) this.fail(new Error('the run store writer stopped'))
      this.onExit?.()
      for (const done of this.waiting.values()) done()
    })
  }

  /** Starts the writer thread and waits until it has the store open, so a run never measures into nothing. */
  static async open(file: string): Promise<AttemptLog> {
    // Same extension as this module: `.ts` run directly, `.js` once built for a package.
    const writer = new URL(`./store-writer${path.extname(new URL(import.meta.url).pathname)}`, import.meta.url)
    const worker = new Worker(writer, { workerData: { file } })
    const first = await new Promise<WriterReply>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    if ('error' in first) {
      await worker.terminate()
      throw new Error(first.error)
    }
    return new AttemptLog(file, worker)
  }

  append(record: AttemptRecord): void {
    this.rows.push(...attemptRow(record))
    this.count++
    if (this.rows.length >= MAX_ROWS_PER_TRANSACTION * ATTEMPT_ROW_LENGTH) this.flush()
    else if (this.timer === null) this.timer = setTimeout(() => this.flush(), FLUSH_MS).unref()
  }

  /** Evidence read while the run measures (evidence-tail.ts): stored in delivery order, after the attempts handed so far. */
  appendEvidence(records: EvidenceRecord[]): void {
    if (this.closed || records.length === 0) return
    this.post({ evidence: records })
  }

  /**
   * Records read before the measured phase: not graded, but their token exchanges are kept (sent
   * even when none are, so the store knows it looked), for rebuilding delegation chains from them.
   */
  keepExchanges(records: EvidenceRecord[]): void {
    if (this.closed) return
    this.post({ exchanges: records })
  }

  /** A sample of the source's chain heads, stored after the evidence handed so far (run-store.ts addHeadSample). */
  appendHeads(heads: ChainHeads, at: number): void {
    if (this.closed) return
    this.post({ heads, at })
  }

  /** Hands the buffered rows to the writer thread (committed in the order they were handed). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    if (this.rows.length === 0 || this.closed) return
    this.post({ rows: this.rows })
    this.rows = []
  }

  /** Resolves once everything appended so far is committed. */
  async sync(): Promise<void> {
    this.flush()
    const id = ++this.syncs
    if (!this.exited) {
      await new Promise<void>((resolve) => {
        this.waiting.set(id, resolve)
        this.post({ sync: id })
      })
    }
    if (this.failure) throw this.failure
  }

  /** Commits what is buffered and closes the store (its WAL is checkpointed into run.db). */
  close(): Promise<void> {
    this.flush()
    this.closed ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve()
      this.onExit = resolve
      this.post({ close: true })
    }).then(() => {
      if (this.failure) throw this.failure
    })
    return this.closed
  }

  private post(m: WriterRequest): void {
    this.worker.postMessage(m)
  }

  private onReply(m: WriterReply): void {
    if ('synced' in m) {
      this.waiting.get(m.synced)?.()
      this.waiting.delete(m.synced)
    } else if ('closed' in m) {
      this.dropped = m.dropped
    } else if ('error' in m) {
      this.fail(new Error(`recording attempts to ${this.file} failed: ${m.error}`))
    }
  }

  private fail(e: Error): void {
    this.failure ??= e
  }
}

/** Reads a JSON Lines file line by line, skipping a torn last line (a crash mid-write). */
export async function* jsonLines<T>(file: string): AsyncGenerator<T> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })
  for await (const line of lines) {
    if (line.trim() === '') continue
    try {
      yield JSON.parse(line) as T
    } catch {
      // a torn final line from a crash; everything before it is still graded
    }
  }
}

/** Imports a pre-store run directory's logs into a store, batch by batch. Missing files import nothing. */
export async function importJsonLines(store: RunStore, files: { attempts: string; evidence: string }): Promise<void> {
  const batches = async <T>(file: string, write: (batch: T[]) => void): Promise<void> => {
    let batch: T[] = []
    try {
      for await (const item of jsonLines<T>(file)) {
        batch.push(item)
        if (batch.length >= MAX_ROWS_PER_TRANSACTION) {
          write(batch)
          batch = []
        }
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
    if (batch.length > 0) write(batch)
  }
  await batches<AttemptRecord>(files.attempts, (b) => store.appendAttempts(b))
  await batches<EvidenceRecord>(files.evidence, (b) => store.appendEvidence(b))
}
