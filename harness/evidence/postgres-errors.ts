/**
 * What a failed PostgreSQL read means for the user, as the contract's typed errors: a server that
 * cannot be reached or refuses the login is EvidenceUnavailable (the run retries a live poll, and a
 * final read that fails is reported); a table, column or query the server does not know is
 * EvidenceMappingInvalid naming the profile's key, since no retry will make it exist.
 *
 * Messages name the environment variable that holds the connection string, never its value: it
 * holds a password. Text that comes from elsewhere (a driver's message) has the password blanked
 * all the same, in case it was echoed.
 */
import { EvidenceMappingInvalid, EvidenceUnavailable, type HarnessError } from '../contracts/errors.ts'

export interface PgErrorContext {
  env: string
  declaredIn: string
  /** `table`, or `query` for a query source */
  relation: 'table' | 'query'
  /** the table's name or the query's short name, for messages */
  name: string
  columns: string[]
  password?: string
}

export const CONNECTION_FORM = 'postgres://user:password@127.0.0.1:5432/db'

/** SQLSTATE classes and node errors that mean "the server is not there (now)": retry later */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', '57P01', '57P02', '57P03', '53300'])

export function classifyPgError(e: unknown, ctx: PgErrorContext): HarnessError {
  const err = e as { code?: string; message?: string }
  const code = typeof err?.code === 'string' ? err.code : ''
  const scrub = (s: string): string => (ctx.password ? s.split(ctx.password).join('***') : s)
  const said = scrub(String(err?.message ?? e)).slice(0, 300)
  const where = `evidence source postgres (${ctx.relation} ${ctx.name}, connection from ${ctx.env})`
  const sourceKey = `evidence.source.${ctx.relation}`

  if (code === '28P01' || code === '28000') {
    return new EvidenceUnavailable(`${where}: the server refused the login: ${said}`, {
      cause: e,
      hint: `check the role and password in the connection string ${ctx.env} holds (${CONNECTION_FORM}) and that pg_hba.conf lets that role connect from this host`,
    })
  }
  if (code === '3D000') {
    return new EvidenceUnavailable(`${where}: ${said}`, { cause: e, hint: `the database named at the end of ${ctx.env} (${CONNECTION_FORM}) must exist on that server` })
  }
  if (code === '42501') {
    return new EvidenceUnavailable(`${where}: ${said}`, {
      cause: e,
      hint: ctx.relation === 'table' ? `GRANT SELECT ON ${ctx.name} TO the role in ${ctx.env} (SELECT is all the source needs)` : `GRANT SELECT on the tables the query reads to the role in ${ctx.env}`,
    })
  }
  if (code === '42P01') {
    return new EvidenceMappingInvalid(`${ctx.declaredIn}: \`${sourceKey}\`: ${said}`, {
      cause: e,
      file: ctx.declaredIn,
      key: sourceKey,
      hint: `the table the deployment writes its audit records to, as the role in ${ctx.env} sees it (schema-qualified if it is not on that role's search_path)`,
    })
  }
  if (code === '42703') {
    const column = /column "?([^"\s]+)"? does not exist/.exec(String(err.message))?.[1]?.replace(/^src\./, '')
    const isCursor = column !== undefined && ctx.columns.includes(column)
    const key = isCursor || ctx.relation === 'table' ? 'evidence.source.cursor' : sourceKey
    return new EvidenceMappingInvalid(`${ctx.declaredIn}: \`${key}\`: ${said}`, {
      cause: e,
      file: ctx.declaredIn,
      key,
      hint: key === 'evidence.source.cursor' ? `the cursor names columns of ${ctx.name}: an ever-increasing column ('id') or { time, id }` : 'a column the query selects or reads',
    })
  }
  if (ctx.relation === 'query' && /^(42|22P02)/.test(code)) {
    return new EvidenceMappingInvalid(`${ctx.declaredIn}: \`${sourceKey}\`: ${said}`, {
      cause: e,
      file: ctx.declaredIn,
      key: sourceKey,
      hint: 'a SELECT (or WITH … SELECT) without parameters or a trailing semicolon, read as a subquery; it must return the cursor columns',
    })
  }
  if (UNREACHABLE_CODES.has(code) || code.startsWith('08') || /Connection terminated|timeout|ECONNREFUSED|socket/i.test(said)) {
    return new EvidenceUnavailable(`${where}: the server cannot be reached: ${said}`, {
      cause: e,
      hint: `the PostgreSQL server in ${ctx.env} (${CONNECTION_FORM}) must be reachable until the run has read every record`,
    })
  }
  return new EvidenceUnavailable(`${where}: ${said}`, { cause: e, hint: `the role in ${ctx.env} must be able to read ${ctx.name} (SQLSTATE ${code || 'none'})` })
}
