/**
 * The example's audit sinks (targets/examples/agent-tools/lib/audit-sink.ts, README "Audit sinks"):
 * each form writes every record it is given and nothing else, flaw `denies-not-logged` drops the
 * deny records in every form, and a component started with a sink has its records out by the time
 * SIGTERM has stopped it.
 *
 * PostgreSQL: a throwaway server started here (skipped, with a message, without the binaries).
 * OTLP: a stand-in receiver on loopback capturing what the real OpenTelemetry exporters send.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { AuditLog, type AuditRecord } from '../../../../targets/examples/agent-tools/lib/audit-log.ts'
import { HttpApiSink } from '../../../../targets/examples/agent-tools/lib/audit-http-api.ts'
import { OtlpSink } from '../../../../targets/examples/agent-tools/lib/audit-otlp.ts'
import { PostgresSink } from '../../../../targets/examples/agent-tools/lib/audit-postgres.ts'
import { openAuditLog } from '../../../../targets/examples/agent-tools/lib/audit-sink.ts'
import { sampleRecords, TRACE } from './helpers/audit-samples.ts'
import { freePort } from './helpers/deployment.ts'
import { rawLogRecords, startOtlpCapture } from './helpers/otlp-capture.ts'
import { postgresForFile } from '../../../helpers/postgres.ts'

const EXAMPLE = path.resolve(import.meta.dirname, '../../../../targets/examples/agent-tools')
const API_TOKEN = 'audit-api-token-for-tests-0123456789'
const SECRET = 'otlp-secret-for-tests-0123456789'
const postgres = postgresForFile('audit-sinks.test.ts')
const HAS_PG = postgres.available

let tmp = ''
beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'agent-tools-sinks-'))
}, 60_000)
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true })
})

/** process.env for the OpenTelemetry exporter, which reads it when constructed; the old values come back after */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  Object.assign(process.env, vars)
  try {
    return await fn()
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const allowedOnly = (rs: AuditRecord[]) => rs.filter((r) => r.outcome === 'allowed')

describe.skipIf(!HAS_PG)('postgres sink', () => {
  const rows = async (table: string) => {
    const c = new pg.Client({ connectionString: postgres.server().superuserUrl() })
    await c.connect()
    try {
      return (await c.query(`SELECT * FROM ${table} ORDER BY id`)).rows
    } finally {
      await c.end()
    }
  }

  test('three components creating the table at once all start, and every record becomes one row', async () => {
    const sinks = await Promise.all(['agent-tools-as', 'agent-tools-rs', 'agent-tools-rs'].map(() => PostgresSink.open(postgres.server().superuserUrl(), 'race_audit')))
    const logs = sinks.map((s) => new AuditLog(s))
    const samples = sampleRecords()
    // 60 records over three pools of four connections: they commit in whatever order
    for (let i = 0; i < 20; i++) logs.forEach((l, j) => l.write({ ...samples[(i + j) % 3], request_id: `req-${j}-${i}` }))
    await Promise.all(logs.map((l) => l.close()))
    const got = await rows('race_audit')
    expect(got).toHaveLength(60)
    expect(new Set(got.map((r) => r.request_id)).size).toBe(60)
    const exchange = got.find((r) => r.request_id === 'req-0-0')
    expect(exchange).toMatchObject({ service: 'agent-tools-as', outcome: 'allowed', http_status: 200, user_id: 'user_1', client_id: 'client_child', delegation: ['client_child', 'client_parent'], trace_id: TRACE, facts: samples[0].facts })
    expect((exchange.occurred_at as Date).toISOString()).toBe(samples[0].time)
    expect(exchange.recorded_at).toBeInstanceOf(Date)
  })

  test('denies-not-logged: the deny records never reach the table', async () => {
    const log = new AuditLog(await PostgresSink.open(postgres.server().superuserUrl(), 'flaw_audit'), { dropDenies: true })
    for (const r of sampleRecords()) log.write(r)
    await log.close()
    expect((await rows('flaw_audit')).map((r) => r.why)).toEqual(allowedOnly(sampleRecords()).map((r) => r.why))
  })

  test('an insert that fails is said on stderr, not lost silently', async () => {
    const sink = await PostgresSink.open(postgres.server().superuserUrl(), 'dropped_audit')
    const c = new pg.Client({ connectionString: postgres.server().superuserUrl() })
    await c.connect()
    await c.query('DROP TABLE dropped_audit')
    await c.end()
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      sink.write(sampleRecords()[0])
      await sink.close()
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/audit: insert failed, record lost \(42P01: relation "dropped_audit" does not exist\)/)
    } finally {
      stderr.mockRestore()
    }
  })

  test('a database it cannot reach stops the component at start, without the connection string in the message', async () => {
    const url = `postgres://someone:pw-not-to-print@127.0.0.1:${await freePort()}/nowhere`
    const err = await PostgresSink.open(url, 'agent_tools_audit').then(() => null, (e: Error) => e)
    expect(err?.message).toMatch(/cannot create or reach table agent_tools_audit/)
    expect(err?.message).not.toContain('pw-not-to-print')
  })
})

describe('otlp sink', () => {
  test('http/json: one log record per decision, with the secret header, the attributes, the trace as its own context and service.name', async () => {
    const cap = await startOtlpCapture()
    try {
      const log = await withEnv({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: cap.endpoint, OTEL_EXPORTER_OTLP_LOGS_HEADERS: `x-gatecrash-secret=${SECRET}`, OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json' }, async () => new AuditLog(await OtlpSink.open('agent-tools-as', process.env)))
      const [exchange, refused] = sampleRecords()
      log.write(exchange)
      log.write(refused)
      // exported by the batch processor's short delay, before any flush
      for (let i = 0; i < 40 && cap.exports.length === 0; i++) await sleep(50)
      expect(cap.exports.length).toBeGreaterThan(0)
      await log.close()

      expect(cap.exports[0].headers['x-gatecrash-secret']).toBe(SECRET)
      expect(cap.exports[0].headers['content-type']).toBe('application/json')
      const raw = cap.exports.flatMap((e) => rawLogRecords(JSON.parse(e.body.toString('utf8'))))
      expect(raw).toHaveLength(2)
      expect(raw[0]).toMatchObject({
        time: exchange.time,
        body: 'authorization decision',
        event_name: 'agent_tools.decision',
        severity_text: 'INFO',
        trace_id: TRACE,
        span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
        resource: { 'service.name': 'agent-tools-as' },
        scope: { name: 'agent-tools.audit' },
      })
      expect(raw[0].attributes).toEqual({
        'http.request.method': 'POST',
        'url.path': '/token',
        'http.response.status_code': 200,
        'enduser.id': 'user_1',
        'agent_tools.outcome': 'allowed',
        'agent_tools.why': 'ok',
        'agent_tools.user_kind': 'human',
        'agent_tools.client_id': 'client_child',
        'agent_tools.delegation': ['client_child', 'client_parent'],
        'agent_tools.key_thumbprint': exchange.key_thumbprint,
        'agent_tools.audience': 'http://127.0.0.1:8100',
        'agent_tools.tool': 'token.exchange',
        'agent_tools.tenant': 't_1',
        'agent_tools.scopes_needed': ['tickets:read'],
        'agent_tools.scopes_held': ['tickets:read', 'customers:read'],
        'agent_tools.request_id': 'req-1',
        'agent_tools.token_id': 'jti-issued-1',
        'agent_tools.token_sha256': exchange.token_sha256,
        'agent_tools.subject_token_sha256': exchange.subject_token_sha256,
        'agent_tools.facts': exchange.facts,
      })
      // no trace: no trace context; nulls are left out, not sent as empty values
      expect(raw[1]).toMatchObject({ severity_text: 'WARN', trace_id: undefined })
      expect(Object.keys(raw[1].attributes as object)).not.toContain('enduser.id')
    } finally {
      await cap.close()
    }
  })

  test('http/protobuf (the default), gzip: protobuf content carrying the trace id and attributes', async () => {
    const cap = await startOtlpCapture()
    try {
      const log = await withEnv({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: cap.endpoint, OTEL_EXPORTER_OTLP_LOGS_HEADERS: `x-gatecrash-secret=${SECRET}`, OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: '', OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: 'gzip' }, async () => new AuditLog(await OtlpSink.open('agent-tools-rs', process.env)))
      log.write(sampleRecords()[0])
      await log.close()
      expect(cap.exports).toHaveLength(1)
      const [e] = cap.exports
      expect(e.headers['content-type']).toBe('application/x-protobuf')
      expect(e.headers['content-encoding']).toBe('gzip')
      expect(e.headers['x-gatecrash-secret']).toBe(SECRET)
      expect(e.body.length).toBeGreaterThan(100)
      expect(e.body.includes(Buffer.from(TRACE, 'hex'))).toBe(true)
      expect(e.body.includes(Buffer.from('agent_tools.outcome'))).toBe(true)
      expect(e.body.includes(Buffer.from('agent-tools-rs'))).toBe(true)
    } finally {
      await cap.close()
    }
  })

  test('denies-not-logged: only the allowed decisions are exported', async () => {
    const cap = await startOtlpCapture()
    try {
      const log = await withEnv({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: cap.endpoint, OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json' }, async () => new AuditLog(await OtlpSink.open('agent-tools-rs', process.env), { dropDenies: true }))
      for (const r of sampleRecords()) log.write(r)
      await log.close()
      const raw = cap.exports.flatMap((e) => rawLogRecords(JSON.parse(e.body.toString('utf8'))))
      expect(raw.map((r) => (r.attributes as Record<string, unknown>)['agent_tools.why'])).toEqual(allowedOnly(sampleRecords()).map((r) => r.why))
    } finally {
      await cap.close()
    }
  })

  test('a protocol it does not speak stops the component at start', async () => {
    await expect(OtlpSink.open('agent-tools-as', { OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc' })).rejects.toThrow(/'http\/protobuf' \(default\) or 'http\/json'/)
  })
})

describe('http-api sink', () => {
  const open = (file: string, rate = 1_000) => HttpApiSink.open({ file, port: 0, token: API_TOKEN, ratePerSecond: rate })
  const get = (url: string, token: string | null = API_TOKEN) => fetch(url, { headers: token === null ? {} : { authorization: `Bearer ${token}` } })
  const nextOf = (r: Response) => /^<([^>]+)>; rel="next"$/.exec(r.headers.get('link') ?? '')?.[1]

  test('pages by an RFC 8288 next link (always there, for polling); each event has its own id, the same after a restart', async () => {
    const file = path.join(tmp, 'paging.jsonl')
    let sink = await open(file)
    const log = new AuditLog(sink)
    const samples = [...sampleRecords(), ...sampleRecords()]
    for (const r of samples) log.write(r)

    const seen: Record<string, unknown>[] = []
    let url: string | undefined = `${sink.origin}/audit/events?limit=4`
    for (let pages = 0; pages < 5; pages++) {
      const r = await get(url!)
      expect(r.status).toBe(200)
      const page = (await r.json()) as Record<string, unknown>[]
      const next = nextOf(r)
      expect(next).toMatch(new RegExp(`^${sink.origin}/audit/events\\?after=\\d+&limit=4$`))
      if (page.length === 0) {
        // nothing new: the same cursor again
        expect(next).toBe(url)
        break
      }
      seen.push(...page)
      url = next
    }
    expect(seen.map(({ event_id, ...rec }) => rec)).toEqual(samples)
    const ids = seen.map((e) => e.event_id)
    expect(new Set(ids).size).toBe(6)

    // polling: a record written later is on the page the last link names
    log.write(samples[0])
    const later = await get(url!)
    expect(((await later.json()) as unknown[]).length).toBe(1)
    await log.close()

    // restart: rebuilt from the file, same ids, the cursor still valid
    sink = await open(file)
    const again = (await (await get(`${sink.origin}/audit/events?limit=100`)).json()) as Record<string, unknown>[]
    expect(again.map((e) => e.event_id).slice(0, 6)).toEqual(ids)
    expect(again).toHaveLength(7)
    // the file stays a JSON-lines audit log: one record per line, with its id
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(7)
    await sink.close()
  })

  test('refuses without the bearer token (401), an unknown cursor (400), other paths (404)', async () => {
    const sink = await open(path.join(tmp, 'auth.jsonl'))
    try {
      const none = await get(`${sink.origin}/audit/events`, null)
      expect(none.status).toBe(401)
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="audit"')
      expect((await get(`${sink.origin}/audit/events`, 'wrong-token-0123456789')).status).toBe(401)
      expect((await get(`${sink.origin}/audit/events?after=99`)).status).toBe(400)
      expect((await get(`${sink.origin}/audit/events?limit=0`)).status).toBe(400)
      expect((await get(`${sink.origin}/audit/other`)).status).toBe(404)
      expect((await get(`${sink.origin}/audit/events`)).status).toBe(200)
    } finally {
      await sink.close()
    }
  })

  test('above its rate, 429 with Retry-After: 1', async () => {
    const sink = await open(path.join(tmp, 'rate.jsonl'), 3)
    try {
      // ten at once span at most two one-second windows: at most six pass
      const statuses = await Promise.all(Array.from({ length: 10 }, () => get(`${sink.origin}/audit/events`)))
      const limited = statuses.filter((r) => r.status === 429)
      expect(limited.length).toBeGreaterThanOrEqual(4)
      for (const r of limited) expect(r.headers.get('retry-after')).toBe('1')
      expect(statuses.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1)
    } finally {
      await sink.close()
    }
  })

  test('denies-not-logged: the API serves only the allowed decisions', async () => {
    const sink = await open(path.join(tmp, 'flaw.jsonl'))
    const log = new AuditLog(sink, { dropDenies: true })
    for (const r of sampleRecords()) log.write(r)
    const page = (await (await get(`${sink.origin}/audit/events`)).json()) as AuditRecord[]
    expect(page.map((r) => r.why)).toEqual(allowedOnly(sampleRecords()).map((r) => r.why))
    await log.close()
  })
})

test('jsonl (the default) with denies-not-logged writes only the allowed decisions', async () => {
  const file = path.join(tmp, 'default.jsonl')
  const log = await openAuditLog({}, { service: 'agent-tools-rs', file, dropDenies: true })
  for (const r of sampleRecords()) log.write(r)
  await log.close()
  expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))).toEqual(allowedOnly(sampleRecords()))
})

test('an unknown sink stops the component at start', async () => {
  await expect(openAuditLog({ EXAMPLE_AUDIT_SINK: 'kafka' }, { service: 'x', file: '-', dropDenies: false })).rejects.toThrow(/EXAMPLE_AUDIT_SINK is 'kafka': one of jsonl, postgres, otlp, http-api/)
})

/**
 * A resource server started with a sink, one refused call, SIGTERM at once: the record is out
 * (the async sinks flushed) and the process exited 0. Its refusals need no AS.
 */
describe('a component with each sink, stopped by SIGTERM right after a decision', () => {
  interface Hooks {
    ready?: () => Promise<void>
    decided?: (stdout: string) => Promise<void>
    /** after SIGTERM, before the exit is awaited */
    terminating?: () => Promise<void>
  }

  /** `calls` refused calls (one decision each), then SIGTERM */
  async function oneDecision(env: Record<string, string>, hooks: Hooks = {}, calls = 1) {
    const port = await freePort()
    const proc = spawn(process.execPath, [path.join(EXAMPLE, 'rs/main.ts')], {
      env: { PATH: process.env.PATH ?? '', EXAMPLE_AS_ISSUER: `http://127.0.0.1:${await freePort()}`, EXAMPLE_RS_PORT: String(port), EXAMPLE_RS_AUDIT_LOG: path.join(tmp, `rs-${port}.jsonl`), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    proc.stdout!.on('data', (c: Buffer) => (out += c))
    proc.stderr!.on('data', (c: Buffer) => (out += c))
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
    try {
      for (let i = 0; i < 200 && !/^ready /m.test(out); i++) {
        if (proc.exitCode !== null) throw new Error(`rs exited:\n${out}`)
        await sleep(50)
      }
      expect(out).toMatch(/^ready /m)
      await hooks.ready?.()
      for (let i = 0; i < calls; i++) {
        const r = await fetch(`http://127.0.0.1:${port}/t/t_1/tickets/ticket_1`, { headers: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` } })
        expect(r.status).toBe(401)
      }
      await hooks.decided?.(out)
      proc.kill('SIGTERM')
      await hooks.terminating?.()
      expect(await exited).toBe(0)
      return out
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL')
    }
  }

  // An insert already sent commits even if the process is gone: eight decisions against a pool of
  // four connections leave four waiting in the process, which only the flush at SIGTERM writes.
  test.skipIf(!HAS_PG)('postgres (eight inserts held up by a lock until after SIGTERM)', async () => {
    const c = new pg.Client({ connectionString: postgres.server().superuserUrl() })
    await c.connect()
    await oneDecision(
      { EXAMPLE_AUDIT_SINK: 'postgres', EXAMPLE_AUDIT_PG_URL: postgres.server().superuserUrl(), EXAMPLE_AUDIT_PG_TABLE: 'process_audit' },
      {
        ready: async () => {
          await c.query('BEGIN')
          await c.query('LOCK TABLE process_audit IN ACCESS EXCLUSIVE MODE')
        },
        terminating: async () => {
          await sleep(300)
          await c.query('COMMIT')
        },
      },
      8,
    )
    const { rows } = await c.query('SELECT service, outcome, why, trace_id FROM process_audit')
    await c.end()
    expect(rows).toEqual(Array(8).fill({ service: 'agent-tools-rs', outcome: 'denied', why: 'auth.missing', trace_id: TRACE }))
  })

  test('otlp', async () => {
    const cap = await startOtlpCapture()
    try {
      await oneDecision({ EXAMPLE_AUDIT_SINK: 'otlp', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: cap.endpoint, OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json' })
      const raw = cap.exports.flatMap((e) => rawLogRecords(JSON.parse(e.body.toString('utf8'))))
      expect(raw).toMatchObject([{ trace_id: TRACE, resource: { 'service.name': 'agent-tools-rs' }, attributes: { 'agent_tools.why': 'auth.missing' } }])
    } finally {
      await cap.close()
    }
  })

  test('http-api', async () => {
    const apiPort = await freePort()
    await oneDecision(
      { EXAMPLE_AUDIT_SINK: 'http-api', EXAMPLE_AUDIT_API_PORT: String(apiPort), EXAMPLE_AUDIT_API_TOKEN: API_TOKEN },
      {
        decided: async (stdout) => {
          expect(stdout).toContain(`audit-api http://127.0.0.1:${apiPort}/audit/events`)
          expect(stdout).not.toContain(API_TOKEN)
          const events = (await (await get(`http://127.0.0.1:${apiPort}/audit/events`)).json()) as AuditRecord[]
          expect(events).toMatchObject([{ service: 'agent-tools-rs', why: 'auth.missing', trace: TRACE, event_id: expect.any(String) }])
        },
      },
    )
  })
})

async function get(url: string): Promise<Response> {
  return fetch(url, { headers: { authorization: `Bearer ${API_TOKEN}` } })
}
