/**
 * The SQL the PostgreSQL evidence source sends: every statement is prepared once per connection
 * (pg's named queries) and bounded by `LIMIT`, so a poll never reads a whole table and the server
 * plans each shape once. Identifiers are quoted (escapeIdentifier), never spliced as given; a
 * `query` source is read as a subquery, so the cursor's WHERE and ORDER BY are the harness's own.
 *
 * A key travels as the text of its columns (`::text` here, a parameter there): PostgreSQL infers
 * each parameter's type from the column it is compared with, so a timestamptz key round-trips with
 * its microseconds and a bigint or uuid key needs no JavaScript type at all.
 */
import { escapeIdentifier } from 'pg'
import { b64urlSha256 } from '../protocol/token-hash.ts'

/** the key columns' text, in cursor order: `[id]` or `[time, id]` */
export type Key = string[]

/** what the source reads from: the relation and the cursor's columns */
export interface PgTarget {
  /** `audit.events` or `q-<hash>`: the record ids' prefix and the cursor's owner */
  name: string
  from: string
  /** the cursor's columns, time first when there is one; the last is the record's identity */
  columns: string[]
}

/** the key columns' text as extra result columns; stripped before the mapping sees a row */
export const KEY_ALIAS = (i: number): string => `gc$key${i}`

export function pgTarget(spec: { table?: string; query?: string; cursor: string | { time: string; id: string } }): PgTarget {
  const columns = typeof spec.cursor === 'string' ? [spec.cursor] : [spec.cursor.time, spec.cursor.id]
  if (spec.table !== undefined) {
    return { name: spec.table, from: `${spec.table.split('.').map((p) => escapeIdentifier(p)).join('.')} AS src`, columns }
  }
  const query = (spec.query ?? '').trim().replace(/;\s*$/, '')
  return { name: `q-${b64urlSha256(query).slice(0, 12)}`, from: `(${query}) AS src`, columns }
}

export interface Statement {
  name: string
  text: string
  values: unknown[]
}

function statement(text: string, values: unknown[]): Statement {
  // the name is the text's: two sources (or shapes) on one connection never collide
  return { name: `gc_ev_${b64urlSha256(text).slice(0, 16).replace(/-/g, '_')}`, text, values }
}

const cols = (t: PgTarget): string => t.columns.map((c) => `src.${escapeIdentifier(c)}`).join(', ')
const row = (t: PgTarget): string => (t.columns.length === 1 ? cols(t) : `(${cols(t)})`)
const params = (t: PgTarget, first: number): string => {
  const p = t.columns.map((_, i) => `$${first + i}`)
  return p.length === 1 ? p[0] : `(${p.join(', ')})`
}
const select = (t: PgTarget): string => `SELECT src.*, ${t.columns.map((c, i) => `(src.${escapeIdentifier(c)})::text AS ${escapeIdentifier(KEY_ALIAS(i))}`).join(', ')} FROM ${t.from}`
const idText = (t: PgTarget): string => `(src.${escapeIdentifier(t.columns.at(-1)!)})::text`

/** rows after `after` (null: from the first), in key order */
export function forwardPage(t: PgTarget, after: Key | null, limit: number): Statement {
  const n = t.columns.length
  if (after === null) return statement(`${select(t)} ORDER BY ${cols(t)} LIMIT $1`, [limit])
  return statement(`${select(t)} WHERE ${row(t)} > ${params(t, 1)} ORDER BY ${cols(t)} LIMIT $${n + 1}`, [...after, limit])
}

/**
 * Rows in (after, upTo] whose identity is not among `delivered`: the rows that committed after
 * rows ordered behind them were read. NOT IN over a subquery is hashed, so a window of thousands of
 * delivered ids costs one hash probe per row, not a scan of the list.
 */
export function latePage(t: PgTarget, after: Key | null, upTo: Key, delivered: string[], limit: number): Statement {
  const n = t.columns.length
  const lower = after === null ? '' : `${row(t)} > ${params(t, n + 3)} AND `
  return statement(
    `${select(t)} WHERE ${lower}${row(t)} <= ${params(t, 1)} AND ${idText(t)} NOT IN (SELECT unnest($${n + 1}::text[])) ORDER BY ${cols(t)} LIMIT $${n + 2}`,
    [...upTo, delivered, limit, ...(after ?? [])],
  )
}

/** whether any row is at or after `key` (none: the table was emptied or recreated behind the cursor) */
export function anyFrom(t: PgTarget, key: Key): Statement {
  return statement(`SELECT EXISTS (SELECT 1 FROM ${t.from} WHERE ${row(t)} >= ${params(t, 1)}) AS "any"`, key)
}

/** rows in (from, to]: how the band behind the lookback is watched for rows that came too late */
export function countBetween(t: PgTarget, from: Key | null, to: Key): Statement {
  const n = t.columns.length
  const lower = from === null ? '' : `${row(t)} > ${params(t, n + 1)} AND `
  return statement(`SELECT count(*)::int AS n FROM ${t.from} WHERE ${lower}${row(t)} <= ${params(t, 1)}`, from === null ? [...to] : [...to, ...from])
}
