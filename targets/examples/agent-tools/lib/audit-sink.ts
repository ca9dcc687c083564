/**
 * Where a component's audit records go (README.md, "Audit sinks"), chosen by EXAMPLE_AUDIT_SINK:
 * `jsonl` (default: a JSON-lines file), `postgres` (a table), `otlp` (OpenTelemetry log records over
 * OTLP/HTTP) or `http-api` (the file, served by a paged log API). Every form sits behind the same
 * AuditLog, so the record and flaw `denies-not-logged` do not depend on the form.
 *
 * The PostgreSQL and OpenTelemetry sinks are imported only when chosen: the container image carries
 * only the packages the JSON-lines form needs.
 */
import { AuditLog } from './audit-log.ts'
import { JsonlSink } from './audit-jsonl.ts'
import { optional, port, required } from './env.ts'

export const SINKS = ['jsonl', 'postgres', 'otlp', 'http-api'] as const
export type SinkKind = (typeof SINKS)[number]

export const DEFAULT_PG_TABLE = 'agent_tools_audit'
/** an unquoted identifier, optionally schema-qualified: it is put into SQL text */
const PG_TABLE = /^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/

export function checkTableName(table: string): string {
  if (!PG_TABLE.test(table)) throw new Error(`the audit table '${table}' is not a lower-case table name (optionally schema.table)`)
  return table
}

export function sinkKindFromEnv(env: NodeJS.ProcessEnv): SinkKind {
  const kind = optional(env, 'EXAMPLE_AUDIT_SINK', 'jsonl')
  if (!(SINKS as readonly string[]).includes(kind)) throw new Error(`EXAMPLE_AUDIT_SINK is '${kind}': one of ${SINKS.join(', ')}`)
  return kind as SinkKind
}

export interface OpenAuditOptions {
  /** the record's `service`: also the OTLP resource's service.name */
  service: string
  /** the JSON-lines file (jsonl and http-api) */
  file: string
  /** flaw `denies-not-logged` */
  dropDenies: boolean
  /** where a line about the sink goes (the log API's URL) */
  say?: (line: string) => void
}

/** Opens the sink EXAMPLE_AUDIT_SINK names; throws, and the component does not start, when it cannot. */
export async function openAuditLog(env: NodeJS.ProcessEnv, opts: OpenAuditOptions): Promise<AuditLog> {
  const flaw = { dropDenies: opts.dropDenies }
  switch (sinkKindFromEnv(env)) {
    case 'jsonl':
      return new AuditLog(new JsonlSink(opts.file), flaw)
    case 'postgres': {
      const { PostgresSink } = await import('./audit-postgres.ts')
      return new AuditLog(await PostgresSink.open(required(env, 'EXAMPLE_AUDIT_PG_URL'), optional(env, 'EXAMPLE_AUDIT_PG_TABLE', DEFAULT_PG_TABLE)), flaw)
    }
    case 'otlp': {
      const { OtlpSink } = await import('./audit-otlp.ts')
      return new AuditLog(await OtlpSink.open(opts.service, env), flaw)
    }
    case 'http-api': {
      const { HttpApiSink, EVENTS_PATH } = await import('./audit-http-api.ts')
      const rate = Number(optional(env, 'EXAMPLE_AUDIT_API_RATE', '100'))
      if (!Number.isInteger(rate) || rate < 1) throw new Error(`EXAMPLE_AUDIT_API_RATE: not a positive whole number of requests per second: ${env.EXAMPLE_AUDIT_API_RATE}`)
      const sink = await HttpApiSink.open({ file: opts.file, port: port(env, 'EXAMPLE_AUDIT_API_PORT', 0), token: required(env, 'EXAMPLE_AUDIT_API_TOKEN'), ratePerSecond: rate })
      opts.say?.(`audit-api ${sink.origin}${EVENTS_PATH}`)
      return new AuditLog(sink, flaw)
    }
  }
}
