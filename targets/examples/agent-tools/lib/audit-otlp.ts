/**
 * The OpenTelemetry audit sink (EXAMPLE_AUDIT_SINK=otlp): each decision is one OTLP log record,
 * exported over OTLP/HTTP by the OpenTelemetry SDK the way an instrumented service ships its logs.
 *
 * The exporter is configured by the standard variables only, which it reads itself:
 * OTEL_EXPORTER_OTLP_LOGS_PROTOCOL (`http/protobuf`, the default, or `http/json`), …_ENDPOINT,
 * …_HEADERS, …_COMPRESSION, …_TIMEOUT (and their OTEL_EXPORTER_OTLP_* fallbacks).
 *
 * The record's fields are attributes, under OpenTelemetry's semantic-convention names where one
 * exists (`http.request.method`, `url.path`, `http.response.status_code`, `enduser.id`) and
 * `agent_tools.*` otherwise; lists stay string arrays and `facts` a map (an OTLP kvlist), so a
 * mapping reads the same values the JSON lines hold. The request's W3C trace id is the log
 * record's own trace context; `service.name` is the record's service.
 */
import { randomBytes } from 'node:crypto'
import { ROOT_CONTEXT, SeverityNumber, TraceFlags, trace, type Attributes } from '@opentelemetry/api'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs'
import type { AuditRecord, AuditSink } from './audit-log.ts'

/** short: a decision should reach the collector within a poll or two of the run's evidence reader */
const SCHEDULED_DELAY_MS = 200
const FLUSH_TIMEOUT_MS = 5_000

export type OtlpProtocol = 'http/json' | 'http/protobuf'

/** The protocol the standard variables ask for; gRPC is not supported by this deployment. */
export function otlpProtocolFromEnv(env: NodeJS.ProcessEnv): OtlpProtocol {
  const raw = env.OTEL_EXPORTER_OTLP_LOGS_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf'
  if (raw !== 'http/json' && raw !== 'http/protobuf') throw new Error(`OTEL_EXPORTER_OTLP_LOGS_PROTOCOL is '${raw}': 'http/protobuf' (default) or 'http/json' (gRPC is not supported)`)
  return raw
}

/** The record's fields as log attributes; absent (null) values are left out, as OTLP has no null attribute. */
export function attributesOf(r: AuditRecord): Attributes {
  const out: Attributes = {
    'http.request.method': r.method,
    'url.path': r.path,
    'http.response.status_code': r.http_status,
    'agent_tools.outcome': r.outcome,
    'agent_tools.why': r.why,
    'agent_tools.delegation': r.delegation,
    'agent_tools.scopes_needed': r.scopes_needed,
    'agent_tools.scopes_held': r.scopes_held,
    'agent_tools.facts': r.facts ?? {},
  }
  const optional: [string, string | null | undefined][] = [
    ['enduser.id', r.user],
    ['agent_tools.user_kind', r.user_kind],
    ['agent_tools.client_id', r.client],
    ['agent_tools.oauth_error', r.oauth_error],
    ['agent_tools.key_thumbprint', r.key_thumbprint],
    ['agent_tools.audience', r.audience],
    ['agent_tools.tool', r.tool],
    ['agent_tools.tenant', r.tenant],
    ['agent_tools.request_id', r.request_id],
    ['agent_tools.token_id', r.token_id],
    ['agent_tools.token_sha256', r.token_sha256],
    ['agent_tools.subject_token_sha256', r.subject_token_sha256],
  ]
  for (const [k, v] of optional) if (v !== null && v !== undefined) out[k] = v
  return out
}

/** Export failures on stderr: the SDK only tells its diag logger, which is silent unless set up. */
function reporting(inner: LogRecordExporter): LogRecordExporter {
  return {
    export(records, done) {
      inner.export(records, (result) => {
        // ExportResultCode.SUCCESS is 0; the error's message names the status, never the headers
        if (result.code !== 0) process.stderr.write(`audit: OTLP export of ${records.length} log records failed (${String(result.error?.message ?? 'unknown error').slice(0, 200)})\n`)
        done(result)
      })
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush(),
  }
}

export class OtlpSink implements AuditSink {
  readonly #provider: LoggerProvider
  readonly #logger: ReturnType<LoggerProvider['getLogger']>

  private constructor(provider: LoggerProvider) {
    this.#provider = provider
    this.#logger = provider.getLogger('agent-tools.audit', '1')
  }

  /** Only the chosen exporter is loaded (the container image carries neither). */
  static async open(service: string, env: NodeJS.ProcessEnv = process.env): Promise<OtlpSink> {
    const protocol = otlpProtocolFromEnv(env)
    const { OTLPLogExporter } = protocol === 'http/json' ? await import('@opentelemetry/exporter-logs-otlp-http') : await import('@opentelemetry/exporter-logs-otlp-proto')
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      processors: [new BatchLogRecordProcessor({ exporter: reporting(new OTLPLogExporter()), scheduledDelayMillis: SCHEDULED_DELAY_MS, maxQueueSize: 8_192, maxExportBatchSize: 512 })],
    })
    return new OtlpSink(provider)
  }

  write(r: AuditRecord): void {
    this.#logger.emit({
      timestamp: new Date(r.time),
      severityNumber: r.outcome === 'denied' ? SeverityNumber.WARN : SeverityNumber.INFO,
      severityText: r.outcome === 'denied' ? 'WARN' : 'INFO',
      eventName: 'agent_tools.decision',
      body: 'authorization decision',
      attributes: attributesOf(r),
      // the request's trace; the span is this server's handling of it (the example has no tracer,
      // so a fresh span id, as a server span would have)
      ...(r.trace !== null ? { context: trace.setSpanContext(ROOT_CONTEXT, { traceId: r.trace, spanId: randomBytes(8).toString('hex'), traceFlags: TraceFlags.SAMPLED }) } : {}),
    })
  }

  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const done = this.#provider
      .forceFlush({ timeoutMillis: FLUSH_TIMEOUT_MS })
      .then(() => this.#provider.shutdown())
      .catch((e: unknown) => process.stderr.write(`audit: OTLP flush at shutdown failed (${String((e as Error)?.message ?? e).slice(0, 200)})\n`))
    const timedOut = await Promise.race([done.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), FLUSH_TIMEOUT_MS + 500)))])
    clearTimeout(timer)
    if (timedOut) process.stderr.write(`audit: OTLP flush did not finish within ${FLUSH_TIMEOUT_MS} ms at shutdown: log records lost\n`)
  }
}
