/**
 * The published schemas (docs/schemas/) hold against what the code really writes: every evidence
 * record the reference target writes, and a run.json built by the real oracle pipeline. Both
 * schemas are closed (additionalProperties: false) where the TypeScript types are, so a field the
 * code starts writing without a schema change fails here.
 */
import { readFileSync } from 'node:fs'
// Named, not default: under nodenext TypeScript types a CommonJS default import as the whole
// module object, while ajv's module.exports is the class itself; the named export is the class in both.
import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { recordHash } from '../../../harness/evidence/chain.ts'
import { lossRecord, RefusalTally } from '../../../targets/reference/evidence-writer/gap-records.ts'
import { populate, TENANT, type Population } from '../../spec/reference-target/helpers/population.ts'
import { TYPE_AT, World, type HttpResult } from '../../spec/reference-target/helpers/world.ts'
import { compareRuns } from '../../../harness/compare/compare-runs.ts'
import { failingRun } from '../reports/run-fixture.ts'

function loadSchema(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../../docs/schemas/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>
}

/** Plain boolean, not ajv's type guard: a guard would narrow a failing typed record to `never`. */
type Validator = ((data: unknown) => boolean) & { errors?: unknown[] | null }

// strict: a keyword ajv does not know (a typo in the schema) is a compile error, not silently ignored.
const ajv = new Ajv2020({ allErrors: true, strict: true })
const validateRecord: Validator = ajv.compile(loadSchema('evidence-record.v1.schema.json'))
const validateRun: Validator = ajv.compile(loadSchema('run.v1.schema.json'))

/** ajv's errors, short enough to read in a failed expectation. */
function problems(validate: Validator): string[] {
  return (validate.errors ?? []).map((e) => {
    const { instancePath, keyword, message, params } = e as { instancePath: string; keyword: string; message?: string; params: unknown }
    return `${instancePath || '/'} ${keyword}: ${message ?? ''} ${JSON.stringify(params)}`
  })
}

let world: World
let pop: Population
let records: EvidenceRecord[]
const calls: HttpResult[] = []

beforeAll(async () => {
  world = await World.start()
  // Registration and token exchange: the AS writes allow records.
  pop = await populate(world)
  // Allowed tool calls, then refusals from several reason areas at the AS and the resource servers.
  calls.push(await world.call(pop.sub, pop.subToken, 'GET', `/t/${TENANT}/tickets/T-1`))
  calls.push(await world.call(pop.agent, pop.agentToken, 'GET', `/t/${TENANT}/customers/C-1`))
  calls.push(await world.call(pop.agent, '', 'GET', `/t/${TENANT}/tickets/T-2`, { noAuth: true, proof: null }))
  calls.push(await world.call(pop.sub, pop.subToken, 'POST', `/t/${TENANT}/refunds`, { body: { amount: 5, ticket: 'T-3' } }))
  calls.push(await world.call(pop.sub, pop.subToken, 'GET', '/t/t_other/tickets/T-4'))
  const proof = await world.proofFor(pop.sub, 'GET', `/t/${TENANT}/tickets/T-5`, pop.subToken)
  calls.push(await world.call(pop.sub, pop.subToken, 'GET', `/t/${TENANT}/tickets/T-5`, { proof }))
  calls.push(await world.call(pop.sub, pop.subToken, 'GET', `/t/${TENANT}/tickets/T-5`, { proof }))
  calls.push(await world.call(pop.sub, pop.subToken, 'GET', `/t/${TENANT}/kb/K-1`, { rs: world.rs2 }))
  // a path the public listener does not route: a record with no tool or tenant (policy.not_routed)
  calls.push(await world.call(pop.sub, pop.subToken, 'GET', '/admin/refunds'))
  calls.push(await world.exchange(pop.sub, pop.agentToken, TYPE_AT, 'admin:all'))
  for (const c of calls) await world.recordsFor(c.traceId)
  records = await world.records()
})

afterAll(async () => {
  await world?.stop()
})

describe('evidence-record.v1 (docs/schemas/evidence-record.v1.schema.json)', () => {
  test('the records checked include allows and denies from the AS and both resource servers', () => {
    expect(calls.some((c) => c.status === 200)).toBe(true)
    expect(calls.filter((c) => c.status >= 400).length).toBeGreaterThanOrEqual(6)
    const mine = new Set(calls.map((c) => c.traceId))
    const traced = records.filter((r) => r.correlation.trace_id != null && mine.has(r.correlation.trace_id))
    expect(new Set(traced.map((r) => r.decision))).toEqual(new Set(['allow', 'deny']))
    expect(records.some((r) => r.component === 'as')).toBe(true)
    expect(records.some((r) => r.component.startsWith('rs-1/'))).toBe(true)
    expect(records.some((r) => r.component.startsWith('rs-2/'))).toBe(true)
    const areas = new Set(traced.filter((r) => r.decision === 'deny').map((r) => r.reason.split('.')[0]))
    expect(areas.size).toBeGreaterThanOrEqual(4)
  })

  test('every record the reference target writes validates', () => {
    expect(records.length).toBeGreaterThan(10)
    const invalid = records.flatMap((r) => (validateRecord(r) ? [] : [`${r.id} (${r.reason}): ${problems(validateRecord).join('; ')}`]))
    expect(invalid).toEqual([])
  })

  test('the evidence-gap records a writer writes about records it lost validate', () => {
    // Rare in a healthy run, so built here: the two kinds of gap, stamped and chained as the writer does.
    const refused = new RefusalTally()
    refused.add(calls[0].traceId)
    refused.add(null)
    const inputs = [
      lossRecord({ state: 'pending', delivered: null, since: new Date().toISOString(), undelivered: 3, final: true }, null, world.rs.audience),
      refused.take(undefined),
    ]
    let prev: string | null = null
    const invalid: string[] = []
    for (const [i, input] of inputs.entries()) {
      const stamped = { v: 1 as const, id: `ev_gap${i}`, ts: new Date().toISOString(), component: 'rs-1/0', ...input, prev }
      const hash = recordHash(stamped)
      prev = hash
      if (!validateRecord(JSON.parse(JSON.stringify({ ...stamped, hash })))) invalid.push(`${String(input.detail?.cause)}: ${problems(validateRecord).join('; ')}`)
    }
    expect(invalid).toEqual([])
  })

  describe('invalid records fail', () => {
    const base = (): Record<string, unknown> => structuredClone(records.find((r) => r.decision === 'allow')) as unknown as Record<string, unknown>

    test('an unknown top-level key fails', () => {
      const r = { ...base(), severity: 'high' }
      expect(validateRecord(r)).toBe(false)
      expect(problems(validateRecord).join('\n')).toContain('additionalProperties')
    })

    test('a missing `hash` fails', () => {
      const r = base()
      delete r.hash
      expect(validateRecord(r)).toBe(false)
      expect(problems(validateRecord).join('\n')).toContain('"missingProperty":"hash"')
    })

    test('decision "maybe" fails', () => {
      const r = { ...base(), decision: 'maybe' }
      expect(validateRecord(r)).toBe(false)
      expect(problems(validateRecord).some((p) => p.startsWith('/decision enum'))).toBe(true)
    })

    test('a raw token where the token hash belongs fails (tokens appear by hash only)', () => {
      const r = base()
      r.correlation = { ...(r.correlation as object), token_hash: pop.subToken }
      expect(validateRecord(r)).toBe(false)
      expect(problems(validateRecord).some((p) => p.startsWith('/correlation/token_hash'))).toBe(true)
    })
  })
})

describe('gatecrash.run/1 (docs/schemas/run.v1.schema.json)', () => {
  test('a run.json built by the oracle pipeline (test/unit/reports/run-fixture.ts) validates', () => {
    // As written to disk: undefined members drop out.
    const run = JSON.parse(JSON.stringify(failingRun().run)) as unknown
    expect(validateRun(run), problems(validateRun).join('\n')).toBe(true)
  })

  test('its control mapping validates, and a control status outside the enum fails', () => {
    const run = JSON.parse(JSON.stringify(failingRun().run)) as { controls: { controls: { status: string }[] }[] }
    expect(run.controls.length).toBeGreaterThan(0)
    expect(run.controls.some((f) => f.controls.length > 0)).toBe(true)
    run.controls[0].controls[0].status = 'mostly-held'
    expect(validateRun(run)).toBe(false)
    expect(problems(validateRun).some((p) => p.startsWith('/controls/0/controls/0/status enum'))).toBe(true)
  })

  test('with evidence.lag and a comparison against a baseline (gatecrash run --baseline), as compareRuns() writes it', () => {
    const baseline = failingRun().run
    const now = failingRun().run
    // the baseline held where this run warns: a hard regression, an improvement and a soft change besides
    baseline.cases = baseline.cases.map((c) => (c.id === 'replay.dpop-jti-reuse' ? { ...c, verdict: 'pass' as const, counts: { pass: c.attempts } } : c))
    now.metrics.http_req_duration = { ...now.metrics.http_req_duration, count: 10, p95: baseline.metrics.http_req_duration.p95 + 1000 }
    now.evidence.lag = { seen: 5, p50_ms: 400, p95_ms: 900, p99_ms: 1000 }
    baseline.evidence.lag = { seen: 5, p50_ms: 400, p95_ms: 950, p99_ms: 1000 }
    baseline.metrics.http_req_duration = { ...baseline.metrics.http_req_duration, count: 10 }
    now.comparison = compareRuns(baseline, now)
    expect(now.comparison.hard.length).toBeGreaterThan(0)
    expect(now.comparison.soft.length).toBeGreaterThan(0)
    const run = JSON.parse(JSON.stringify(now)) as unknown
    expect(validateRun(run), problems(validateRun).join('\n')).toBe(true)
  })

  test('a comparison change of an unknown kind fails', () => {
    const now = failingRun().run
    now.comparison = compareRuns(failingRun().run, failingRun().run)
    const run = JSON.parse(JSON.stringify(now)) as { comparison: { hard: unknown[] } }
    run.comparison.hard.push({ kind: 'mood', subject: 'x', baseline: null, now: null, detail: '' })
    expect(validateRun(run)).toBe(false)
  })

  test('an unknown run verdict fails', () => {
    const run = { ...(JSON.parse(JSON.stringify(failingRun().run)) as Record<string, unknown>), verdict: 'almost-ready' }
    expect(validateRun(run)).toBe(false)
  })
})
