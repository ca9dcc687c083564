/**
 * The evidence mapping (docs/evidence-mapping.md): a deployment's own audit record → EvidenceRecord,
 * declared as data. Each rule kind, the coercions, the escape hatch, what happens to a record that
 * lacks a required field, strict validation of the spec, and that a credential never passes through.
 */
import { describe, expect, test } from 'vitest'
import type { EvidenceMappingSpec, MappingFields } from '../../../harness/contracts/evidence-mapping.ts'
import { EvidenceMappingInvalid } from '../../../harness/contracts/errors.ts'
import { compileMapping } from '../../../harness/evidence/mapping.ts'
import { ProblemLog } from '../../../harness/evidence/problems.ts'
import { tokenHash } from '../../../harness/protocol/token-hash.ts'

const WHERE = { file: 'targets/acme.ts', key: 'evidence.mapping' }
/** a JWT-shaped access token (never to appear anywhere but hashed) */
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEiLCJzY29wZSI6InRpY2tldHM6cmVhZCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU'

const BASE: MappingFields = {
  ts: 'time',
  decision: { from: 'outcome', map: { allowed: 'allow', denied: 'deny' } },
  reason: { from: 'why', default: 'ok' },
  status: 'http_status',
  component: { const: 'rs' },
}

const RAW = { time: '2026-12-06T13:35:00.098Z', outcome: 'denied', why: 'dpop.jti_replay', http_status: 401 }

function mapOne(fields: MappingFields, raw: unknown, extra: Partial<EvidenceMappingSpec> = {}) {
  const problems = new ProblemLog()
  const record = compileMapping({ fields, ...extra }, WHERE).apply(raw, { line: 17, id: 'pos-17' }, problems)
  return { record, problems: problems.snapshot() }
}

function invalid(spec: unknown): EvidenceMappingInvalid {
  try {
    compileMapping(spec, WHERE)
  } catch (e) {
    expect(e).toBeInstanceOf(EvidenceMappingInvalid)
    return e as EvidenceMappingInvalid
  }
  throw new Error('expected EvidenceMappingInvalid')
}

describe('rules', () => {
  test('a path, { from, map, default } and { const } give a record with v 1, a position id, no chain', () => {
    const { record, problems } = mapOne(BASE, RAW)
    expect(record).toEqual({
      v: 1, id: 'pos-17', ts: '2026-12-06T13:35:00.098Z', component: 'rs', decision: 'deny', reason: 'dpop.jti_replay', status: 401,
      principal: { sub: null, type: 'anonymous' }, actors: [], resource: {}, correlation: {}, prev: null, hash: '',
    })
    expect(problems).toEqual({ unmapped: 0, examples: [], warnings: [] })
  })

  test('paths reach nested objects and keys that hold dots (OpenTelemetry attributes); a list of paths takes the first present', () => {
    const { record } = mapOne(
      { ...BASE, status: 'attributes.http.response.status_code', 'principal.sub': 'user.id', 'principal.type': { const: 'user' }, 'resource.tool': { from: ['tool', 'operation.name'] }, id: 'event.id' },
      { ...RAW, attributes: { 'http.response.status_code': '403' }, user: { id: 'user_3' }, operation: { name: 'refund.issue' }, event: { id: 'evt-9' } },
    )
    expect(record).toMatchObject({ id: 'evt-9', status: 403, principal: { sub: 'user_3', type: 'user' }, resource: { tool: 'refund.issue' } })
  })

  test('value maps: a raw value the map does not name passes unchanged; null means "no value", so the default applies', () => {
    expect(mapOne(BASE, { ...RAW, outcome: 'deny' }).record?.decision).toBe('deny')
    expect(mapOne(BASE, { ...RAW, outcome: true }, {}).problems.examples).toEqual(["line 17: decision: `outcome` is true, not allow or deny"])
    const fields = { ...BASE, decision: { from: 'ok', map: { true: 'allow', false: 'deny' } }, reason: { from: 'why', map: { '-': null }, default: 'policy.unknown' } }
    expect(mapOne(fields, { ...RAW, ok: false, why: '-' }).record).toMatchObject({ decision: 'deny', reason: 'policy.unknown' })
  })

  test('default applies to absent, null and empty values', () => {
    for (const why of [undefined, null, '']) expect(mapOne(BASE, { ...RAW, outcome: 'allowed', why }).record?.reason).toBe('ok')
  })
})

describe('coercions', () => {
  const ts = (v: unknown) => mapOne(BASE, { ...RAW, time: v }).record?.ts
  test('ts from ISO (no zone is UTC; offsets; more than ms), epoch seconds, ms, µs, ns and numeric strings → ISO in UTC', () => {
    expect(ts('2026-12-06 13:35:00')).toBe('2026-12-06T13:35:00.000Z')
    expect(ts('2026-12-06T14:35:00.098765+0100')).toBe('2026-12-06T13:35:00.098Z')
    expect(ts(1796564100)).toBe('2026-12-06T13:35:00.000Z')
    expect(ts(1796564100.098)).toBe('2026-12-06T13:35:00.098Z')
    expect(ts(1796564100098)).toBe('2026-12-06T13:35:00.098Z')
    expect(ts(1796564100098765)).toBe('2026-12-06T13:35:00.098Z')
    expect(ts(1796564100098765432)).toBe('2026-12-06T13:35:00.098Z')
    expect(ts('1796564100')).toBe('2026-12-06T13:35:00.000Z')
  })

  test('status from a numeric string; trace id from a traceparent; scopes and actors from strings; actors from an RFC 8693 act claim; hashes in hex or base64', () => {
    const digest = tokenHash('some token value')
    const { record, problems } = mapOne(
      {
        ...BASE,
        'correlation.trace_id': 'traceparent',
        'scope.held': 'scope',
        'scope.required': 'needed',
        actors: 'act',
        'correlation.token_hash': 'token_sha256',
        'correlation.parent_token_hash': 'parent_sha256',
      },
      {
        ...RAW,
        http_status: '401',
        traceparent: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
        scope: 'tickets:read  refunds:write',
        needed: 'refunds:write,tickets:read',
        act: { sub: 'subagent_1', act: { sub: 'agent_1' } },
        token_sha256: Buffer.from(digest, 'base64url').toString('hex'),
        parent_sha256: Buffer.from(digest, 'base64url').toString('base64'),
      },
    )
    expect(record).toMatchObject({
      status: 401,
      actors: ['subagent_1', 'agent_1'],
      scope: { held: ['tickets:read', 'refunds:write'], required: ['refunds:write', 'tickets:read'] },
      correlation: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', token_hash: digest, parent_token_hash: digest },
    })
    expect(problems.warnings).toEqual([])
    expect(mapOne({ ...BASE, actors: 'delegation' }, { ...RAW, delegation: 'subagent_1 agent_1' }).record?.actors).toEqual(['subagent_1', 'agent_1'])
  })

  test('an optional field that cannot be used is left out, with one warning for all records like it', () => {
    const compiled = compileMapping({ fields: { ...BASE, 'correlation.trace_id': 'trace' } }, WHERE)
    const problems = new ProblemLog()
    for (const trace of ['not-a-trace', 'also not']) expect(compiled.apply({ ...RAW, trace }, { line: 1, id: 'x' }, problems)?.correlation).toEqual({})
    expect(problems.snapshot()).toEqual({ unmapped: 0, examples: [], warnings: ['`correlation.trace_id` from `trace`: values that are not a trace-id (32 hex digits) or a traceparent were left out'] })
  })
})

describe('the map() escape hatch', () => {
  test('its partial record merges over the rules and is coerced the same way; null skips the line, null on a field clears it', () => {
    const map = (raw: Record<string, unknown>) =>
      raw.kind === 'heartbeat' ? null : { principal: { sub: String(raw.who), type: 'agent' as const }, resource: { tool: 'refund.issue' }, status: '403' as unknown as number, reason: null }
    const { record } = mapOne({ ...BASE, 'resource.tool': { const: 'overridden' } }, { ...RAW, outcome: 'allowed', who: 'agent_7' }, { map })
    expect(record).toMatchObject({ principal: { sub: 'agent_7', type: 'agent' }, resource: { tool: 'refund.issue' }, status: 403, reason: 'ok' })
    expect(mapOne(BASE, { ...RAW, kind: 'heartbeat' }, { map })).toEqual({ record: null, problems: { unmapped: 0, examples: [], warnings: [] } })
  })

  test('required fields may come from map() alone; one that throws or returns an unknown field is reported', () => {
    const map = (raw: Record<string, unknown>) => {
      if (raw.bad) throw new Error(`cannot read ${JWT}`)
      return { ts: String(raw.time), decision: 'allow' as const, status: 200, component: 'gw', colour: 'red' } as never
    }
    const ok = mapOne({}, RAW, { map })
    expect(ok.record).toMatchObject({ component: 'gw', decision: 'allow', reason: 'ok', status: 200 })
    expect(ok.problems.warnings).toEqual(['map() returned `colour`, which is not a mappable field: ignored'])
    expect(mapOne({}, { ...RAW, bad: true }, { map }).problems).toEqual({ unmapped: 1, examples: ['line 17: map() threw: an error (its message looked like a credential)'], warnings: [] })
  })
})

describe('records without a required field are reported, not dropped silently', () => {
  test.each([
    [{ ...RAW, outcome: undefined }, 'line 17: decision: no `outcome`'],
    [{ ...RAW, outcome: 'maybe' }, "line 17: decision: `outcome` is 'maybe', not allow or deny"],
    [{ ...RAW, time: 'yesterday' }, "line 17: ts: `time` is 'yesterday', not a time (ISO 8601 or epoch)"],
    [{ ...RAW, http_status: 'teapot' }, "line 17: status: `http_status` is 'teapot', not an HTTP status (0–599)"],
    [[1, 2], 'line 17: not a JSON object'],
  ])('%j', (raw, example) => {
    expect(mapOne(BASE, raw)).toEqual({ record: null, problems: { unmapped: 1, examples: [example], warnings: [] } })
  })

  test('a deny needs a reason (an allow falls back to ok); a named principal needs a type (nobody is anonymous)', () => {
    const fields = { ...BASE, reason: 'why', 'principal.sub': 'user', 'principal.type': 'user_type' }
    expect(mapOne(fields, { ...RAW, why: undefined }).problems.examples).toEqual(['line 17: reason: no `why` (a deny needs a reason code; give the rule a default)'])
    expect(mapOne(fields, { ...RAW, outcome: 'allowed', why: undefined }).record?.reason).toBe('ok')
    expect(mapOne(fields, { ...RAW, user: 'user_1' }).problems.examples).toEqual(['line 17: principal.type: no `user_type` for principal user_1'])
  })
})

describe('strict validation: EvidenceMappingInvalid (ERR_EVIDENCE_MAPPING) names the file and the dotted key, with a hint', () => {
  test('an unknown target field, with a suggestion and the allowed list', () => {
    const e = invalid({ fields: { ...BASE, decison: 'outcome' } })
    expect(e).toMatchObject({ code: 'ERR_EVIDENCE_MAPPING', file: 'targets/acme.ts', key: 'evidence.mapping.fields.decison' })
    expect(e.message).toBe('targets/acme.ts: `evidence.mapping.fields.decison` is not a mappable field (did you mean `decision`?)')
    expect(e.hint).toMatch(/^allowed: id, ts, component, decision, reason, status, .*correlation\.parent_token_hash, detail\.<name>$/)
    expect(invalid({ fields: { ...BASE, trace_id: 'trace' } }).message).toMatch(/did you mean `correlation\.trace_id`\?/)
  })

  test.each([
    ['evidence.mapping.fields.status', { fields: { ...BASE, status: 200 } }, /is a number/, /\{ from, map\?, default\? \} or \{ const \}/],
    ['evidence.mapping.fields.status.form', { fields: { ...BASE, status: { form: 'code' } } }, /is not a known key/, /from, map, default/],
    ['evidence.mapping.fields.status.from', { fields: { ...BASE, status: { from: 'a..b' } } }, /is 'a..b'/, /dotted path/],
    ['evidence.mapping.fields.status.from', { fields: { ...BASE, status: { const: 200, from: 'x' } } }, /beside `const`/, /const \} alone/],
    ['evidence.mapping.fields.decision.map.denied', { fields: { ...BASE, decision: { from: 'outcome', map: { denied: 'deni' } } } }, /is 'deni'/, /allow or deny/],
    ['evidence.mapping.fields.principal.type.const', { fields: { ...BASE, 'principal.type': { const: 'robot' } } }, /is 'robot'/, /user or agent or workload or anonymous/],
    ['evidence.mapping.fields.component', { fields: { ...BASE, component: undefined } }, /is missing/, /ts, decision, status, component/],
    ['evidence.mapping.fields.policy.rule', { fields: { ...BASE, 'policy.id': 'policy' } }, /is missing beside `policy.id`/, /both policy.id and policy.rule/],
    ['evidence.mapping.map', { fields: BASE, map: 'x => x' }, /is a string/, /a function/],
    ['evidence.mapping.mapping', { fields: BASE, mapping: {} }, /is not a known key/, /fields, map/],
    ['evidence.mapping.fields.detail.auth.const', { fields: { ...BASE, 'detail.auth': { const: `Bearer ${JWT}` } } }, /looks like a credential/, /never carries one/],
  ])('%s', (key, spec, message, hint) => {
    const e = invalid(JSON.parse(JSON.stringify(spec)) as unknown)
    expect(e.key).toBe(key)
    expect(e.message).toMatch(message)
    expect(e.hint).toMatch(hint)
  })
})

describe('no raw token passes through', () => {
  test('a token in a hash field is hashed (as the DPoP ath), elsewhere dropped; each said once in a warning, never in a value or message', () => {
    const fields: MappingFields = {
      ...BASE,
      'correlation.token_hash': 'token',
      'principal.sub': 'user', 'principal.type': { const: 'user' },
      'resource.path': 'path',
      'detail.auth': 'headers',
      'correlation.request_id': 'request_id',
    }
    const raw = { ...RAW, token: `DPoP ${JWT}`, user: JWT, path: `/tickets/1?access_token=${JWT}`, headers: { authorization: `Bearer ${JWT}` }, request_id: 'req-1' }
    const { record, problems } = mapOne(fields, raw)
    expect(record).toMatchObject({ principal: { sub: null, type: 'user' }, resource: {}, correlation: { token_hash: tokenHash(JWT), request_id: 'req-1' } })
    expect(record?.detail).toBeUndefined()
    expect(problems.warnings).toEqual([
      '`principal.sub` from `user`: credential-looking values were left out',
      '`resource.path` from `path`: credential-looking values were left out',
      "`correlation.token_hash` from `token`: raw tokens were replaced by their SHA-256 hash (the deployment's log holds raw tokens)",
      '`detail.auth` from `headers`: credential-looking values were left out',
    ])
    expect(JSON.stringify({ record, problems })).not.toContain(JWT.slice(0, 30))
  })

  test('a required field holding a token makes the line unmapped without quoting it', () => {
    const { problems } = mapOne(BASE, { ...RAW, why: JWT })
    expect(problems.examples).toEqual(['line 17: reason: `why` looks like a credential'])
  })
})
