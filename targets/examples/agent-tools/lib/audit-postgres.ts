/**
 * The PostgreSQL audit sink (EXAMPLE_AUDIT_SINK=postgres): one row per decision in a table the
 * component creates if it is missing. A column per field of the record, in SQL's spelling where
 * the application's name is a keyword (`time` → `occurred_at`, `user` → `user_id`), lists and
 * facts as jsonb; `id` and `recorded_at` (the insert's own clock) are the database's.
 *
 * Inserts go through a pool of several connections and are not awaited by the request: the
 * response never waits for the database, and concurrent inserts commit out of order, as in real
 * deployments (the reader needs its lookback). A failed insert is reported on stderr, never lost
 * silently; close() waits a bounded time for the inserts still in flight.
 */
import pg from 'pg'
import type { AuditRecord, AuditSink } from './audit-log.ts'
import { checkTableName } from './audit-sink.ts'

const POOL_SIZE = 4
/** inserts waiting or in flight; beyond this the sink drops (and says so) rather than exhaust memory */
const MAX_PENDING = 10_000
const FLUSH_TIMEOUT_MS = 5_000

/** the row's columns, in insert order, each with how it is taken from the record */
const COLUMNS: [column: string, value: (r: AuditRecord) => unknown][] = [
  ['occurred_at', (r) => r.time],
  ['service', (r) => r.service],
  ['outcome', (r) => r.outcome],
  ['why', (r) => r.why],
  ['http_status', (r) => r.http_status],
  ['oauth_error', (r) => r.oauth_error],
  ['user_id', (r) => r.user],
  ['user_kind', (r) => r.user_kind],
  ['client_id', (r) => r.client],
  // pg would send a JS array as a PostgreSQL array: jsonb columns get JSON text
  ['delegation', (r) => JSON.stringify(r.delegation)],
  ['key_thumbprint', (r) => r.key_thumbprint],
  ['audience', (r) => r.audience],
  ['method', (r) => r.method],
  ['path', (r) => r.path],
  ['tool', (r) => r.tool],
  ['tenant', (r) => r.tenant],
  ['scopes_needed', (r) => JSON.stringify(r.scopes_needed)],
  ['scopes_held', (r) => JSON.stringify(r.scopes_held)],
  ['trace_id', (r) => r.trace],
  ['request_id', (r) => r.request_id],
  ['token_id', (r) => r.token_id],
  ['token_sha256', (r) => r.token_sha256],
  ['subject_token_sha256', (r) => r.subject_token_sha256 ?? null],
  ['facts', (r) => JSON.stringify(r.facts ?? {})],
]

function createTable(table: string): string {
  const index = `${table.replace('.', '_')}_recorded_at_idx`.slice(0, 63)
  return `CREATE TABLE IF NOT EXISTS ${table} (
  id bigserial PRIMARY KEY,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  occurred_at timestamptz NOT NULL,
  service text NOT NULL,
  outcome text NOT NULL,
  why text NOT NULL,
  http_status integer NOT NULL,
  oauth_error text,
  user_id text,
  user_kind text,
  client_id text,
  delegation jsonb NOT NULL DEFAULT '[]',
  key_thumbprint text,
  audience text,
  method text NOT NULL,
  path text NOT NULL,
  tool text,
  tenant text,
  scopes_needed jsonb NOT NULL DEFAULT '[]',
  scopes_held jsonb NOT NULL DEFAULT '[]',
  trace_id text,
  request_id text,
  token_id text,
  token_sha256 text,
  subject_token_sha256 text,
  facts jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS ${index} ON ${table} (recorded_at, id)`
}

/**
 * Creates the table if it is missing. CREATE TABLE IF NOT EXISTS is not safe against itself: two
 * sessions can both find the table missing and one fails on the row type's unique index (23505).
 * The three components start at once, so the creation runs under a transaction-scoped advisory
 * lock keyed by the table name.
 */
async function ensureTable(pool: pg.Pool, table: string): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`agent-tools-audit:${table}`])
    await client.query(createTable(table))
    await client.query('COMMIT')
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {})
    throw e
  } finally {
    client.release()
  }
}

/** A PostgreSQL error without its connection details: code and message only. */
function describe(e: unknown): string {
  const err = e as { code?: string; message?: string }
  return `${err.code ?? 'error'}: ${String(err.message ?? e).slice(0, 200)}`
}

export class PostgresSink implements AuditSink {
  readonly #pool: pg.Pool
  readonly #insert: string
  readonly #pending = new Set<Promise<void>>()
  #dropped = 0
  #closed = false

  private constructor(pool: pg.Pool, table: string) {
    this.#pool = pool
    const params = COLUMNS.map((_, i) => `$${i + 1}`).join(', ')
    this.#insert = `INSERT INTO ${table} (${COLUMNS.map(([c]) => c).join(', ')}) VALUES (${params})`
  }

  /** Connects, creates the table if missing; throws (the component does not start) when it cannot. */
  static async open(connectionString: string, table: string): Promise<PostgresSink> {
    checkTableName(table)
    const pool = new pg.Pool({ connectionString, max: POOL_SIZE, application_name: 'agent-tools-audit', connectionTimeoutMillis: 10_000 })
    // an idle connection the server drops must not take the process down
    pool.on('error', (e) => process.stderr.write(`audit: idle PostgreSQL connection failed (${describe(e)})\n`))
    try {
      await ensureTable(pool, table)
    } catch (e) {
      await pool.end().catch(() => {})
      throw new Error(`audit: cannot create or reach table ${table} (${describe(e)})`)
    }
    return new PostgresSink(pool, table)
  }

  write(record: AuditRecord): void {
    if (this.#closed || this.#pending.size >= MAX_PENDING) {
      // said every time: each line is a decision the trail does not hold
      this.#dropped++
      process.stderr.write(`audit: record dropped (${this.#closed ? 'sink closed' : `${MAX_PENDING} inserts pending`}; ${this.#dropped} dropped so far)\n`)
      return
    }
    const insert: Promise<void> = this.#pool.query(this.#insert, COLUMNS.map(([, value]) => value(record))).then(
      () => {},
      (e: unknown) => {
        process.stderr.write(`audit: insert failed, record lost (${describe(e)})\n`)
      },
    )
    this.#pending.add(insert)
    void insert.finally(() => this.#pending.delete(insert))
  }

  async close(): Promise<void> {
    this.#closed = true
    let timer: NodeJS.Timeout | undefined
    const timedOut = await Promise.race([
      Promise.allSettled([...this.#pending]).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), FLUSH_TIMEOUT_MS))),
    ])
    clearTimeout(timer)
    if (timedOut) process.stderr.write(`audit: ${this.#pending.size} inserts still pending after ${FLUSH_TIMEOUT_MS} ms at shutdown: lost\n`)
    await this.#pool.end().catch((e: unknown) => process.stderr.write(`audit: closing the pool failed (${describe(e)})\n`))
  }
}
