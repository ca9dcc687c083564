/**
 * The OTLP logs receiver against the real senders: OpenTelemetry's Node SDK (sdk-logs) exporting
 * through both OTLP/HTTP log exporters, JSON and protobuf, with and without gzip. Every record
 * emitted arrives once, mapped, with its trace id and attributes; the SDK's own environment variables
 * as exportEnv() gives them reach the receiver; and when the receiver refuses (503) or is gone
 * (connection refused) for a while, the SDK's retries deliver each record exactly once, while what
 * its full queue dropped is simply absent.
 */
import { context, SeverityNumber, trace, TraceFlags } from '@opentelemetry/api'
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto'
// the exporters' own config type (their dependency): the compression option is this enum
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs'
import { afterEach, describe, expect, test } from 'vitest'
import type { MappingFields } from '../../../harness/contracts/evidence-mapping.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { otlpLogsSource, type OtlpLogsSource } from '../../../harness/evidence/otlp-source.ts'

const FIELDS: MappingFields = {
  ts: 'time',
  decision: 'attributes.audit.decision',
  reason: 'attributes.audit.reason',
  status: 'attributes.http.response.status_code',
  component: 'resource.service.name',
  'principal.sub': 'attributes.enduser.id',
  'principal.type': { const: 'agent' },
  'correlation.request_id': 'attributes.request.id',
}

const sources: OtlpLogsSource[] = []
const providers: LoggerProvider[] = []
afterEach(async () => {
  for (const p of providers.splice(0)) await p.shutdown().catch(() => {})
  for (const s of sources.splice(0)) await s.close()
})

async function receiver() {
  const source = otlpLogsSource({ kind: 'otlp-logs', mapping: { fields: FIELDS } })
  sources.push(source)
  const env = await source.exportEnv!()
  const secret = decodeURIComponent(env.OTEL_EXPORTER_OTLP_LOGS_HEADERS.split('=')[1])
  return { source, env, url: env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, headers: { 'x-gatecrash-secret': secret } }
}

function sdk(exporter: LogRecordExporter, queue: { maxQueueSize?: number; maxExportBatchSize?: number } = {}) {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'agent-gateway' }),
    processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 20, maxExportBatchSize: 50, maxQueueSize: 1000, ...queue })],
  })
  providers.push(provider)
  return { provider, logger: provider.getLogger('audit', '1.2.0') }
}

const traceIdOf = (n: number): string => (0xabc00000 + n).toString(16).padStart(32, '0')
const spanIdOf = (n: number): string => (0xdef000 + n).toString(16).padStart(16, '0')

/** n audit records, odd ones denies, each with its own trace context */
function emit(logger: ReturnType<LoggerProvider['getLogger']>, from: number, to: number): void {
  for (let n = from; n <= to; n++) {
    const deny = n % 2 === 1
    logger.emit({
      body: deny ? 'tool call refused' : 'tool call allowed',
      severityNumber: deny ? SeverityNumber.WARN : SeverityNumber.INFO,
      severityText: deny ? 'WARN' : 'INFO',
      attributes: {
        'audit.decision': deny ? 'deny' : 'allow',
        ...(deny && { 'audit.reason': 'scope.insufficient' }),
        'http.response.status_code': deny ? 403 : 200,
        'enduser.id': `agent-${n}`,
        'request.id': `r${n}`,
      },
      context: trace.setSpanContext(context.active(), { traceId: traceIdOf(n), spanId: spanIdOf(n), traceFlags: TraceFlags.SAMPLED }),
    })
  }
}

async function readAll(source: OtlpLogsSource, after: string | null = null): Promise<{ records: EvidenceRecord[]; cursor: string | null; unmapped: number }> {
  const records: EvidenceRecord[] = []
  let cursor: string | null = after
  let unmapped = 0
  for await (const page of source.pages(after)) {
    records.push(...page.records)
    cursor = page.cursor
    unmapped += page.problems?.unmapped ?? 0
  }
  return { records, cursor, unmapped }
}

const requestIds = (records: EvidenceRecord[]): string[] => records.map((r) => r.correlation.request_id!).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `r${from + i}`)

describe('the SDK exports to the receiver', () => {
  test.each([
    ['JSON', CompressionAlgorithm.NONE],
    ['JSON', CompressionAlgorithm.GZIP],
    ['protobuf', CompressionAlgorithm.NONE],
    ['protobuf', CompressionAlgorithm.GZIP],
  ] as const)('%s, compression %s: every record arrives once, mapped, with its own trace id and attributes', async (encoding, compression) => {
    const { source, url, headers } = await receiver()
    const Exporter = encoding === 'JSON' ? JsonExporter : ProtoExporter
    const { provider, logger } = sdk(new Exporter({ url, headers, compression }))
    emit(logger, 1, 40)
    await provider.forceFlush()
    const { records, unmapped } = await readAll(source)
    expect(unmapped).toBe(0)
    expect(records).toHaveLength(40)
    expect(requestIds(records)).toEqual(range(1, 40))
    expect(new Set(records.map((r) => r.id)).size).toBe(40)
    const r7 = records.find((r) => r.correlation.request_id === 'r7')!
    expect(r7).toMatchObject({
      component: 'agent-gateway',
      decision: 'deny',
      reason: 'scope.insufficient',
      status: 403,
      principal: { sub: 'agent-7', type: 'agent' },
      correlation: { trace_id: traceIdOf(7), request_id: 'r7' },
      prev: null,
      hash: '',
    })
    expect(r7.id).toMatch(/^otlp:\d+$/)
    expect(records.find((r) => r.correlation.request_id === 'r8')).toMatchObject({ decision: 'allow', reason: 'ok', status: 200, correlation: { trace_id: traceIdOf(8) } })
    expect(Date.now() - Date.parse(r7.ts)).toBeLessThan(60_000)
    expect(source.receiver.stats).toMatchObject({ records: 40, unauthorized: 0, malformed: 0 })
  })

  test("the SDK's own environment variables, as exportEnv() gives them, reach the receiver with the secret", async () => {
    const { source, env } = await receiver()
    const saved = { endpoint: process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, headers: process.env.OTEL_EXPORTER_OTLP_LOGS_HEADERS }
    Object.assign(process.env, env)
    let exporter: ProtoExporter
    try {
      exporter = new ProtoExporter()
    } finally {
      for (const [k, v] of [['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', saved.endpoint], ['OTEL_EXPORTER_OTLP_LOGS_HEADERS', saved.headers]] as const) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
    const { provider, logger } = sdk(exporter)
    emit(logger, 1, 3)
    await provider.forceFlush()
    expect(requestIds((await readAll(source)).records)).toEqual(range(1, 3))
    expect(source.receiver.stats.unauthorized).toBe(0)
  })
})

describe('a receiver that is briefly away', () => {
  test('answering 503 with Retry-After: the SDK retries, and every record arrives exactly once', async () => {
    const { source, url, headers } = await receiver()
    const { provider, logger } = sdk(new JsonExporter({ url, headers, timeoutMillis: 8000 }))
    source.receiver.refuseFor(1500)
    emit(logger, 1, 20)
    await provider.forceFlush()
    const { records } = await readAll(source)
    expect(source.receiver.stats.refused).toBeGreaterThanOrEqual(1)
    expect(requestIds(records)).toEqual(range(1, 20))
    expect(source.receiver.stats.records).toBe(20)
  })

  test('its listener closed and reopened on the same port: the SDK retries the refused connection, each record once', async () => {
    const { source, url, headers } = await receiver()
    const port = source.receiver.port
    const { provider, logger } = sdk(new ProtoExporter({ url, headers, timeoutMillis: 8000 }))
    emit(logger, 1, 5)
    await provider.forceFlush()
    await source.receiver.stop()
    emit(logger, 6, 25)
    const flushed = provider.forceFlush()
    await new Promise((r) => setTimeout(r, 300))
    expect(await source.receiver.start()).toBe(port)
    await flushed
    const { records } = await readAll(source)
    expect(requestIds(records)).toEqual(range(1, 25))
    expect(new Set(records.map((r) => r.id)).size).toBe(25)
  })

  test("records the SDK's full queue dropped while the receiver was away are absent; none is duplicated and none acknowledged is lost", async () => {
    const { source, url, headers } = await receiver()
    const { provider, logger } = sdk(new JsonExporter({ url, headers, timeoutMillis: 8000 }), { maxQueueSize: 10, maxExportBatchSize: 5 })
    await source.receiver.stop()
    emit(logger, 1, 60)
    const flushed = provider.forceFlush()
    await new Promise((r) => setTimeout(r, 300))
    await source.receiver.start()
    await flushed
    const { records } = await readAll(source)
    const got = requestIds(records)
    // the queue held 10: most of the 60 never left the SDK, which is the deployment's loss to grade
    expect(got.length).toBeGreaterThan(0)
    expect(got.length).toBeLessThan(60)
    expect(new Set(got).size).toBe(got.length)
    for (const id of got) expect(range(1, 60)).toContain(id)
    // what the receiver acknowledged is exactly what the run reads
    expect(source.receiver.stats.records).toBe(got.length)
    expect(source.receiver.stats.exports).toBeGreaterThan(0)
  })
})
