/**
 * The OTLP logs evidence source, at the wire: the secret (401, counted, nothing stored), malformed
 * requests (bad JSON, bad protobuf, bad gzip: 400 and a problem on the next page), other content
 * types, paths and bodies over the bound (a gzip bomb), the raw object the mapping reads from
 * OTLP/JSON as the spec allows it (int64 as strings or numbers, enums as numbers), records the
 * mapping cannot use (acknowledged and counted), exact repeats stored once, cursors and ids, the
 * secret from the environment, and the source as open-source.ts builds it.
 */
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, test } from 'vitest'
import type { EvidenceMappingSpec, MappingFields } from '../../../harness/contracts/evidence-mapping.ts'
import type { EvidenceProblems } from '../../../harness/contracts/evidence-source.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { openEvidenceSource } from '../../../harness/evidence/open-source.ts'
import { otlpLogsSource, type OtlpLogsSource, type OtlpLogsSourceOptions } from '../../../harness/evidence/otlp-source.ts'
import { mergeProblems } from '../../../harness/evidence/problems.ts'

const FIELDS: MappingFields = {
  ts: 'time',
  decision: 'attributes.audit.decision',
  reason: 'attributes.audit.reason',
  status: 'attributes.http.response.status_code',
  component: 'resource.service.name',
  'correlation.request_id': 'attributes.request.id',
}

const sources: OtlpLogsSource[] = []
afterEach(async () => {
  for (const s of sources.splice(0)) await s.close()
})

async function open(mapping: EvidenceMappingSpec = { fields: FIELDS }, options: OtlpLogsSourceOptions = {}, extra: { secretEnv?: string; port?: number } = {}) {
  const source = otlpLogsSource({ kind: 'otlp-logs', mapping, ...extra }, options)
  sources.push(source)
  const env = await source.exportEnv!()
  const secret = decodeURIComponent(env.OTEL_EXPORTER_OTLP_LOGS_HEADERS.split('=')[1])
  return { source, url: env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, secret }
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'

/** one OTLP/JSON log record as the spec spells it: ids in hex, int64 as a string or a number, enums as numbers */
function logRecord(n: number, over: Record<string, unknown> = {}) {
  return {
    timeUnixNano: String(1796564100000000000n + BigInt(n) * 1_000_000n),
    observedTimeUnixNano: 1796564100500000000 + n,
    severityNumber: 13,
    severityText: 'WARN',
    body: { stringValue: `refused ${n}` },
    traceId: TRACE,
    spanId: SPAN,
    attributes: [
      { key: 'audit.decision', value: { stringValue: 'deny' } },
      { key: 'audit.reason', value: { stringValue: 'scope.insufficient' } },
      { key: 'http.response.status_code', value: { intValue: n % 2 ? '403' : 403 } },
      { key: 'request.id', value: { stringValue: `r${n}` } },
    ],
    ...over,
  }
}

function request(records: unknown[]) {
  return {
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent-gateway' } }, { key: 'deployment.environment', value: { stringValue: 'test' } }] },
      scopeLogs: [{ scope: { name: 'audit', version: '1.2.0' }, logRecords: records }],
    }],
  }
}

async function post(url: string, body: string | Uint8Array, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body, headers })
  const type = res.headers.get('content-type')
  const buf = Buffer.from(await res.arrayBuffer())
  return { status: res.status, type, body: type === 'application/json' ? JSON.parse(buf.toString()) : buf, retryAfter: res.headers.get('retry-after') }
}

const json = (secret: string, extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', 'x-gatecrash-secret': secret, ...extra })

async function readAll(source: OtlpLogsSource, after: string | null = null) {
  const records: EvidenceRecord[] = []
  let cursor: string | null = after
  let problems: EvidenceProblems = { unmapped: 0, examples: [], warnings: [] }
  for await (const page of source.pages(after)) {
    records.push(...page.records)
    cursor = page.cursor
    problems = mergeProblems(problems, page.problems!)
  }
  return { records, cursor, problems, rids: records.map((r) => r.correlation.request_id) }
}

describe('the secret', () => {
  test('an export without it or with the wrong one is answered 401, stored nowhere, counted, and said once', async () => {
    const { source, url, secret } = await open()
    const body = JSON.stringify(request([logRecord(1)]))
    const none = await post(url, body, { 'content-type': 'application/json' })
    const wrong = await post(url, body, json(`${secret}x`))
    const prefix = await post(url, body, json(secret.slice(0, 10)))
    for (const r of [none, wrong, prefix]) expect(r).toMatchObject({ status: 401, body: { code: 16, message: "an export must carry the run's x-gatecrash-secret header" } })
    expect(JSON.stringify([none, wrong, prefix])).not.toContain(secret)
    expect(source.receiver.stats).toMatchObject({ unauthorized: 3, exports: 0, records: 0 })
    const read = await readAll(source)
    expect(read.records).toEqual([])
    expect(read.problems).toEqual({ unmapped: 0, examples: [], warnings: ["OTLP exports without the run's x-gatecrash-secret were refused (401) and not stored"] })
    expect((await post(url, body, json(secret))).status).toBe(200)
    expect((await readAll(source, read.cursor)).rids).toEqual(['r1'])
  })

  test('from secretEnv: that secret, sent percent-encoded in the headers variable; a fresh one per source otherwise', async () => {
    process.env.GATECRASH_TEST_OTLP_SECRET = 's3cret,with=odd%chars'
    try {
      const { url, secret } = await open({ fields: FIELDS }, {}, { secretEnv: 'GATECRASH_TEST_OTLP_SECRET' })
      expect(secret).toBe('s3cret,with=odd%chars')
      expect((await post(url, JSON.stringify(request([])), json(secret))).status).toBe(200)
    } finally {
      delete process.env.GATECRASH_TEST_OTLP_SECRET
    }
    const a = await open()
    const b = await open()
    expect(a.secret).toMatch(/^[\w-]{43}$/)
    expect(a.secret).not.toBe(b.secret)
    expect((await post(b.url, JSON.stringify(request([])), json(a.secret))).status).toBe(401)
  })

  test('secretEnv naming an unset variable is a coded error naming the variable, not the value', () => {
    delete process.env.GATECRASH_TEST_OTLP_UNSET
    expect(() => otlpLogsSource({ kind: 'otlp-logs', secretEnv: 'GATECRASH_TEST_OTLP_UNSET', mapping: { fields: FIELDS } }, { declaredIn: 'targets/acme.ts' })).toThrow(
      expect.objectContaining({
        code: 'ERR_EVIDENCE_MAPPING',
        file: 'targets/acme.ts',
        key: 'evidence.secretEnv',
        message: 'targets/acme.ts: `evidence.secretEnv` names GATECRASH_TEST_OTLP_UNSET, which is not set',
        hint: expect.stringContaining('set GATECRASH_TEST_OTLP_UNSET to the secret'),
      }),
    )
  })
})

describe('requests that are not OTLP', () => {
  test.each([
    ['bad JSON', 'application/json', () => Buffer.from('{"resourceLogs": [ {'), {}, 'not valid JSON (UTF-8)'],
    ['JSON of the wrong shape', 'application/json', () => Buffer.from('{"resourceLogs": {"a": 1}}'), {}, 'resourceLogs is not a list'],
    ['garbage protobuf', 'application/x-protobuf', () => Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), {}, 'not an ExportLogsServiceRequest in protobuf'],
    ['bad gzip', 'application/json', () => Buffer.from('certainly not gzip'), { 'content-encoding': 'gzip' }, 'not valid gzip (Z_DATA_ERROR)'],
  ] as const)('%s: 400 with a Status in its encoding, and a problem on the next page', async (_name, type, body, headers, why) => {
    const { source, url, secret } = await open()
    const res = await post(url, body(), { ...json(secret), 'content-type': type, ...headers })
    expect(res.status).toBe(400)
    expect(res.type).toBe(type)
    if (type === 'application/json') expect(res.body).toEqual({ code: 3, message: expect.stringContaining(`malformed OTLP request: ${why}`) })
    else expect(res.body.toString('latin1')).toContain(`malformed OTLP request: ${why}`)
    expect(source.receiver.stats.malformed).toBe(1)
    const read = await readAll(source)
    expect(read.records).toEqual([])
    expect(read.problems.unmapped).toBe(1)
    expect(read.problems.examples).toEqual([expect.stringMatching(new RegExp(`^malformed OTLP request \\(answered 400, not retried by the sender: its log records are lost\\): ${why.replace(/[()]/g, '\\$&')}`))])
    // the problem rides with the cursor: read after it, it is not counted again
    expect((await readAll(source, read.cursor)).problems.unmapped).toBe(0)
  })

  test('another content type 415, another path 404, a GET 405; none stored or counted as a problem', async () => {
    const { source, url, secret } = await open()
    expect((await post(url, 'x', { ...json(secret), 'content-type': 'text/plain' })).status).toBe(415)
    expect((await post(url, 'x', json(secret, { 'content-encoding': 'br' }))).status).toBe(415)
    expect((await post(url.replace('/v1/logs', '/v1/traces'), '{}', json(secret))).status).toBe(404)
    expect((await fetch(url, { headers: { 'x-gatecrash-secret': secret } })).status).toBe(405)
    expect(source.receiver.stats).toMatchObject({ unsupported: 2, exports: 0 })
    expect(await readAll(source)).toMatchObject({ records: [], problems: { unmapped: 0 } })
  })

  test('a gzip bomb stops inflating at the bound: 413, and the loss is a problem', async () => {
    const { source, url, secret } = await open({ fields: FIELDS }, { maxBodyBytes: 1024 * 1024 })
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20))
    expect(bomb.length).toBeLessThan(64 * 1024)
    const res = await post(url, bomb, json(secret, { 'content-encoding': 'gzip' }))
    expect(res).toMatchObject({ status: 413, body: { code: 8, message: 'the body is over 1048576 bytes (after inflating): send smaller batches' } })
    const big = await post(url, Buffer.alloc(2 * 1024 * 1024, 0x20), json(secret))
    expect(big.status).toBe(413)
    expect(source.receiver.stats.tooLarge).toBe(2)
    expect((await readAll(source)).problems).toMatchObject({ unmapped: 2, examples: ['OTLP request over 1048576 bytes (answered 413): its log records are lost', 'OTLP request over 1048576 bytes (answered 413): its log records are lost'] })
  })
})

describe('what the mapping reads', () => {
  test('each log record as one object: times as ISO, ids as hex, AnyValues unwrapped, resource and scope beside it', async () => {
    const seen: unknown[] = []
    const { url, secret, source } = await open({ fields: FIELDS, map: (raw) => (seen.push(raw), {}) })
    const one = logRecord(1, {
      eventName: 'tool.call',
      body: { kvlistValue: { values: [{ key: 'tool', value: { stringValue: 'files.read' } }, { key: 'args', value: { arrayValue: { values: [{ intValue: 7 }, { doubleValue: 1.5 }, { boolValue: true }, { bytesValue: 'AQI=' }, {}] } } }] } },
      attributes: [...logRecord(1).attributes, { key: 'big', value: { intValue: '9007199254740993' } }],
    })
    const res = await post(url, JSON.stringify(request([one, logRecord(2, { timeUnixNano: '0', traceId: '', spanId: '00000000' })])), json(secret))
    expect(res).toMatchObject({ status: 200, body: {} })
    expect(seen[0]).toEqual({
      time: '2026-12-06T13:35:00.001Z',
      observed_time: '2026-12-06T13:35:00.500Z',
      severity_text: 'WARN',
      severity_number: 13,
      body: { tool: 'files.read', args: [7, 1.5, true, 'AQI=', null] },
      trace_id: TRACE,
      span_id: SPAN,
      event_name: 'tool.call',
      attributes: { 'audit.decision': 'deny', 'audit.reason': 'scope.insufficient', 'http.response.status_code': 403, 'request.id': 'r1', big: '9007199254740993' },
      resource: { 'service.name': 'agent-gateway', 'deployment.environment': 'test' },
      scope: { name: 'audit', version: '1.2.0' },
    })
    // no time of its own: the observed time; no valid ids: none
    expect(seen[1]).toMatchObject({ time: '2026-12-06T13:35:00.500Z' })
    expect(seen[1]).not.toHaveProperty('trace_id')
    expect(seen[1]).not.toHaveProperty('span_id')
    const { records } = await readAll(source)
    expect(records.map((r) => [r.id, r.status, r.component, r.correlation.trace_id ?? null])).toEqual([['otlp:1', 403, 'agent-gateway', TRACE], ['otlp:2', 403, 'agent-gateway', null]])
  })

  test("correlation.trace_id: the record's own trace id unless the mapping has a rule for it", async () => {
    const own = await open()
    const ruled = await open({ fields: { ...FIELDS, 'correlation.trace_id': 'attributes.traceparent' } })
    const body = JSON.stringify(request([logRecord(1), logRecord(2, { attributes: [...logRecord(2).attributes, { key: 'traceparent', value: { stringValue: `00-${'1'.repeat(32)}-${SPAN}-01` } }] })]))
    for (const s of [own, ruled]) expect((await post(s.url, body, json(s.secret))).status).toBe(200)
    expect((await readAll(own.source)).records.map((r) => r.correlation.trace_id)).toEqual([TRACE, TRACE])
    expect((await readAll(ruled.source)).records.map((r) => r.correlation.trace_id ?? null)).toEqual([null, '1'.repeat(32)])
  })

  test('records the mapping cannot use are acknowledged (200), take their place in the sequence, and are counted', async () => {
    const { source, url, secret } = await open()
    const bad = logRecord(2, { attributes: [{ key: 'audit.decision', value: { stringValue: 'maybe' } }] })
    expect((await post(url, JSON.stringify(request([logRecord(1), bad, logRecord(3)])), json(secret))).status).toBe(200)
    const read = await readAll(source)
    expect(read.records.map((r) => r.id)).toEqual(['otlp:1', 'otlp:3'])
    expect(read.problems).toEqual({ unmapped: 1, examples: ["OTLP log record 2: decision: `attributes.audit.decision` is 'maybe', not allow or deny"], warnings: [] })
    expect(source.receiver.stats).toMatchObject({ exports: 1, records: 3 })
  })
})

describe('the log, its cursor and ids', () => {
  test('pages(after) resumes after the cursor; re-reads give the same ids; pages are bounded', async () => {
    const { source, url, secret } = await open({ fields: FIELDS }, { pageSize: 4 })
    await post(url, JSON.stringify(request(Array.from({ length: 10 }, (_, i) => logRecord(i + 1)))), json(secret))
    const pages = []
    for await (const page of source.pages(null)) pages.push(page)
    expect(pages.map((p) => [p.records.length, p.cursor])).toEqual([[4, '4'], [4, '8'], [2, '10']])
    await post(url, JSON.stringify(request([logRecord(11), logRecord(12)])), json(secret))
    const next = await readAll(source, '10')
    expect(next).toMatchObject({ rids: ['r11', 'r12'], cursor: '12' })
    expect(next.records.map((r) => r.id)).toEqual(['otlp:11', 'otlp:12'])
    expect((await readAll(source, '12')).records).toEqual([])
    const again = await readAll(source)
    expect(again.records.map((r) => r.id)).toEqual(Array.from({ length: 12 }, (_, i) => `otlp:${i + 1}`))
    expect(again.records[10]).toEqual(next.records[0])
  })

  test("a cursor this receiver never gave is refused: the log lives with the run", async () => {
    const { source } = await open()
    for (const bad of ['3', 'abc']) {
      await expect(readAll(source, bad)).rejects.toMatchObject({ code: 'ERR_EVIDENCE_UNAVAILABLE', hint: expect.stringContaining("the receiver's log lives with the run") })
    }
  })

  test('an exact repeat of a record already acknowledged (a retried export whose 200 was lost) is stored once', async () => {
    const { source, url, secret } = await open()
    const body = JSON.stringify(request([logRecord(1), logRecord(2)]))
    expect((await post(url, body, json(secret))).status).toBe(200)
    expect((await post(url, gzipSync(body), json(secret, { 'content-encoding': 'gzip' }))).status).toBe(200)
    // the same event logged again at another time is another record
    expect((await post(url, JSON.stringify(request([logRecord(1, { timeUnixNano: '1796564200000000000' })])), json(secret))).status).toBe(200)
    const read = await readAll(source)
    expect(read.rids).toEqual(['r1', 'r2', 'r1'])
    expect(read.problems.warnings).toEqual(['the sender re-sent OTLP log records the receiver had already acknowledged (a retried export whose answer was lost): each was stored once'])
    expect(source.receiver.stats).toMatchObject({ exports: 3, records: 5 })
  })
})

describe('the source', () => {
  test('open-source.ts builds it from the spec: unchained, no heads, on the given port; close() twice is safe', async () => {
    const probe = await open()
    const port = probe.source.receiver.port
    await probe.source.close()
    const source = openEvidenceSource({ kind: 'otlp-logs', port, mapping: { fields: FIELDS } }, { declaredIn: 'targets/acme.ts' }) as OtlpLogsSource
    sources.push(source)
    expect(source).toMatchObject({ kind: 'otlp-logs', integrity: 'unchained' })
    expect(source.heads).toBeUndefined()
    const env = await source.exportEnv!()
    expect(env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT).toBe(`http://127.0.0.1:${port}/v1/logs`)
    expect(env.OTEL_EXPORTER_OTLP_LOGS_HEADERS).toMatch(/^x-gatecrash-secret=[\w-]{43}$/)
    expect(await source.exportEnv!()).toEqual(env)
    await source.close()
    await source.close()
    await expect(fetch(env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, { method: 'POST' })).rejects.toThrow()
  })

  test('pages() starts the receiver when exportEnv() was not called', async () => {
    const source = otlpLogsSource({ kind: 'otlp-logs', mapping: { fields: FIELDS } })
    sources.push(source)
    expect(source.receiver.port).toBe(0)
    expect(await readAll(source)).toMatchObject({ records: [], cursor: '0' })
    expect(source.receiver.port).toBeGreaterThan(0)
  })

  test('a port already taken is a coded error with a hint', async () => {
    const taken = await open()
    const source = otlpLogsSource({ kind: 'otlp-logs', port: taken.source.receiver.port, mapping: { fields: FIELDS } })
    sources.push(source)
    await expect(source.exportEnv!()).rejects.toMatchObject({ code: 'ERR_EVIDENCE_UNAVAILABLE', message: `OTLP receiver cannot listen on 127.0.0.1:${taken.source.receiver.port}: EADDRINUSE`, hint: expect.stringContaining('another process holds the port') })
  })
})
