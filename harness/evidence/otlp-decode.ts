/**
 * An OTLP/HTTP logs export request (ExportLogsServiceRequest) → the plain log records the mapping
 * reads (docs/evidence-sources/otlp-logs.md "What the mapping reads"): one object per LogRecord with
 * its resource's and scope's identity beside it, every AnyValue unwrapped to JSON.
 *
 * Protobuf is decoded by protobufjs from OpenTelemetry's own .proto definitions (opentelemetry-proto
 * v1.11.0, vendored unchanged in otlp-proto/), not by hand: @opentelemetry/otlp-transformer 0.301
 * serializes requests and decodes responses only (its generated ExportLogsServiceRequest decoder is
 * gone, and its minimal wire reader is internal), and no installed OpenTelemetry package ships the
 * .proto files. protobufjs's toObject() gives the same lowerCamelCase shape as OTLP/JSON, so both
 * encodings then go through one reader; they differ only in how trace and span ids are spelled (hex
 * in JSON, bytes in protobuf) and in bytes values (base64 in JSON; toObject writes base64 too).
 *
 * Any message here may reach a run's problems: none quotes the request (a body may hold tokens).
 */
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'

/** One log record as the mapping reads it; absent fields are left out. */
export interface OtlpLogRecord {
  time?: string
  observed_time?: string
  severity_text?: string
  severity_number?: number
  body?: unknown
  trace_id?: string
  span_id?: string
  event_name?: string
  attributes: Record<string, unknown>
  resource: Record<string, unknown>
  scope: { name?: string; version?: string }
}

/** A decoded record and what identifies an exact repeat of it (a sender's retry), or null when nothing can. */
export interface DecodedLogRecord {
  raw: OtlpLogRecord
  repeatKey: string | null
}

/** The request is not OTLP: the receiver answers 400 with this message. */
export class OtlpMalformed extends Error {}

const PROTO_DIR = fileURLToPath(new URL('./otlp-proto/', import.meta.url))
const REQUEST = 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'
/** AnyValue nests (arrays, kvlists); deeper than this is not an audit record */
const MAX_DEPTH = 32

let requestType: protobuf.Type | undefined
function exportRequest(): protobuf.Type {
  if (!requestType) {
    const root = new protobuf.Root()
    root.resolvePath = (_origin, target) => PROTO_DIR + target
    root.loadSync('opentelemetry/proto/collector/logs/v1/logs_service.proto')
    requestType = root.lookupType(REQUEST)
  }
  return requestType
}

type Ids = 'hex' | 'base64'

export function decodeProtobuf(body: Uint8Array): DecodedLogRecord[] {
  const type = exportRequest()
  let message: protobuf.Message
  try {
    message = type.decode(body)
  } catch (e) {
    // protobufjs names offsets and wire types, never the bytes
    throw new OtlpMalformed(`not an ExportLogsServiceRequest in protobuf (${String((e as Error)?.message ?? e).slice(0, 120)})`)
  }
  return records(type.toObject(message, { longs: String, enums: Number, bytes: String }), 'base64')
}

export function decodeJson(body: Uint8Array): DecodedLogRecord[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    // never the parser's message: it quotes the body
    throw new OtlpMalformed('not valid JSON (UTF-8)')
  }
  return records(parsed, 'hex')
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/** A repeated field: absent is empty, anything but a list is malformed. */
function list(v: unknown, at: string): unknown[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new OtlpMalformed(`${at} is not a list`)
  return v
}

function object(v: unknown, at: string): Record<string, unknown> {
  if (v === undefined || v === null) return {}
  if (!isObject(v)) throw new OtlpMalformed(`${at} is not an object`)
  return v
}

function records(request: unknown, ids: Ids): DecodedLogRecord[] {
  const out: DecodedLogRecord[] = []
  const req = object(request, 'the request')
  list(req.resourceLogs, 'resourceLogs').forEach((rl, i) => {
    const rAt = `resourceLogs[${i}]`
    const resourceLogs = object(rl, rAt)
    const resource = attributes(object(resourceLogs.resource, `${rAt}.resource`).attributes, `${rAt}.resource.attributes`)
    list(resourceLogs.scopeLogs, `${rAt}.scopeLogs`).forEach((sl, j) => {
      const sAt = `${rAt}.scopeLogs[${j}]`
      const scopeLogs = object(sl, sAt)
      const s = object(scopeLogs.scope, `${sAt}.scope`)
      const scope: OtlpLogRecord['scope'] = {}
      if (text(s.name)) scope.name = text(s.name)
      if (text(s.version)) scope.version = text(s.version)
      list(scopeLogs.logRecords, `${sAt}.logRecords`).forEach((lr, k) => {
        out.push(logRecord(object(lr, `${sAt}.logRecords[${k}]`), `${sAt}.logRecords[${k}]`, ids, resource, scope))
      })
    })
  })
  return out
}

function logRecord(r: Record<string, unknown>, at: string, ids: Ids, resource: Record<string, unknown>, scope: OtlpLogRecord['scope']): DecodedLogRecord {
  const timeNs = nanos(r.timeUnixNano)
  const observedNs = nanos(r.observedTimeUnixNano)
  const raw: OtlpLogRecord = { attributes: attributes(r.attributes, `${at}.attributes`), resource, scope }
  const time = iso(timeNs) ?? iso(observedNs)
  if (time) raw.time = time
  const observed = iso(observedNs)
  if (observed) raw.observed_time = observed
  if (text(r.severityText)) raw.severity_text = text(r.severityText)
  const severity = Number(r.severityNumber)
  if (Number.isInteger(severity) && severity > 0) raw.severity_number = severity
  if (r.body !== undefined && r.body !== null) raw.body = anyValue(r.body, `${at}.body`, 0)
  const traceId = id(r.traceId, ids, 16)
  if (traceId) raw.trace_id = traceId
  const spanId = id(r.spanId, ids, 8)
  if (spanId) raw.span_id = spanId
  if (text(r.eventName)) raw.event_name = text(r.eventName)
  // an exact repeat is what a retried export re-sends: the same bytes, so the same times too. Without
  // any time, two records alike are two events the deployment logged, never merged.
  const repeatKey = timeNs === 0n && observedNs === 0n ? null : JSON.stringify([raw.trace_id, raw.span_id, String(timeNs), String(observedNs), raw.body, raw.attributes])
  return { raw, repeatKey }
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

/**
 * A fixed64 as OTLP/JSON may spell it (a decimal string or a number); 0 when absent or not one. A
 * number is past 2^53 for any time since 1970-04: JSON.parse has already rounded it, to well under a
 * millisecond, which is all a record's `ts` keeps.
 */
function nanos(v: unknown): bigint {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return BigInt(Math.trunc(v))
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return BigInt(v)
  return 0n
}

function iso(ns: bigint): string | undefined {
  if (ns === 0n) return undefined
  const ms = Number(ns / 1_000_000n)
  const d = new Date(ms)
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString()
}

/** A trace or span id as lowercase hex; absent when empty, all zeros (invalid in W3C) or not the id's length. */
function id(v: unknown, ids: Ids, bytes: number): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined
  const hex = ids === 'hex' ? v.toLowerCase() : Buffer.from(v, 'base64').toString('hex')
  if (hex.length !== bytes * 2 || !/^[0-9a-f]+$/.test(hex) || /^0+$/.test(hex)) return undefined
  return hex
}

/** KeyValue list → object; a repeated key keeps its last value. */
function attributes(v: unknown, at: string, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [i, kv] of list(v, at).entries()) {
    const pair = object(kv, `${at}[${i}]`)
    if (typeof pair.key !== 'string') throw new OtlpMalformed(`${at}[${i}].key is not a string`)
    out[pair.key] = anyValue(pair.value, `${at}[${i}].value`, depth)
  }
  return out
}

/**
 * AnyValue → its JSON value: strings, booleans, doubles as they are; an int64 as a number when it is
 * a safe integer, else its decimal string; bytes as base64; an array as a list, a kvlist as an
 * object; an empty AnyValue as null.
 */
function anyValue(v: unknown, at: string, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new OtlpMalformed(`${at} nests deeper than ${MAX_DEPTH} levels`)
  if (v === undefined || v === null) return null
  const a = object(v, at)
  if ('stringValue' in a) return typeof a.stringValue === 'string' ? a.stringValue : String(a.stringValue)
  if ('boolValue' in a) return a.boolValue === true || a.boolValue === 'true'
  if ('intValue' in a) {
    const n = Number(a.intValue)
    if (typeof a.intValue === 'number' || typeof a.intValue === 'string') return Number.isSafeInteger(n) ? n : String(a.intValue)
    throw new OtlpMalformed(`${at}.intValue is not an integer`)
  }
  if ('doubleValue' in a) return Number(a.doubleValue)
  if ('arrayValue' in a) return list(object(a.arrayValue, `${at}.arrayValue`).values, `${at}.arrayValue.values`).map((x, i) => anyValue(x, `${at}.arrayValue.values[${i}]`, depth + 1))
  if ('kvlistValue' in a) return attributes(object(a.kvlistValue, `${at}.kvlistValue`).values, `${at}.kvlistValue.values`, depth + 1)
  if ('bytesValue' in a) return typeof a.bytesValue === 'string' ? a.bytesValue : null
  return null
}
