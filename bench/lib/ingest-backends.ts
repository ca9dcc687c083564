/**
 * The backends the ingest bench writes to, one per evidence source kind, each on loopback, with the
 * source spec that reads it back. Every kind but http-cursor maps one raw audit-record shape (an
 * application's own log line: rawAudit) through one mapping, so the kinds differ only in transport.
 * http-cursor is the reference target's evidence sink itself (its request handler and store, in this
 * process), fed hash-chained records the way its evidence writers POST them.
 *
 * postgres needs a server: GATECRASH_BENCH_PG_URL (skipped when unset). otlp-logs is fed by the
 * OpenTelemetry SDK's own OTLP/protobuf exporter at the receiver the source opens (exportEnv()).
 * http-log-api is a minimal paged API with RFC 8288 Link headers, as identity providers' system logs
 * page (Okta's: a `next` link always, an empty page when caught up).
 */
import { appendFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { EvidenceMappingSpec } from '../../harness/contracts/evidence-mapping.ts'
import type { EvidenceRecord } from '../../harness/contracts/evidence.ts'
import type { EvidenceSource } from '../../harness/contracts/evidence-source.ts'
import type { EvidenceSourceSpec } from '../../harness/contracts/target.ts'
import { recordHash } from '../../harness/evidence/chain.ts'
import { b64urlSha256 } from '../../harness/protocol/token-hash.ts'
import { sinkHandler } from '../../targets/reference/evidence-sink/sink-server.ts'
import { SinkStore } from '../../targets/reference/evidence-sink/sink-store.ts'

export const INGEST_KINDS = ['jsonl', 'http-cursor', 'postgres', 'otlp-logs', 'http-log-api'] as const
export type IngestKind = (typeof INGEST_KINDS)[number]

/** One deployment audit line: what a gateway that does not speak gatecrash's schema writes. */
export function rawAudit(i: number, writtenAt: number): Record<string, unknown> {
  const k = i % 1000
  return {
    event_id: `ev_${i}`,
    time: new Date(writtenAt).toISOString(),
    service: 'gateway',
    outcome: i % 10 === 9 ? 'denied' : 'allowed',
    rule: i % 10 === 9 ? 'scope.insufficient' : 'ok',
    http_status: i % 10 === 9 ? 403 : 200,
    user: `user_${k % 50}`,
    agent_chain: [`subagent_${k}`, `agent_${k >> 1}`],
    client: `subagent_${k}`,
    tool: 'tickets.read',
    tenant: `t_${k % 20}`,
    traceparent: `00-${i.toString(16).padStart(32, '0')}-00f067aa0ba902b7-01`,
    token_sha256: b64urlSha256(`bench-token-${k}`),
  }
}

export const RAW_MAPPING: EvidenceMappingSpec = {
  fields: {
    id: 'event_id',
    ts: 'time',
    component: 'service',
    decision: { from: 'outcome', map: { allowed: 'allow', denied: 'deny' } },
    reason: 'rule',
    status: 'http_status',
    'principal.sub': 'user',
    'principal.type': { const: 'user' },
    actors: 'agent_chain',
    client_id: 'client',
    'resource.tool': 'tool',
    'resource.tenant': 'tenant',
    'correlation.trace_id': 'traceparent',
    'correlation.token_hash': 'token_sha256',
  },
}

export interface Backend {
  spec: EvidenceSourceSpec
  /** writes records i = from … from + count − 1, stamped now; resolves once the backend holds them */
  write(from: number, count: number): Promise<void>
  /** called with the opened source before the first write (otlp-logs: where to send) */
  attach?(source: EvidenceSource): Promise<void>
  close(): Promise<void>
}

/** Why a kind cannot run here (null: it can); checked before anything is opened. */
export function unavailable(kind: IngestKind): string | null {
  if (kind === 'postgres' && !process.env.GATECRASH_BENCH_PG_URL) return 'no PostgreSQL server: set GATECRASH_BENCH_PG_URL to a connection string'
  return null
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
  })
}
const closeServer = (server: Server) => new Promise<void>((r) => server.close(() => r()))

export async function openBackend(kind: IngestKind, dir: string): Promise<Backend> {
  switch (kind) {
    case 'jsonl': {
      const file = path.join(dir, 'audit.jsonl')
      await appendFile(file, '')
      return {
        spec: { kind: 'jsonl', file, mapping: RAW_MAPPING, waitForFile: '0s' },
        async write(from, count) {
          const now = Date.now()
          let lines = ''
          for (let i = from; i < from + count; i++) lines += `${JSON.stringify(rawAudit(i, now))}\n`
          await appendFile(file, lines)
        },
        async close() {},
      }
    }
    case 'http-cursor': {
      const store = new SinkStore(dir)
      await store.load()
      const server = createServer(sinkHandler(store, () => {}, null))
      const url = await listen(server)
      let prev: string | null = null
      return {
        spec: { kind: 'http-cursor', url },
        async write(from, count) {
          const now = Date.now()
          const batch: EvidenceRecord[] = []
          for (let i = from; i < from + count; i++) {
            const raw = rawAudit(i, now)
            const body = {
              v: 1, id: raw.event_id, ts: raw.time, component: 'gateway', decision: raw.outcome === 'allowed' ? 'allow' : 'deny', reason: raw.rule, status: raw.http_status,
              principal: { sub: raw.user, type: 'user' }, client_id: raw.client, actors: raw.agent_chain, resource: { tool: raw.tool, tenant: raw.tenant },
              correlation: { trace_id: (raw.traceparent as string).slice(3, 35), token_hash: raw.token_sha256 }, prev,
            } as Omit<EvidenceRecord, 'hash'>
            const record = { ...body, hash: recordHash(body) } as EvidenceRecord
            prev = record.hash
            batch.push(record)
          }
          const res = await fetch(`${url}/ingest`, { method: 'POST', body: JSON.stringify(batch), headers: { 'content-type': 'application/json' } })
          if (res.status !== 200) throw new Error(`sink refused a batch: ${res.status} ${await res.text()}`)
        },
        close: () => closeServer(server),
      }
    }
    case 'postgres':
      return postgresBackend()
    case 'otlp-logs':
      return otlpBackend()
    case 'http-log-api':
      return logApiBackend()
  }
}

async function postgresBackend(): Promise<Backend> {
  const { default: pg } = await import('pg')
  const pool = new pg.Pool({ connectionString: process.env.GATECRASH_BENCH_PG_URL, max: 2 })
  const table = `gatecrash_bench_audit_${process.pid}`
  const columns = ['event_id', 'time', 'service', 'outcome', 'rule', 'http_status', 'user', 'agent_chain', 'client', 'tool', 'tenant', 'traceparent', 'token_sha256']
  await pool.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, event_id text, time timestamptz, service text, outcome text, rule text, http_status int,
    "user" text, agent_chain jsonb, client text, tool text, tenant text, traceparent text, token_sha256 text)`)
  return {
    spec: { kind: 'postgres', connectionEnv: 'GATECRASH_BENCH_PG_URL', table, cursor: 'id', mapping: RAW_MAPPING },
    async write(from, count) {
      const now = Date.now()
      const values: unknown[] = []
      const rows: string[] = []
      for (let i = from; i < from + count; i++) {
        const raw = rawAudit(i, now)
        rows.push(`(${columns.map((_, c) => `$${values.length + c + 1}`).join(', ')})`)
        values.push(...columns.map((c) => (c === 'agent_chain' ? JSON.stringify(raw[c]) : raw[c])))
      }
      // one statement per ≤ 1,000 rows keeps it under PostgreSQL's 65,535 parameters
      await pool.query(`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${rows.join(', ')}`, values)
    },
    async close() {
      await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {})
      await pool.end()
    },
  }
}

/**
 * The same mapping for a log record whose attributes are the audit line's fields: the receiver hands
 * the mapping `{ time, body, trace_id, attributes: { … }, resource, … }` (docs/evidence-sources/otlp-logs.md).
 */
function underAttributes(mapping: EvidenceMappingSpec): EvidenceMappingSpec {
  const at = (path: string): string => `attributes.${path}`
  const fields = Object.fromEntries(Object.entries(mapping.fields).map(([field, rule]) => {
    if (typeof rule === 'string') return [field, at(rule)]
    if (rule && typeof rule === 'object' && 'from' in rule) return [field, { ...rule, from: typeof rule.from === 'string' ? at(rule.from) : rule.from.map(at) }]
    return [field, rule]
  }))
  return { ...mapping, fields } as EvidenceMappingSpec
}

async function otlpBackend(): Promise<Backend> {
  const { LoggerProvider, BatchLogRecordProcessor } = await import('@opentelemetry/sdk-logs')
  const { OTLPLogExporter } = await import('@opentelemetry/exporter-logs-otlp-proto')
  let provider: InstanceType<typeof LoggerProvider> | undefined
  let logger: ReturnType<InstanceType<typeof LoggerProvider>['getLogger']> | undefined
  return {
    spec: { kind: 'otlp-logs', mapping: underAttributes(RAW_MAPPING) },
    async attach(source) {
      if (!source.exportEnv) throw new Error('the otlp-logs source has no exportEnv()')
      const env = await source.exportEnv()
      const headers = Object.fromEntries((env.OTEL_EXPORTER_OTLP_LOGS_HEADERS ?? '').split(',').filter(Boolean).map((kv) => kv.split('=').map(decodeURIComponent) as [string, string]))
      const exporter = new OTLPLogExporter({ url: env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, headers })
      provider = new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 1000, maxQueueSize: 4096, scheduledDelayMillis: 100 })] })
      logger = provider.getLogger('gatecrash-bench')
    },
    async write(from, count) {
      if (!logger || !provider) throw new Error('otlp-logs backend not attached')
      const now = Date.now()
      for (let i = from; i < from + count; i++) {
        // the raw audit line as the log record's attributes, its time as the record's timestamp
        const raw = rawAudit(i, now)
        logger.emit({ timestamp: now, body: 'authorization decision', attributes: raw as Record<string, string> })
      }
      await provider.forceFlush()
    },
    async close() {
      await provider?.shutdown()
    },
  }
}

async function logApiBackend(): Promise<Backend> {
  const log: Record<string, unknown>[] = []
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://api.invalid')
    if (url.pathname !== '/api/v1/logs') {
      res.writeHead(404).end()
      return
    }
    const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? 100) || 100)
    const after = Number(url.searchParams.get('after') ?? 0) || 0
    const page = log.slice(after, after + limit)
    const next = `<${origin}/api/v1/logs?limit=${limit}&after=${after + page.length}>; rel="next"`
    res.writeHead(200, { 'content-type': 'application/json', link: next }).end(JSON.stringify(page))
  })
  const origin = await listen(server)
  return {
    spec: { kind: 'http-log-api', url: `${origin}/api/v1/logs?limit={limit}`, next: 'link', mapping: RAW_MAPPING },
    async write(from, count) {
      const now = Date.now()
      for (let i = from; i < from + count; i++) log.push(rawAudit(i, now))
    },
    close: () => closeServer(server),
  }
}
