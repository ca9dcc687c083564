/**
 * The four agent-tools profiles read one record four ways (targets/examples/agent-tools/
 * evidence-mappings.ts): the same AuditRecords written through each sink and read back in the raw
 * form each evidence source gets (a table row, an OTLP log record, the log API's JSON) must map to
 * the same evidence record the JSON-lines mapping makes of the line, field for field.
 *
 * The OTLP receiver is built elsewhere: its raw shape comes from a stand-in converter
 * (helpers/otlp-capture.ts). A PostgreSQL row's timestamptz arrives from pg as a Date; the source
 * is assumed to hand it to the mapping as RFC 3339 text.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { compileMapping } from '../../../../harness/evidence/mapping.ts'
import { ProblemLog } from '../../../../harness/evidence/problems.ts'
import { httpLogApiMapping, jsonlMapping, otlpMapping, postgresMapping } from '../../../../targets/examples/agent-tools/evidence-mappings.ts'
import { AuditLog, type AuditRecord } from '../../../../targets/examples/agent-tools/lib/audit-log.ts'
import { HttpApiSink } from '../../../../targets/examples/agent-tools/lib/audit-http-api.ts'
import { OtlpSink } from '../../../../targets/examples/agent-tools/lib/audit-otlp.ts'
import { PostgresSink } from '../../../../targets/examples/agent-tools/lib/audit-postgres.ts'
import { sampleRecords } from './helpers/audit-samples.ts'
import { rawLogRecords, startOtlpCapture } from './helpers/otlp-capture.ts'
import { postgresForFile } from '../../../helpers/postgres.ts'

const postgres = postgresForFile('audit-mappings.test.ts')
const HAS_PG = postgres.available

/** Applies a profile's mapping; any record it cannot map fails the test with the reason. */
function mapAll(spec: unknown, raws: unknown[]) {
  const problems = new ProblemLog()
  const mapping = compileMapping(spec, { file: 'targets/examples/agent-tools/evidence-mappings.ts', key: 'evidence.mapping' })
  const out = raws.map((raw, i) => mapping.apply(raw, { line: i + 1, id: `pos-${i + 1}` }, problems))
  expect(problems.snapshot()).toEqual({ unmapped: 0, examples: [], warnings: [] })
  // the id is the source's business (position, or the log API's event id): everything else must agree
  return out.map((r) => {
    expect(r).not.toBeNull()
    const { id: _id, ...rest } = r!
    return rest
  })
}

/** what gatecrash makes of the example's JSON lines: the reference */
const expected = (records: AuditRecord[]) => mapAll(jsonlMapping, records.map((r) => JSON.parse(JSON.stringify(r))))

let tmp = ''
beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'agent-tools-mappings-'))
}, 60_000)
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true })
})

describe('every profile maps a record to what the JSON-lines profile makes of it', () => {
  test('the JSON-lines mapping itself keeps every field the record has (the reference is not empty)', () => {
    const [exchange] = expected(sampleRecords())
    expect(exchange).toMatchObject({
      ts: '2026-03-01T10:00:00.007Z',
      component: 'agent-tools-as',
      decision: 'allow',
      reason: 'ok',
      status: 200,
      principal: { sub: 'user_1', type: 'user' },
      client_id: 'client_child',
      actors: ['client_child', 'client_parent'],
      key: { jkt: expect.any(String) },
      resource: { aud: 'http://127.0.0.1:8100', method: 'POST', path: '/token', tool: 'token.exchange', tenant: 't_1' },
      scope: { required: ['tickets:read'], held: ['tickets:read', 'customers:read'] },
      correlation: { trace_id: expect.any(String), request_id: 'req-1', token_jti: 'jti-issued-1', token_hash: expect.any(String), parent_token_hash: expect.any(String) },
      detail: { facts: sampleRecords()[0].facts },
    })
  })

  test.skipIf(!HAS_PG)('postgres: a row of the table', async () => {
    const records = sampleRecords()
    const log = new AuditLog(await PostgresSink.open(postgres.server().superuserUrl(), 'mapping_audit'))
    for (const r of records) log.write(r)
    await log.close()
    const c = new pg.Client({ connectionString: postgres.server().superuserUrl() })
    await c.connect()
    // the pool commits concurrent inserts in any order: the samples' own times order them
    const { rows } = await c.query('SELECT * FROM mapping_audit ORDER BY occurred_at')
    await c.end()
    const raw = rows.map((row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])))
    expect(mapAll(postgresMapping, raw)).toEqual(expected(records))
  })

  test('otlp-logs: an OTLP log record, one exporter per service as the components have', async () => {
    const records = sampleRecords()
    const cap = await startOtlpCapture()
    const saved = { endpoint: process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, protocol: process.env.OTEL_EXPORTER_OTLP_LOGS_PROTOCOL }
    try {
      process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT = cap.endpoint
      process.env.OTEL_EXPORTER_OTLP_LOGS_PROTOCOL = 'http/json'
      const logs = new Map<string, AuditLog>()
      for (const service of new Set(records.map((r) => r.service))) logs.set(service, new AuditLog(await OtlpSink.open(service, process.env)))
      for (const r of records) logs.get(r.service)!.write(r)
      for (const l of logs.values()) await l.close()
      // two exporters, so two requests in either order: the samples' own times order them
      const raw = cap.exports.flatMap((e) => rawLogRecords(JSON.parse(e.body.toString('utf8')))).sort((a, b) => String(a.time).localeCompare(String(b.time)))
      expect(mapAll(otlpMapping, raw)).toEqual(expected(records))
    } finally {
      for (const [k, v] of [['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', saved.endpoint], ['OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', saved.protocol]] as const) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
      await cap.close()
    }
  })

  test('http-log-api: an event of the log API, whose event_id becomes the evidence id', async () => {
    const records = sampleRecords()
    const sink = await HttpApiSink.open({ file: path.join(tmp, 'api.jsonl'), port: 0, token: 'mapping-test-token-0123456789', ratePerSecond: 100 })
    const log = new AuditLog(sink)
    for (const r of records) log.write(r)
    const events = (await (await fetch(`${sink.origin}/audit/events?limit=10`, { headers: { authorization: 'Bearer mapping-test-token-0123456789' } })).json()) as Record<string, unknown>[]
    await log.close()
    expect(mapAll(httpLogApiMapping, events)).toEqual(expected(records))
    const problems = new ProblemLog()
    const first = compileMapping(httpLogApiMapping, { file: 'x', key: 'evidence.mapping' }).apply(events[0], { line: 1, id: 'pos-1' }, problems)
    expect(first?.id).toBe(events[0].event_id)
  })
})
