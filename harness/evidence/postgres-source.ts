/**
 * Evidence source over a PostgreSQL table (or a SELECT) the deployment inserts its audit records
 * into, read in key order by a cursor column (or a time column then a unique id) and mapped onto
 * EvidenceRecord by the target's mapping. Unchained: rows carry no hash chain.
 *
 * Rows do not become visible in key order: a serial id (or a `now()` timestamp) is taken when a
 * transaction inserts, not when it commits, so with concurrent writers row 102 can be read before
 * row 101 commits, and a plain `key > last` cursor would lose 101 for good. Each read therefore
 * looks again at the keys behind the newest one, back to a floor that trails it by `lookback`, and
 * skips the rows it already delivered, whose ids the cursor carries (postgres-cursor.ts). Chosen
 * over bounding reads by the oldest open transaction (pg_snapshot_xmin against each row's xmin)
 * because that works for `query` sources too (a view or join has no single xmin), needs nothing
 * beyond SELECT, and does not stall the whole trail behind one idle-in-transaction session of
 * the same cluster. Its limit: a row that commits more than `lookback` after a row ordered after it
 * was read is missed; the band behind the floor is recounted on every read, so such a row is
 * reported as lost (a page warning), never dropped silently.
 *
 * The cursor holds the whole state (no state lives in the object), so a page the run drops is read
 * again from the older cursor, and a fresh object resumes exactly. Record ids are
 * `pg:<table or q-hash>:<id>`, the row's own identity, stable across re-reads.
 *
 * A server that goes away throws EvidenceUnavailable for that read; the pool reconnects on the next.
 */
import pg from 'pg'
import { parseDuration } from '../contracts/duration.ts'
import { EvidenceMappingInvalid, EvidenceUnavailable } from '../contracts/errors.ts'
import type { EvidenceRecord } from '../contracts/evidence.ts'
import type { EvidencePage, EvidenceSource } from '../contracts/evidence-source.ts'
import type { PostgresSourceSpec } from '../contracts/target.ts'
import { loopbackHttp, type HttpClient } from '../protocol/http.ts'
import { compileMapping } from './mapping.ts'
import {
  addDelivered, BAND_FLOORS, decodeCursor, deliveredCount, deliveredIds, encodeCursor, forgetThrough, MAX_DELIVERED, sameKey, settledGroup, startPosition, type PgPosition,
} from './postgres-cursor.ts'
import { CONNECTION_FORM, classifyPgError, type PgErrorContext } from './postgres-errors.ts'
import { anyFrom, countBetween, forwardPage, KEY_ALIAS, latePage, pgTarget, type Key, type Statement } from './postgres-query.ts'
import { ProblemLog } from './problems.ts'

export interface PostgresSourceOptions {
  /** the file that declared the source (a target profile), for messages */
  declaredIn?: string
  /** the target's host policy: the server must be on loopback unless the profile allows its host */
  http?: HttpClient
}

const DEFAULT_PAGE = 2000
/** per pages() call, as the other sources: a writer faster than the reader is caught up with next call */
const MAX_PAGES = 10_000
const STATEMENT_TIMEOUT_MS = 30_000

/** `timestamp` and `date` have no zone: read as UTC text, never as the harness's local time */
const asText = (s: string): string => s
const utcTimestamp = (s: string): string => (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(s) ? `${s.replace(' ', 'T')}Z` : s)
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 1114 ? utcTimestamp : oid === 1082 ? asText : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
}

/** A row's columns as the mapping reads them: times as ISO text, bytes as hex, the key aliases gone. */
function rawOf(row: Record<string, unknown>, keyColumns: number): Record<string, unknown> {
  const raw: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('gc$key') && Number(k.slice(6)) < keyColumns) continue
    raw[k] = v instanceof Date ? (Number.isNaN(v.getTime()) ? null : v.toISOString()) : Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v
  }
  return raw
}

export function postgresSource(spec: PostgresSourceSpec, options: PostgresSourceOptions = {}): EvidenceSource {
  const declaredIn = options.declaredIn ?? 'the target profile'
  const invalid = (key: string, what: string, hint: string): EvidenceMappingInvalid =>
    new EvidenceMappingInvalid(`${declaredIn}: \`evidence.source.${key}\` ${what}`, { file: declaredIn, key: `evidence.source.${key}`, hint })
  if ((spec.table === undefined) === (spec.query === undefined)) throw invalid(spec.table === undefined ? 'table' : 'query', spec.table === undefined ? 'is missing (and so is `query`)' : 'is given with `query`', 'exactly one: `table` (a table name) or `query` (a SELECT)')
  const pageSize = spec.pageSize ?? DEFAULT_PAGE
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100_000) throw invalid('pageSize', `is ${JSON.stringify(spec.pageSize)}`, 'allowed: an integer from 1 to 100,000')
  const lookback = spec.lookback ?? '5s'
  const lookbackMs = typeof lookback === 'string' || typeof lookback === 'number' ? parseDuration(lookback) : null
  if (lookbackMs === null) throw invalid('lookback', `is ${JSON.stringify(spec.lookback)}`, "allowed: a k6 duration such as '5s'")
  const mapping = compileMapping(spec.mapping, { file: declaredIn, key: 'evidence.source.mapping' })
  const target = pgTarget(spec)

  const env = spec.connectionEnv
  const connectionString = process.env[env]
  if (!connectionString) {
    throw new EvidenceMappingInvalid(`${declaredIn}: \`evidence.source.connectionEnv\` names the environment variable ${env}, which is not set`, {
      file: declaredIn,
      key: 'evidence.source.connectionEnv',
      hint: `export ${env}=${CONNECTION_FORM} before the run (the connection string holds a password: it never lives in the profile)`,
    })
  }
  let url: URL
  try {
    url = new URL(connectionString)
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new Error('scheme')
  } catch {
    throw new EvidenceMappingInvalid(`${declaredIn}: the environment variable ${env} does not hold a postgres:// connection string`, { file: declaredIn, key: 'evidence.source.connectionEnv', hint: `the form: ${CONNECTION_FORM}` })
  }
  // a socket directory (?host=/run/postgresql) is this machine's; a TCP host goes through the allowlist
  if (url.hostname !== '' && !url.searchParams.get('host')?.startsWith('/')) (options.http ?? loopbackHttp).check(`http://${url.host}/`)
  const ctx: PgErrorContext = {
    env,
    declaredIn,
    relation: spec.table !== undefined ? 'table' : 'query',
    name: spec.table ?? target.name,
    columns: target.columns,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  }

  // one connection at a time is all a poll needs; a connection the server dropped is replaced on the next query
  const pool = new pg.Pool({ connectionString, max: 1, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 5000, statement_timeout: STATEMENT_TIMEOUT_MS, types: TYPES, application_name: 'gatecrash-evidence' })
  // an idle connection the server ended (a restart) must not crash the run: the next query reconnects
  pool.on('error', () => {})
  let closed = false

  async function run(st: Statement): Promise<Record<string, unknown>[]> {
    if (closed) throw new EvidenceUnavailable(`evidence source postgres (${ctx.name}) is closed`, { hint: 'a source is read only until the run closes it' })
    try {
      return (await pool.query({ name: st.name, text: st.text, values: st.values })).rows
    } catch (e) {
      throw classifyPgError(e, ctx)
    }
  }

  const keyOf = (row: Record<string, unknown>): Key => target.columns.map((_, i) => String(row[KEY_ALIAS(i)]))
  const idOf = (row: Record<string, unknown>): string => String(row[KEY_ALIAS(target.columns.length - 1)])
  const show = (key: Key | null): string => (key === null ? 'the first row' : target.columns.length === 1 ? `${target.columns[0]} ${key[0]}` : `(${target.columns.join(', ')}) (${key.join(', ')})`)

  /** Moves the floor to group k's hwm: first checks the band it leaves behind, then counts the new one. */
  async function moveFloor(p: PgPosition, k: number, problems: ProblemLog): Promise<void> {
    await watchBand(p, problems)
    const old = p.floor
    forgetThrough(p, k)
    if (sameKey(old, p.floor)) return
    const from = p.band && p.band.steps < BAND_FLOORS ? p.band.from : old
    const to = p.floor!
    const [{ n }] = (await run(countBetween(target, from, to))) as [{ n: number }]
    p.band = { from, to, count: n, steps: p.band && p.band.steps < BAND_FLOORS ? p.band.steps + 1 : 1 }
  }

  /** Rows that appeared behind the floor came later than the lookback: they are not read, and that is said. */
  async function watchBand(p: PgPosition, problems: ProblemLog): Promise<void> {
    if (!p.band) return
    const [{ n }] = (await run(countBetween(target, p.band.from, p.band.to))) as [{ n: number }]
    if (n > p.band.count) {
      problems.warn(`evidence source postgres (${ctx.name}): ${n - p.band.count} row(s) committed more than the lookback (${lookbackMs} ms) after newer rows were read, at or behind ${show(p.band.to)}: not read (raise \`evidence.source.lookback\`)`)
    }
    p.band.count = n
  }

  /** Keeps the delivered ids bounded: the oldest groups are forgotten early, with a warning if still in the lookback. */
  async function bound(p: PgPosition, problems: ProblemLog, initial: boolean): Promise<void> {
    while (deliveredCount(p) > MAX_DELIVERED && p.groups.length > 0) {
      // the first read of a table is history, not the run's: no lookback to keep for it
      if (!initial && p.groups[0].at > Date.now() - lookbackMs!) {
        problems.warn(`evidence source postgres (${ctx.name}): more than ${MAX_DELIVERED} rows within the lookback: rows committing late behind ${show(p.groups[0].hwm)} are no longer looked for (lower \`evidence.source.lookback\`)`)
      }
      await moveFloor(p, 0, problems)
    }
  }

  return {
    kind: 'postgres',
    integrity: 'unchained',
    async *pages(after: string | null = null): AsyncGenerator<EvidencePage> {
      const p = after === null ? startPosition(target.name) : decodeCursor(after)
      if (p.src !== target.name) throw new TypeError(`a cursor of the PostgreSQL evidence source for ${p.src}, not ${target.name}`)
      const initial = after === null
      let problems = new ProblemLog()
      let yielded: string | null = null
      let ordinal = 0
      const page = (rows: Record<string, unknown>[]): EvidencePage => {
        const prefix = p.gen === 0 ? `pg:${target.name}` : `pg:${target.name}~${p.gen}`
        const records: EvidenceRecord[] = []
        for (const row of rows) {
          const id = idOf(row)
          ordinal++
          // messages say "line <id>" for an integer id, else the row's place in this read
          const line = /^\d{1,15}$/.test(id) ? Number(id) : ordinal
          const r = mapping.apply(rawOf(row, target.columns.length), { line, id: `${prefix}:${id}` }, problems)
          if (r) records.push(r)
        }
        const out = { records, cursor: (yielded = encodeCursor(p)), problems: problems.snapshot() }
        problems = new ProblemLog()
        return out
      }

      // 1. the window again: rows that committed after rows ordered behind them were read
      const scanAt = Date.now()
      if (p.hwm !== null) {
        const delivered = deliveredIds(p)
        let from = p.floor
        for (let i = 0; i < MAX_PAGES; i++) {
          const rows = await run(latePage(target, from, p.hwm, delivered, pageSize))
          if (rows.length === 0) break
          const ids = rows.map(idOf)
          addDelivered(p, Date.now(), p.hwm, ids)
          delivered.push(...ids)
          await bound(p, problems, initial)
          yield page(rows)
          if (rows.length < pageSize) break
          from = keyOf(rows.at(-1)!)
        }
        await watchBand(p, problems)
        const k = settledGroup(p, scanAt, lookbackMs)
        if (k >= 0) await moveFloor(p, k, problems)
      }

      // 2. rows after the newest delivered
      let reset = false
      for (let i = 0; i < MAX_PAGES; i++) {
        const rows = await run(forwardPage(target, p.hwm, pageSize))
        if (rows.length === 0) {
          if (i === 0 && !reset && p.hwm !== null && !((await run(anyFrom(target, p.hwm)))[0] as { any: boolean }).any) {
            problems.warn(`evidence source postgres (${ctx.name}): no row at or after ${show(p.hwm)} any more: the table was emptied or recreated; read again from its first row, with new record ids (rows written between the last read and then were lost)`)
            Object.assign(p, startPosition(target.name, p.gen + 1))
            reset = true
            i = -1
            continue
          }
          break
        }
        addDelivered(p, Date.now(), keyOf(rows.at(-1)!), rows.map(idOf))
        await bound(p, problems, initial)
        yield page(rows)
        if (rows.length < pageSize) break
      }
      // every call ends on a page carrying the final cursor (and whatever was warned after the last rows)
      if (yielded === null || yielded !== encodeCursor(p) || problems.warnings.length > 0) yield page([])
    },
    async close() {
      if (closed) return
      closed = true
      await pool.end().catch(() => {})
    },
  }
}
