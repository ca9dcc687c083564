/**
 * A stand-in OTLP/HTTP logs receiver for the example's otlp audit sink tests: a loopback server
 * that answers POST /v1/logs with 200 and keeps each request (headers and body, gunzipped), and a
 * converter from an OTLP/JSON ExportLogsServiceRequest to the raw record shape gatecrash's
 * otlp-logs source hands to a mapping ({ time, trace_id, attributes, resource, scope, … }), since
 * the receiver itself is built elsewhere.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'

export interface CapturedExport {
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface OtlpCapture {
  endpoint: string
  exports: CapturedExport[]
  close(): Promise<void>
}

export async function startOtlpCapture(): Promise<OtlpCapture> {
  const exports: CapturedExport[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks)
      if (req.method === 'POST' && req.url === '/v1/logs') {
        exports.push({ headers: req.headers, body: req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw })
        res.writeHead(200, { 'content-type': String(req.headers['content-type'] ?? 'application/json') }).end(req.headers['content-type'] === 'application/json' ? '{}' : '')
      } else res.writeHead(404).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`,
    exports,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  }
}

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; bytesValue?: string; arrayValue?: { values?: AnyValue[] }; kvlistValue?: { values?: KeyValue[] } }
type KeyValue = { key: string; value?: AnyValue }

function valueOf(v: AnyValue | undefined): unknown {
  if (v === undefined) return null
  if (v.stringValue !== undefined) return v.stringValue
  if (v.intValue !== undefined) return Number(v.intValue)
  if (v.doubleValue !== undefined) return v.doubleValue
  if (v.boolValue !== undefined) return v.boolValue
  if (v.bytesValue !== undefined) return v.bytesValue
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(valueOf)
  if (v.kvlistValue !== undefined) return mapOf(v.kvlistValue.values)
  // an empty AnyValue is how OTLP carries null
  return null
}

const mapOf = (kvs: KeyValue[] | undefined): Record<string, unknown> => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, valueOf(kv.value)]))

/** nanoseconds since the epoch (a decimal string) → RFC 3339, exact to the millisecond */
const isoOf = (ns: string | undefined): string | undefined => (ns === undefined ? undefined : new Date(Number(BigInt(ns) / 1_000_000n)).toISOString())

/** One ExportLogsServiceRequest in OTLP/JSON → its log records in the receiver's raw shape. */
export function rawLogRecords(request: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  for (const rl of (request as { resourceLogs?: any[] }).resourceLogs ?? []) {
    for (const sl of rl.scopeLogs ?? []) {
      for (const lr of sl.logRecords ?? []) {
        out.push({
          time: isoOf(lr.timeUnixNano),
          observed_time: isoOf(lr.observedTimeUnixNano),
          severity_text: lr.severityText,
          severity_number: lr.severityNumber,
          body: valueOf(lr.body),
          trace_id: lr.traceId || undefined,
          span_id: lr.spanId || undefined,
          event_name: lr.eventName,
          attributes: mapOf(lr.attributes),
          resource: mapOf(rl.resource?.attributes),
          scope: { name: sl.scope?.name, version: sl.scope?.version },
        })
      }
    }
  }
  return out
}
