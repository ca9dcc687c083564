/**
 * The run store: `runs/<id>/run.db`, one SQLite file (Node 24's built-in `node:sqlite`, no native
 * addon) holding a run's attempts, the target's evidence and the oracle's output. It replaces the
 * JSON Lines logs as the source of truth for grading and reporting, so nothing a run records has to
 * fit in memory: attempts stream in while the run goes (through AttemptLog's writer thread),
 * evidence streams in page by page after it, and the grader and the CSV writers read it back in pages.
 *
 * Schema (gatecrash.run-db/2):
 *   attempts  seq PK, trace_id, token_hash, kind, case_id, group_id, started_at, ended_at, json
 *   evidence  rowid PK (delivery order), id UNIQUE, trace_id, token_hash, ts (epoch ms or NULL),
 *             component, prev, hash (the record's chain fields when strings), json: the record in
 *             canonical form (RFC 8785), the form its hash is computed over, so the tamper check
 *             hashes the stored text (its own "hash" member cut out) without parsing and
 *             re-serialising a million records (bench `join`)
 *   record_views  evidence rowid PK, ts, json: the part of the record the grader reads
 *             (contracts/evidence.ts GradingRecord), a third of its text, which the grading of
 *             the run that wrote it parses instead (bench `join`: ~1 µs less per record; see
 *             `viewsTrusted`); a table of its own, so the scans of evidence stay as short. A store
 *             made before it (no meta `views`) is graded from the records' whole text
 *   joins     evidence rowid PK → seq, via ('trace' | 'token-window')         ┐ grading output,
 *   tampered  evidence rowid PK (hash does not recompute)                     │ cleared and
 *   verdicts  seq PK, verdict, why, evidence_id, matched, faithful            ┘ rewritten per grading
 *   heads     sample PK, after_rowid, at, json: the source's chain heads as sampled during the
 *             run, with the last evidence rowid stored before the sample (integrity, oracle/integrity.ts)
 *   redelivered  id, json: a record id delivered again with other content (history rewritten)
 *   verification component, problem: what the re-read of the run's history after the settle window
 *             found that the first read did not (a record no longer served, a link broken since)
 *   exchanges rowid PK, id UNIQUE, token_hash, decision, json: every token-exchange record the run
 *             read (contracts/evidence.ts isExchangeRecord), those provisioning wrote before the
 *             measured phase included, indexed by the issued token's hash: the links
 *             oracle/reconstruct.ts follows from a call back to its principal
 *   meta      key PK, value (schema version; the settle deadline of the last grading; `exchanges`
 *             once the run kept provisioning's exchange records; `grouped`, in a store made since
 *             it was kept: 1 once an attempt of a concurrency group is stored, else 0; `views`: 1
 *             in a store made since record_views is kept)
 * A /1 store (evidence json as the source served it, no prev and hash columns) gets the columns
 * when opened, empty, and its records are checked by parsing them, as before.
 * WAL mode with synchronous=NORMAL: a commit is durable against a crash of the process without an
 * fsync per transaction; a killed run leaves run.db plus run.db-wal, which SQLite replays on open.
 * WAL also lets grading read the records through a second, read-only connection in a worker thread
 * (grade-aside.ts) while this one writes joins and verdicts.
 *
 * The lookup indexes are built when grading starts, not kept up to date while recording: a random
 * trace id index costs several times the insert itself per row on the hot path, and building it
 * once from the finished table is a sort.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import type { AttemptRecord } from '../contracts/attempt.ts'
import { gradingRecord, isExchangeRecord, type EvidenceRecord, type GradingRecord } from '../contracts/evidence.ts'
import { canonicalJson } from '../evidence/chain.ts'
import type { ChainHeads } from '../contracts/evidence-source.ts'
import type { EvidenceJoin, GradeAside, GradeSource, JoinedRecord, StoredRecord, TokenClaim } from '../oracle/grade-stream.ts'
import type { EvidenceCheckInput, StoredEvidenceRow } from '../oracle/evidence-checks.ts'
import { startAside, type WriteTurn } from './grade-aside.ts'
import type { HeadSample } from '../evidence/integrity.ts'
import type { GradedAttempt, Verdict } from '../contracts/verdict.ts'
import type { ReconstructSource } from '../oracle/reconstruct.ts'

export const RUN_DB_SCHEMA = 'gatecrash.run-db/2'

/** Rows per write transaction: a crash loses at most one uncommitted batch. */
export const MAX_ROWS_PER_TRANSACTION = 1_000

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (seq INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, token_hash TEXT, kind TEXT NOT NULL,
  case_id TEXT, group_id TEXT, started_at REAL NOT NULL, ended_at REAL NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evidence (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, trace_id TEXT, token_hash TEXT, ts REAL,
  component TEXT NOT NULL, prev TEXT, hash TEXT, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS record_views (rowid INTEGER PRIMARY KEY, ts REAL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS joins (rowid INTEGER PRIMARY KEY, seq INTEGER NOT NULL, via TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tampered (rowid INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS heads (sample INTEGER PRIMARY KEY, after_rowid INTEGER NOT NULL, at REAL NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS redelivered (id TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS verification (component TEXT NOT NULL, problem TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exchanges (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, token_hash TEXT, decision TEXT NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS exchanges_token ON exchanges(token_hash) WHERE token_hash IS NOT NULL;
CREATE TABLE IF NOT EXISTS verdicts (seq INTEGER PRIMARY KEY, verdict TEXT NOT NULL, why TEXT NOT NULL, evidence_id TEXT,
  matched INTEGER NOT NULL, faithful INTEGER);
`

const READ_INDEXES = `
CREATE INDEX IF NOT EXISTS attempts_trace ON attempts(trace_id);
CREATE INDEX IF NOT EXISTS attempts_token_window ON attempts(token_hash, ended_at, started_at) WHERE token_hash IS NOT NULL;
CREATE INDEX IF NOT EXISTS evidence_untraced ON evidence(ts, rowid) WHERE trace_id IS NULL AND token_hash IS NOT NULL;
CREATE INDEX IF NOT EXISTS joins_seq ON joins(seq);
`

/**
 * Indexes only some runs need, built the first time a grading asks (each is a sort of a whole
 * table, a second or so per million rows): concurrency groups, and the trace ids of altered records.
 */
const GROUP_INDEX = 'CREATE INDEX IF NOT EXISTS attempts_group ON attempts(case_id, group_id) WHERE group_id IS NOT NULL'
const EVIDENCE_TRACE_INDEX = 'CREATE INDEX IF NOT EXISTS evidence_trace ON evidence(trace_id) WHERE trace_id IS NOT NULL'

/**
 * Verdicts per write while two threads grade one store (grade-aside.ts): a batch is written once
 * `min` wait and the write turn is free, or at `max` whatever it takes. A transaction per page of
 * 250 made both threads wait for each other's commits and write the verdicts' last pages again
 * with each one.
 */
const VERDICT_BATCH = { min: 1_000, max: 5_000 }

/** An attempt as the columns of its row, in table order; built on the hot path, inserted by the writer thread. */
export type AttemptRow = [seq: number, traceId: string, tokenHash: string | null, kind: string, caseId: string | null, group: string | null, startedAt: number, endedAt: number, json: string]
export const ATTEMPT_ROW_LENGTH = 9

export function attemptRow(a: AttemptRecord): AttemptRow {
  return [a.seq, a.trace_id, a.token_hash || null, a.kind, a.case ?? null, a.group ?? null, a.started_at, a.ended_at, JSON.stringify(a)]
}

const tsMs = (ts: string): number | null => {
  const t = Date.parse(ts)
  return Number.isFinite(t) ? t : null
}

export class RunStore implements GradeSource, ReconstructSource {
  readonly file: string
  readonly db: DatabaseSync
  private readonly cache = new Map<string, StatementSync>()
  /** the longest attempt, bounding the token-window candidate range (set when grading starts) */
  private maxDurationMs = 0
  /** lazy indexes (GROUP_INDEX, EVIDENCE_TRACE_INDEX) known to exist on this connection */
  private readonly built = new Set<string>()

  /** records from which grading checks them in a worker thread (grade-aside-worker.ts); tests move it */
  static checkAsideFrom = 20_000

  /** a worker's connection (openReadOnly): it builds no index, the grading thread does */
  private readonly readOnly: boolean

  private constructor(file: string, db: DatabaseSync, readOnly = false) {
    this.file = file
    this.db = db
    this.readOnly = readOnly
  }

  /** A second, read-only connection to a run store on disk (the worker's), which writes nothing, not even the schema. */
  static openReadOnly(file: string): RunStore {
    return new RunStore(file, new DatabaseSync(file, { readOnly: true, timeout: 5_000 }), true)
  }

  /** Opens (creating if needed) a run store; a store a crashed run left behind is recovered from its WAL here. */
  static open(file: string): RunStore {
    const db = new DatabaseSync(file, { timeout: 5_000 })
    db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;')
    db.exec(SCHEMA)
    // a /1 store: the chain columns, empty (its records keep the form they were stored in)
    const columns = new Set((db.prepare('PRAGMA table_info(evidence)').all() as { name: string }[]).map((c) => c.name))
    for (const c of ['prev', 'hash']) if (!columns.has(c)) db.exec(`ALTER TABLE evidence ADD COLUMN ${c} TEXT`)
    // a new store says whether it holds grouped attempts and that every record has a view; one
    // made before it said so may hold groups and records without views
    const empty = (table: string): boolean => db.prepare(`SELECT 1 FROM ${table} LIMIT 1`).get() === undefined
    const made = db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema', RUN_DB_SCHEMA).changes > 0 && empty('attempts') && empty('evidence')
    if (made) {
      db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('grouped', '0')
      db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('views', '1')
    }
    return new RunStore(file, db)
  }

  /** Prepared once per SQL text: grading runs the same few queries millions of times. */
  sql(text: string): StatementSync {
    let s = this.cache.get(text)
    if (!s) this.cache.set(text, (s = this.db.prepare(text)))
    return s
  }

  /** As sql(), answering rows as arrays in column order: the hot reads of grading skip an object per row. */
  private arrays(text: string): StatementSync {
    const key = `arrays\u0000${text}`
    let s = this.cache.get(key)
    if (!s) {
      s = this.db.prepare(text)
      s.setReturnArrays(true)
      this.cache.set(key, s)
    }
    return s
  }

  /** Runs fn in a transaction of its own, or inside the one already open. */
  transaction<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn()
    this.db.exec('BEGIN')
    try {
      const out = fn()
      this.db.exec('COMMIT')
      return out
    } catch (e) {
      this.db.exec('ROLLBACK')
      throw e
    }
  }

  /** Commits the transaction grading keeps open between pages, if any. */
  commit(): void {
    if (!this.db.isTransaction) return
    this.db.exec('COMMIT')
    if (this.#turnHeld) {
      this.#turnHeld = false
      this.writeTurn?.give()
    }
  }

  /** set while another thread writes this store too (grade-aside.ts): each write transaction waits for its turn */
  writeTurn: WriteTurn | undefined
  #turnHeld = false

  close(): void {
    if (!this.db.isOpen) return
    this.flushVerdicts()
    this.commit()
    this.db.close()
  }

  getMeta(key: string): string | undefined {
    return (this.sql('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value
  }

  setMeta(key: string, value: string): void {
    this.sql('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value)
  }

  /**
   * Inserts attempt rows given flat (ATTEMPT_ROW_LENGTH values each), in one transaction. Returns how
   * many were dropped for repeating a seq already stored (the key of every verdict).
   */
  insertAttemptRows(flat: readonly unknown[]): number {
    const insert = this.sql('INSERT OR IGNORE INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    let dropped = 0
    this.transaction(() => {
      for (let i = 0; i < flat.length; i += ATTEMPT_ROW_LENGTH) {
        const r = flat.slice(i, i + ATTEMPT_ROW_LENGTH) as AttemptRow
        if (insert.run(...r).changes === 0) dropped++
        else if (r[5] !== null && !this.#grouped) {
          this.sql(`UPDATE meta SET value = '1' WHERE key = 'grouped'`).run()
          this.#grouped = true
        }
      }
    })
    return dropped
  }

  /** this connection has marked the store as holding grouped attempts */
  #grouped = false

  /**
   * Whether some attempt may belong to a concurrency group: only then does grading need the group
   * index, whose build is a scan of every attempt (bench `join`: ~0.2 s a million, waited for by
   * both grading threads). A store that never said (made before meta `grouped`) may.
   */
  private mayHaveGroups(): boolean {
    return this.getMeta('grouped') !== '0'
  }

  appendAttempts(attempts: readonly AttemptRecord[]): number {
    let dropped = 0
    for (let i = 0; i < attempts.length; i += MAX_ROWS_PER_TRANSACTION) {
      dropped += this.insertAttemptRows(attempts.slice(i, i + MAX_ROWS_PER_TRANSACTION).flatMap(attemptRow))
    }
    return dropped
  }

  /**
   * Appends records in delivery order (rowid), ≤ MAX_ROWS_PER_TRANSACTION per transaction. A record
   * id already stored (a page read twice) is skipped; returns how many were.
   */
  appendEvidence(records: readonly EvidenceRecord[]): number {
    const insert = this.sql('INSERT OR IGNORE INTO evidence (id, trace_id, token_hash, ts, component, prev, hash, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    const view = this.sql('INSERT INTO record_views (rowid, ts, json) VALUES (?, ?, ?)')
    let skipped = 0
    for (let i = 0; i < records.length; i += MAX_ROWS_PER_TRANSACTION) {
      this.transaction(() => {
        for (const r of records.slice(i, i + MAX_ROWS_PER_TRANSACTION)) {
          const c = r.correlation ?? {}
          const json = this.recordJson(r)
          const chain = this.canonical ? [typeof r.prev === 'string' ? r.prev : null, typeof r.hash === 'string' ? r.hash : null] : [null, null]
          const ts = tsMs(r.ts)
          const { changes, lastInsertRowid } = insert.run(r.id, c.trace_id || null, c.token_hash || null, ts, r.component, ...chain, json)
          if (changes > 0) view.run(lastInsertRowid, ts, JSON.stringify(gradingRecord(r)))
          if (changes > 0 && isExchangeRecord(r)) this.insertExchange(r, json)
          if (changes === 0) {
            skipped++
            // The same id again is a page read twice; with other content, the source rewrote it.
            const stored = this.sql('SELECT json FROM evidence WHERE id = ?').get(r.id) as { json: string }
            if (stored.json !== json) this.sql('INSERT INTO redelivered (id, json) VALUES (?, ?)').run(r.id, json)
          }
        }
      })
    }
    return skipped
  }

  #canonical: boolean | undefined
  /** whether the store keeps records in canonical form with their chain fields in columns (schema /2 from its start) */
  get canonical(): boolean {
    return (this.#canonical ??= this.getMeta('schema') === RUN_DB_SCHEMA)
  }

  /** A record as stored: canonical in a /2 store; in a /1 one as before, so one store holds one form. */
  private recordJson(r: EvidenceRecord): string {
    return this.canonical ? canonicalJson(r) : JSON.stringify(r)
  }

  private insertExchange(r: EvidenceRecord, json: string): void {
    this.sql('INSERT OR IGNORE INTO exchanges (id, token_hash, decision, json) VALUES (?, ?, ?, ?)').run(r.id, r.correlation?.token_hash || null, r.decision, json)
  }

  /**
   * Keeps the exchange records among records read before the measured phase (provisioning's: every
   * identity's delegation), which are not graded and so not stored as evidence; marks the store as
   * having kept them, so reconstruction knows an empty table means the target records no exchanges.
   */
  keepExchanges(records: readonly EvidenceRecord[]): void {
    this.transaction(() => {
      for (const r of records) if (isExchangeRecord(r)) this.insertExchange(r, JSON.stringify(r))
      this.setMeta('exchanges', 'kept')
    })
  }

  /**
   * Stores one sample of the source's chain heads, after every record delivered before it: the
   * integrity check knows which records the harness had read when the source named these heads.
   */
  addHeadSample(heads: ChainHeads, at: number): void {
    const after = (this.sql('SELECT coalesce(max(rowid), 0) AS r FROM evidence').get() as { r: number }).r
    this.sql('INSERT INTO heads (after_rowid, at, json) VALUES (?, ?, ?)').run(after, at, JSON.stringify(heads))
  }

  headSamples(): HeadSample[] {
    const rows = this.sql('SELECT after_rowid, at, json FROM heads ORDER BY sample').all() as { after_rowid: number; at: number; json: string }[]
    return rows.map((r) => ({ after: r.after_rowid, at: r.at, heads: JSON.parse(r.json) as ChainHeads }))
  }

  /**
   * Compares a record served again (the re-read after the settle window) with the one stored:
   * other content is recorded as redelivered; returns whether the id was known at all.
   */
  compareServed(r: EvidenceRecord): boolean {
    const stored = this.sql('SELECT json FROM evidence WHERE id = ?').get(r.id) as { json: string } | undefined
    if (!stored) return false
    const json = this.recordJson(r)
    if (stored.json !== json) this.sql('INSERT INTO redelivered (id, json) VALUES (?, ?)').run(r.id, json)
    return true
  }

  /** Records per writer as stored: what a re-read must serve again. */
  storedPerComponent(): Map<string, number> {
    const rows = this.sql('SELECT component, count(*) AS n FROM evidence GROUP BY component').all() as { component: string; n: number }[]
    return new Map(rows.map((r) => [r.component, r.n]))
  }

  addVerificationProblem(component: string, problem: string): void {
    this.sql('INSERT INTO verification (component, problem) VALUES (?, ?)').run(component, problem)
  }

  verificationProblems(): { component: string; problem: string }[] {
    return this.sql('SELECT component, problem FROM verification ORDER BY rowid').all() as { component: string; problem: string }[]
  }

  redeliveredRecords(): { id: string; record: EvidenceRecord }[] {
    return (this.sql('SELECT id, json FROM redelivered ORDER BY rowid').all() as { id: string; json: string }[]).map((r) => ({ id: r.id, record: JSON.parse(r.json) as EvidenceRecord }))
  }

  /** Counts and time bounds of the stored attempts, for run.json's load section and the settle deadline. */
  attemptSummary(): { attempts: number; legit: number; lastEnd: number; firstScheduled: number | null } {
    const row = this.sql(`SELECT count(*) AS n, coalesce(sum(kind = 'legit'), 0) AS legit, coalesce(max(ended_at), 0) AS last FROM attempts`).get() as { n: number; legit: number; last: number }
    const first = this.sql('SELECT json FROM attempts ORDER BY seq LIMIT 1').get() as { json: string } | undefined
    return { attempts: row.n, legit: row.legit, lastEnd: row.last, firstScheduled: first ? (JSON.parse(first.json) as AttemptRecord).scheduled_at : null }
  }

  evidenceCount(): number {
    return (this.sql('SELECT count(*) AS n FROM evidence').get() as { n: number }).n
  }

  // ---- GradeSource: what the streaming grader asks (oracle/grade-stream.ts) ----

  resetGrading(): void {
    this.db.exec(READ_INDEXES)
    this.transaction(() => this.db.exec('DELETE FROM joins; DELETE FROM tampered; DELETE FROM verdicts;'))
    // the token-window join's only use of it: over the attempts it may join (the covering index's)
    const row = this.sql('SELECT max(ended_at - started_at) AS d FROM attempts WHERE token_hash IS NOT NULL').get() as { d: number | null }
    this.maxDurationMs = Math.max(0, row.d ?? 0)
  }

  /** Grading writes inside one transaction per page; BEGIN lazily, COMMIT in pageDone. `held`: the write turn is taken already. */
  private writing(held = false): void {
    if (this.db.isTransaction) return
    this.#turnHeld = held || (this.writeTurn?.take() ?? false)
    this.db.exec('BEGIN')
  }

  pageDone(): void {
    this.commit()
  }

  *evidencePages(size: number): Generator<StoredRecord[]> {
    for (let after = 0; ; ) {
      const rows = this.arrays('SELECT rowid, ts, json FROM evidence WHERE rowid > ? ORDER BY rowid LIMIT ?').all(after, size) as unknown as [number, number | null, string][]
      if (rows.length === 0) return
      after = rows[rows.length - 1][0]
      yield rows.map(([rowid, ts, json]) => ({ rowid, ts, record: JSON.parse(json) as EvidenceRecord }))
    }
  }

  /**
   * Every record in delivery order as stored, for the record checks of a canonical store
   * (EvidenceChecks.addStored): no record is parsed here.
   */
  *storedEvidencePages(size: number): Generator<StoredEvidenceRow[]> {
    const page = this.arrays('SELECT rowid, ts, id, component, prev, hash, json FROM evidence WHERE rowid > ? ORDER BY rowid LIMIT ?')
    for (let after = 0; ; ) {
      const rows = page.all(after, size) as unknown as [number, number | null, string, string, string | null, string | null, string][]
      if (rows.length === 0) return
      after = rows[rows.length - 1][0]
      yield rows.map(([rowid, ts, id, component, prev, hash, json]) => ({ rowid, ts, id, component, prev, hash, json }))
    }
  }

  private index(sql: string): void {
    if (this.built.has(sql) || this.readOnly) return
    this.db.exec(sql)
    this.built.add(sql)
  }

  joinByTrace(from: number, to: number): void {
    this.writing()
    this.sql(`INSERT OR REPLACE INTO joins (rowid, seq, via)
      SELECT e.rowid, min(a.seq), 'trace' FROM evidence e JOIN attempts a ON a.trace_id = e.trace_id
      WHERE e.rowid BETWEEN ? AND ? AND NOT EXISTS (SELECT 1 FROM tampered t WHERE t.rowid = e.rowid)
      GROUP BY e.rowid`).run(from, to)
  }

  addJoins(joins: readonly EvidenceJoin[]): void {
    if (joins.length === 0) return
    this.writing()
    const insert = this.sql('INSERT OR REPLACE INTO joins (rowid, seq, via) VALUES (?, ?, ?)')
    for (const j of joins) insert.run(j.rowid, j.seq, j.via)
  }

  addTampered(rowids: readonly number[]): void {
    if (rowids.length === 0) return
    this.writing()
    const insert = this.sql('INSERT OR IGNORE INTO tampered (rowid) VALUES (?)')
    const unjoin = this.sql('DELETE FROM joins WHERE rowid = ?')
    for (const rowid of rowids) {
      insert.run(rowid)
      unjoin.run(rowid)
    }
  }

  dropTokenJoins(): void {
    this.writing()
    this.sql(`DELETE FROM joins WHERE via = 'token-window'`).run()
  }

  evidenceBounds(): { first: number; last: number } | null {
    const row = this.sql('SELECT min(rowid) AS first, max(rowid) AS last FROM evidence').get() as { first: number | null; last: number | null }
    return row.first === null || row.last === null ? null : { first: row.first, last: row.last }
  }

  /**
   * Pass 1's record checks, then shares of pass 3, in a worker thread with a connection of its own
   * (WAL: it reads while this one writes), for a store on disk with enough records to pay for
   * starting one. Before it grades, this connection commits the joins and builds the group index
   * (the worker's connection is read-only).
   */
  checkEvidenceAside(input: EvidenceCheckInput, size: number): GradeAside | undefined {
    if (this.file === ':memory:' || this.evidenceCount() < RunStore.checkAsideFrom) return undefined
    this.commit()
    return startAside(this.file, input, size, this.views, {
      begin: (turn) => {
        this.commit()
        if (this.mayHaveGroups()) this.index(GROUP_INDEX)
        this.writeTurn = turn
      },
      end: () => {
        this.flushVerdicts()
        this.commit()
        this.writeTurn = undefined
      },
    })
  }

  /**
   * A page of untraced records (by ts, rowid) with their candidate attempts, in one statement: a
   * query per record cost the token join (bench `join`, 100,000 such records) twice what this does.
   * A record with no candidate comes as one row with a null seq (the LEFT JOIN), so paging goes on.
   */
  *tokenClaimPages(size: number, windowMs: number): Generator<TokenClaim[]> {
    const page = this.arrays(`WITH r AS (
        SELECT rowid, ts, token_hash FROM evidence
        WHERE trace_id IS NULL AND token_hash IS NOT NULL AND ts IS NOT NULL AND (ts, rowid) > (?, ?)
          AND NOT EXISTS (SELECT 1 FROM tampered t WHERE t.rowid = evidence.rowid)
        ORDER BY ts, rowid LIMIT ?)
      SELECT r.rowid, r.ts, a.seq, a.started_at, a.ended_at FROM r
        LEFT JOIN attempts a ON a.token_hash = r.token_hash AND a.ended_at BETWEEN r.ts - ? AND r.ts + ? AND a.started_at <= r.ts + ?
          AND NOT EXISTS (SELECT 1 FROM joins j WHERE j.seq = a.seq)
      ORDER BY r.ts, r.rowid, a.seq`)
    for (let ts = -Number.MAX_VALUE, rowid = 0; ; ) {
      const rows = page.all(ts, rowid, size, windowMs, windowMs + this.maxDurationMs, windowMs) as unknown as [number, number, number | null, number, number][]
      if (rows.length === 0) return
      const out: TokenClaim[] = []
      for (const [id, t, seq, startedAt, endedAt] of rows) {
        if (out.length === 0 || out[out.length - 1].rowid !== id) out.push({ rowid: id, ts: t, candidates: [] })
        if (seq !== null) out[out.length - 1].candidates.push({ seq, started_at: startedAt, ended_at: endedAt })
      }
      ;({ ts, rowid } = out[out.length - 1])
      yield out
    }
  }

  *attemptPages(size: number, from = Number.MIN_SAFE_INTEGER, to = Number.MAX_SAFE_INTEGER): Generator<AttemptRecord[]> {
    for (let after = from - 1; ; ) {
      const rows = this.arrays('SELECT seq, json FROM attempts WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?').all(after, to, size) as unknown as [number, string][]
      if (rows.length === 0) return
      after = rows[rows.length - 1][0]
      yield rows.map((r) => JSON.parse(r[1]) as AttemptRecord)
    }
  }

  /**
   * Whether grading may read the records' views (record_views) instead of their whole text: set
   * by the run that wrote them, for its own grading (finalize.ts). A view is the harness's copy,
   * which the record checks do not verify, so a re-grade of a stored run (`gatecrash report`)
   * reads the text the records' hashes cover: a doctored view cannot change its verdicts.
   */
  viewsTrusted = false

  #views: boolean | undefined
  /** whether grading reads views: trusted, and every record has one (a store made since they are kept) */
  get views(): boolean {
    return this.viewsTrusted && (this.#views ??= this.getMeta('views') === '1')
  }

  /** each record's view (record_views), or its whole text in a store made before views were kept */
  joinedRecords(from: number, to: number): JoinedRecord[] {
    const rows = this.arrays(`SELECT j.seq, e.ts, e.json FROM joins j JOIN ${this.views ? 'record_views' : 'evidence'} e ON e.rowid = j.rowid
      WHERE j.seq BETWEEN ? AND ? ORDER BY j.seq, j.rowid`).all(from, to) as unknown as [number, number | null, string][]
    return rows.map(([seq, ts, json]) => ({ seq, ts, record: JSON.parse(json) as GradingRecord }))
  }

  groupMembers(caseId: string, group: string): AttemptRecord[] {
    this.index(GROUP_INDEX)
    const rows = this.sql(`SELECT json FROM attempts WHERE case_id = ? AND group_id = ? AND kind = 'attack' ORDER BY seq`).all(caseId, group) as { json: string }[]
    return rows.map((r) => JSON.parse(r.json) as AttemptRecord)
  }

  tamperedIdForTrace(traceId: string): string | undefined {
    // asked for every unrecorded attempt: with no altered record there is nothing to find
    if (this.sql('SELECT 1 FROM tampered LIMIT 1').get() === undefined) return undefined
    this.index(EVIDENCE_TRACE_INDEX)
    const row = this.sql(`SELECT e.id FROM evidence e JOIN tampered t ON t.rowid = e.rowid
      WHERE e.trace_id = ? ORDER BY e.rowid DESC LIMIT 1`).get(traceId) as { id: string } | undefined
    return row?.id
  }

  // ---- ReconstructSource: what reconstruction asks (oracle/reconstruct.ts), a few indexed lookups per transaction ----

  exchangesKept(): boolean {
    return this.getMeta('exchanges') !== undefined
  }

  exchangeCount(): number {
    return (this.sql('SELECT count(*) AS n FROM exchanges').get() as { n: number }).n
  }

  seqRange(): { min: number; max: number } | null {
    const row = this.sql('SELECT min(seq) AS min, max(seq) AS max FROM attempts').get() as { min: number | null; max: number | null }
    return row.min === null || row.max === null ? null : { min: row.min, max: row.max }
  }

  /** the attempt with this seq if it is legitimate and a record joined it (an unrecorded one is evidence coverage's to fail) */
  recordedLegit(seq: number): AttemptRecord | undefined {
    const row = this.sql(`SELECT json FROM attempts a WHERE seq = ? AND kind = 'legit'
      AND EXISTS (SELECT 1 FROM joins j WHERE j.seq = a.seq)`).get(seq) as { json: string } | undefined
    return row ? (JSON.parse(row.json) as AttemptRecord) : undefined
  }

  /**
   * Driven from the verdicts table (CROSS JOIN fixes the order): its rows are small, where a scan of
   * attempts would read every attempt's JSON to find the few that failed.
   */
  *attacksWithVerdict(verdicts: readonly Verdict[], size = 1_000): Generator<AttemptRecord> {
    const marks = verdicts.map(() => '?').join(', ')
    const page = this.sql(`SELECT a.seq, a.json FROM verdicts v CROSS JOIN attempts a ON a.seq = v.seq
      WHERE v.verdict IN (${marks}) AND v.seq > ? AND a.kind = 'attack' ORDER BY v.seq LIMIT ?`)
    for (let after = Number.MIN_SAFE_INTEGER; ; ) {
      const rows = page.all(...verdicts, after, size) as { seq: number; json: string }[]
      if (rows.length === 0) return
      after = rows[rows.length - 1].seq
      for (const r of rows) yield JSON.parse(r.json) as AttemptRecord
    }
  }

  recordsOf(seq: number): EvidenceRecord[] {
    const rows = this.arrays('SELECT e.json FROM joins j JOIN evidence e ON e.rowid = j.rowid WHERE j.seq = ? ORDER BY j.rowid').all(seq) as unknown as [string][]
    return rows.map(([json]) => JSON.parse(json) as EvidenceRecord)
  }

  /** the first allowed exchange record that issued the token with this hash */
  exchangeIssuing(tokenHash: string): EvidenceRecord | undefined {
    const row = this.sql(`SELECT json FROM exchanges WHERE token_hash = ? AND decision = 'allow' ORDER BY rowid LIMIT 1`).get(tokenHash) as { json: string } | undefined
    return row ? (JSON.parse(row.json) as EvidenceRecord) : undefined
  }

  /** records carrying this trace id, in delivery order: a store never graded has no joins to read */
  recordsByTrace(traceId: string): EvidenceRecord[] {
    return (this.sql('SELECT json FROM evidence WHERE trace_id = ? ORDER BY rowid').all(traceId) as { json: string }[]).map((r) => JSON.parse(r.json) as EvidenceRecord)
  }

  /** the first attempt that carried this trace id (`gatecrash trace`) */
  attemptByTrace(traceId: string): AttemptRecord | undefined {
    const row = this.sql('SELECT json FROM attempts WHERE trace_id = ? ORDER BY seq LIMIT 1').get(traceId) as { json: string } | undefined
    return row ? (JSON.parse(row.json) as AttemptRecord) : undefined
  }

  /**
   * Writes verdicts; while another thread writes this store too (writeTurn), they wait here for a
   * batch instead (see VERDICT_BATCH), written by a later call, flushVerdicts or close.
   */
  addVerdicts(graded: readonly GradedAttempt[]): void {
    if (graded.length === 0) return
    if (!this.writeTurn) {
      this.writing()
      this.#insertVerdicts(graded)
      return
    }
    for (const g of graded) this.#queued.push(g)
    if (this.#queued.length < VERDICT_BATCH.min || this.db.isTransaction) return
    const held = this.writeTurn.tryTake()
    if (!held && this.#queued.length < VERDICT_BATCH.max) return
    this.writing(held)
    this.#insertVerdicts(this.#queued.splice(0))
  }

  /** Writes and commits the verdicts waiting for a batch (a shared grading's range is written before its part is posted). */
  flushVerdicts(): void {
    if (this.#queued.length === 0) return
    this.writing()
    this.#insertVerdicts(this.#queued.splice(0))
    this.commit()
  }

  #queued: GradedAttempt[] = []

  #insertVerdicts(graded: readonly GradedAttempt[]): void {
    const insert = this.sql('INSERT OR REPLACE INTO verdicts (seq, verdict, why, evidence_id, matched, faithful) VALUES (?, ?, ?, ?, ?, ?)')
    for (const g of graded) insert.run(g.seq, g.verdict, g.why, g.evidence_id ?? null, g.matched ? 1 : 0, g.faithful === null ? null : g.faithful ? 1 : 0)
  }
}
