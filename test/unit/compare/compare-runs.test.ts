/**
 * compareRuns() on synthetic run.json pairs: each test changes one thing between a baseline and a
 * later run and checks it lands in the right list (hard, soft, improvements, notes) and nowhere else.
 */
import { describe, expect, it } from 'vitest'
import { compareRuns } from '../../../harness/compare/compare-runs.ts'
import { DEFAULT_TOLERANCE } from '../../../harness/compare/tolerance.ts'
import { RUN_SCHEMA, type CaseRow, type GateResult, type RunJson, type TrendSummary } from '../../../harness/contracts/run-json.ts'
import type { Verdict } from '../../../harness/contracts/verdict.ts'

const CASES = ['replay.dpop-jti-reuse', 'escalate.tool-scope', 'unattributed.no-credential']

function trend(p95: number, p99 = p95): TrendSummary {
  return { count: 200, min: 1, max: p99 * 1.2, avg: p95 / 2, med: p95 / 2, p90: p95 * 0.9, p95, p99 }
}

function row(id: string, verdict: Verdict, attempts = 20): CaseRow {
  const counts: CaseRow['counts'] = verdict === 'pass' ? { pass: attempts } : verdict === 'not-covered' ? { 'not-covered': attempts } : { pass: attempts - 5, [verdict]: 5 }
  return { id, class: 'test', grading: 'MUST', refs: [], attempts: verdict === 'not-covered' ? 0 : attempts, counts: verdict === 'not-covered' ? {} : counts, verdict, examples: [] }
}

function gate(metric: string, ok: boolean, cases: string[] = []): GateResult {
  return { metric, expression: 'count==0', ok, observed: ok ? 0 : 5, source: 'default', cases }
}

interface Shape {
  verdicts?: Partial<Record<string, Verdict>>
  gates?: GateResult[]
  p95?: number
  lag?: number | null
  id?: string
  flaws?: string[]
}

/** A ready run of three cases, every one covered and passing, unless `shape` says otherwise. */
function run(shape: Shape = {}): RunJson {
  const cases = CASES.map((id) => row(id, shape.verdicts?.[id] ?? 'pass'))
  const coverage = cases.map((c) => (c.verdict === 'not-covered' ? { case: c.id, covered: false, attempts: 0, reason: 'the target declares no admin hook' } : { case: c.id, covered: true, attempts: c.attempts }))
  const gates = shape.gates ?? [gate('gatecrash_breaches', true)]
  const failing = new Set(gates.filter((g) => !g.ok).flatMap((g) => g.cases))
  const families = cases.map((c) => ({
    family: c.id.split('.').slice(0, 2).join('.'),
    class: 'test',
    cases: [c.id],
    attempts: c.attempts,
    failed: failing.has(c.id) ? [c.id] : [],
    not_covered: c.verdict === 'not-covered' ? [c.id] : [],
    result: failing.has(c.id) ? ('failed' as const) : c.verdict === 'not-covered' ? ('not-covered' as const) : ('held' as const),
  }))
  const p95 = shape.p95 ?? 10
  return {
    schema: RUN_SCHEMA,
    run_id: shape.id ?? 'r-now',
    verdict: gates.every((g) => g.ok) ? 'ready' : 'not-ready',
    started_at: '2026-12-01T00:00:00.000Z',
    ended_at: '2026-12-01T00:00:10.000Z',
    tool: { name: 'gatecrash', version: '0.1.0', node: 'v24', catalog: '1', grader: 4 },
    scenario: { file: 's.ts', name: 'e2e-short' },
    seed: 7,
    target: { name: 'reference', version: '0.1.0', flaws: shape.flaws ?? [], issuer: 'http://127.0.0.1' },
    population: { tenants: 1, principals: 1, agents: 1, sub_agents: 0, max_depth: 1 },
    load: { scenarios: [{ name: 'workload', executor: 'constant-arrival-rate', target_rate: 60, achieved_rate: 60, iterations: 240, dropped_iterations: 0 }], attempts: 240, legit: 180, attacks: 60, duration_s: 4 },
    metrics: { http_req_duration: trend(p95), deny_path_duration: trend(p95) },
    gates,
    cases,
    coverage,
    families,
    legit: { attempts: 180, counts: { pass: 180 } },
    evidence: { records: 240, matched: 240, late: 0, chains: [], ...(shape.lag === null ? {} : { lag: { seen: 240, p50_ms: 500, p95_ms: shape.lag ?? 1000, p99_ms: shape.lag ?? 1000 } }) },
    delegation_samples: [],
    files: [],
  }
}

const base = () => run({ id: 'r-base' })

describe('compareRuns: hard regressions', () => {
  it('the same run twice: nothing changed, no notes', () => {
    const c = compareRuns(base(), run())
    expect(c).toMatchObject({ hard: [], soft: [], improvements: [], notes: [], regressed: false, baseline: { run_id: 'r-base', scenario: 'e2e-short', verdict: 'ready' } })
    expect(c.tolerance).toEqual(DEFAULT_TOLERANCE)
  })

  it('a case whose verdict got worse (pass → warn) is hard, with the share of attempts', () => {
    const c = compareRuns(base(), run({ verdicts: { 'replay.dpop-jti-reuse': 'warn' } }))
    expect(c.hard).toEqual([{ kind: 'case', subject: 'replay.dpop-jti-reuse', baseline: 'pass', now: 'warn', detail: 'pass → warn (5 of 20 attempts warn)' }])
    expect(c.regressed).toBe(true)
  })

  it('worse follows the verdict order: warn → breach is hard, breach → warn is an improvement', () => {
    const worse = compareRuns(run({ verdicts: { 'escalate.tool-scope': 'warn' } }), run({ verdicts: { 'escalate.tool-scope': 'breach' } }))
    expect(worse.hard.map((h) => [h.subject, h.baseline, h.now])).toEqual([['escalate.tool-scope', 'warn', 'breach']])
    const better = compareRuns(run({ verdicts: { 'escalate.tool-scope': 'breach' } }), run({ verdicts: { 'escalate.tool-scope': 'warn' } }))
    expect(better.hard).toEqual([])
    expect(better.improvements.map((h) => h.subject)).toEqual(['escalate.tool-scope'])
  })

  it('a gate that held and now fails is hard, naming the cases behind it', () => {
    const c = compareRuns(base(), run({ verdicts: { 'escalate.tool-scope': 'breach' }, gates: [gate('gatecrash_breaches', false, ['escalate.tool-scope'])] }))
    const g = c.hard.find((h) => h.kind === 'gate')
    expect(g).toEqual({ kind: 'gate', subject: 'gatecrash_breaches count==0', baseline: 'held', now: 'failed', detail: 'held → failed (observed 0 → 5; cases: escalate.tool-scope)' })
    // and the family that held no longer does: fewer families held
    expect(c.hard.find((h) => h.kind === 'family')).toMatchObject({ subject: 'escalate.tool-scope', baseline: 'held', now: 'failed' })
  })

  it('coverage lost: a case covered in the baseline and not covered now, or absent now', () => {
    const notCovered = compareRuns(base(), run({ verdicts: { 'unattributed.no-credential': 'not-covered' } }))
    expect(notCovered.hard).toContainEqual({ kind: 'coverage', subject: 'unattributed.no-credential', baseline: 'pass', now: 'not-covered', detail: 'covered → not covered: the target declares no admin hook' })
    expect(notCovered.hard.find((h) => h.kind === 'family')).toMatchObject({ subject: 'unattributed.no-credential', now: 'not-covered' })
    // a lost case is not also a verdict change (not-covered proves nothing either way)
    expect(notCovered.hard.filter((h) => h.kind === 'case')).toEqual([])

    const now = run()
    now.cases = now.cases.filter((c) => c.id !== 'escalate.tool-scope')
    now.coverage = now.coverage!.filter((c) => c.case !== 'escalate.tool-scope')
    now.families = now.families!.filter((f) => f.family !== 'escalate.tool-scope')
    const absent = compareRuns(base(), now)
    expect(absent.hard).toContainEqual({ kind: 'coverage', subject: 'escalate.tool-scope', baseline: 'pass', now: null, detail: 'covered → not covered: not in this run' })
  })

  it('not covered in the baseline: covered and passing now is an improvement, covered and failing now is hard', () => {
    const was = run({ id: 'r-base', verdicts: { 'escalate.tool-scope': 'not-covered' } })
    expect(compareRuns(was, run()).improvements).toEqual([
      { kind: 'coverage', subject: 'escalate.tool-scope', baseline: 'not-covered', now: 'pass', detail: 'not covered → covered (pass)' },
      { kind: 'family', subject: 'escalate.tool-scope', baseline: 'not-covered', now: 'held', detail: 'not-covered → held' },
    ])
    const failing = compareRuns(was, run({ verdicts: { 'escalate.tool-scope': 'breach' } }))
    expect(failing.hard).toContainEqual({ kind: 'case', subject: 'escalate.tool-scope', baseline: 'not-covered', now: 'breach', detail: 'not-covered → breach (5 of 20 attempts breach)' })
  })

  it('runs made before coverage was reported: covered is read from the case rows', () => {
    const was = base()
    delete was.coverage
    const c = compareRuns(was, run({ verdicts: { 'unattributed.no-credential': 'not-covered' } }))
    expect(c.hard.map((h) => `${h.kind} ${h.subject}`)).toContain('coverage unattributed.no-credential')
  })
})

describe('compareRuns: soft regressions (latency, evidence lag)', () => {
  it('latency beyond the tolerance (+100 % and +350 ms) is soft: not a regression unless strict', () => {
    const c = compareRuns(base(), run({ p95: 500 }))
    expect(c.hard).toEqual([])
    expect(c.soft.map((s) => s.subject)).toEqual(['http_req_duration p95', 'http_req_duration p99', 'deny_path_duration p95', 'deny_path_duration p99'])
    expect(c.soft[0]).toEqual({ kind: 'latency', subject: 'http_req_duration p95', baseline: 10, now: 500, detail: '10.0 → 500 ms (+4900 %; tolerance +100 % and +350 ms)' })
    expect(c.regressed).toBe(false)
    expect(compareRuns(base(), run({ p95: 500 }), { strict: true }).regressed).toBe(true)
  })

  it('latency within the tolerance is not listed: noise of this size was measured between identical runs', () => {
    // the widest spreads measured between runs of the same short scenario (harness/compare/tolerance.ts)
    expect(compareRuns(run({ p95: 4.75 }), run({ p95: 188.3 })).soft).toEqual([])
    expect(compareRuns(run({ p95: 5.37 }), run({ p95: 313.9 })).soft).toEqual([])
    expect(compareRuns(run({ p95: 97.7 }), run({ p95: 313.9 })).soft).toEqual([])
    // past +100 % but only +340 ms: under the absolute floor
    expect(compareRuns(run({ p95: 20 }), run({ p95: 360 })).soft).toEqual([])
    // past +350 ms but only +90 %: under the relative tolerance
    expect(compareRuns(run({ p95: 1000 }), run({ p95: 1900 })).soft).toEqual([])
  })

  it('evidence lag beyond its tolerance (+50 % and one poll, +1000 ms) is soft', () => {
    expect(compareRuns(base(), run({ lag: 1900 })).soft).toEqual([])
    const c = compareRuns(base(), run({ lag: 3000 }))
    expect(c.soft).toEqual([{ kind: 'evidence-lag', subject: 'evidence lag p95', baseline: 1000, now: 3000, detail: '1000 → 3000 ms (+200 %; tolerance +50 % and +1000 ms)' }])
  })

  it('a figure one run lacks is skipped with a note, never read as a change', () => {
    const c = compareRuns(base(), run({ lag: null }))
    expect(c.soft).toEqual([])
    expect(c.notes).toEqual(['not compared (no samples in one of the runs): evidence lag p95'])
  })

  it('custom tolerances replace the defaults', () => {
    const c = compareRuns(base(), run({ p95: 30 }), { tolerance: { latency: { relative: 0.5, absolute_ms: 10 } } })
    expect(c.soft.map((s) => s.subject)).toContain('http_req_duration p95')
    expect(c.tolerance.evidence_lag).toEqual(DEFAULT_TOLERANCE.evidence_lag)
  })
})

describe('compareRuns: improvements and notes', () => {
  it('a case that holds now, a gate that holds and a family that holds again are improvements, not failures', () => {
    const was = run({ id: 'r-base', verdicts: { 'replay.dpop-jti-reuse': 'warn' }, gates: [gate('gatecrash_warns{case:replay.dpop-jti-reuse}', false, ['replay.dpop-jti-reuse'])] })
    const c = compareRuns(was, run({ gates: [gate('gatecrash_warns{case:replay.dpop-jti-reuse}', true)] }))
    expect(c.hard).toEqual([])
    expect(c.regressed).toBe(false)
    expect(c.improvements.map((i) => `${i.kind} ${i.subject} ${i.baseline} → ${i.now}`)).toEqual([
      'case replay.dpop-jti-reuse warn → pass',
      'gate gatecrash_warns{case:replay.dpop-jti-reuse} count==0 failed → held',
      'family replay.dpop-jti-reuse failed → held',
    ])
  })

  it('faster beyond the tolerance is an improvement', () => {
    expect(compareRuns(run({ p95: 1000 }), run({ p95: 100 })).improvements.map((i) => i.subject)).toContain('http_req_duration p95')
  })

  it('another target, flaws or seed: compared, with notes saying so', () => {
    const now = run({ flaws: ['replay-cache-off'] })
    now.seed = 8
    now.scenario.name = 'other'
    const c = compareRuns(base(), now)
    expect(c.notes).toEqual(['scenario: e2e-short → other', 'target flaws: none → replay-cache-off', 'seed: 7 → 8'])
  })

  it('a case only the new run has is a note (its gates judge it), not a regression', () => {
    const now = run()
    now.cases.push(row('escalate.refund-limit', 'breach'))
    const c = compareRuns(base(), now)
    expect(c.hard).toEqual([])
    expect(c.notes).toEqual(['1 case is not in the baseline (judged by this run\'s gates only): escalate.refund-limit breach'])
  })

  it('runs with no attack case in common are refused with a coded error', () => {
    const now = run()
    now.cases = [row('tenant.cross-tenant-read', 'pass'), row('issued.cnf-jkt', 'pass')]
    const was = base()
    was.cases.push(row('issued.cnf-jkt', 'pass'))
    expect(() => compareRuns(was, now)).toThrow(expect.objectContaining({ code: 'ERR_RUNS_INCOMPARABLE' }))
  })
})
