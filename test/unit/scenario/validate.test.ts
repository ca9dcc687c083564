import { describe, expect, it } from 'vitest'
import { validateScenario } from '../../../harness/scenario/load.ts'
import { parseDuration } from '../../../harness/contracts/duration.ts'

const ok = () => ({
  population: { tenants: 2, agents: 4, subAgentsPerAgent: 1, depth: 2 },
  scenarios: { workload: { executor: 'constant-arrival-rate', rate: 10, duration: '5s', preAllocatedVUs: 2 } },
  attacks: { share: 0.1, cases: ['replay.*'] },
  thresholds: { http_req_duration: ['p(95)<250'] },
})

function invalid(mutate: (s: any) => void): { code: string; message: string; key?: string; hint?: string } {
  const s = ok()
  mutate(s)
  try {
    validateScenario(s, 'scenarios/x.ts')
  } catch (e: any) {
    return { code: e.code, message: e.message, key: e.key, hint: e.hint }
  }
  throw new Error('expected the scenario to be refused')
}

describe('scenario validation: k6-style strictness (unknown keys and wrong types are errors)', () => {
  it('accepts the documented shape', () => {
    expect(validateScenario(ok(), 'scenarios/x.ts').scenarios.workload).toMatchObject({ executor: 'constant-arrival-rate', rate: 10 })
  })

  it('an unknown key names file, key and the allowed keys of that object', () => {
    const e = invalid((s) => (s.population.agnets = 3))
    expect(e.code).toBe('ERR_SCENARIO_INVALID')
    expect(e.key).toBe('population.agnets')
    expect(e.message).toContain('scenarios/x.ts')
    expect(e.hint).toBe('allowed: tenants, agents, subAgentsPerAgent, depth, principalsPerTenant')
  })

  it('a wrong type says what it got and what is allowed', () => {
    const e = invalid((s) => (s.scenarios.workload.preAllocatedVUs = 2.5))
    expect(e.key).toBe('scenarios.workload.preAllocatedVUs')
    expect(e.hint).toBe('allowed: an integer ≥ 1 ≤ 10000')
  })

  it('a missing required key is named', () => {
    const e = invalid((s) => delete s.scenarios.workload.duration)
    expect(e.key).toBe('scenarios.workload.duration')
    expect(e.message).toContain('is missing')
  })

  it('scenario names follow k6 (^[0-9a-zA-Z_-]+$)', () => {
    const e = invalid((s) => (s.scenarios['bad name'] = s.scenarios.workload))
    expect(e.key).toBe('scenarios.bad name')
  })

  it('an unknown attack case is refused with the catalog hint, listing the families', () => {
    const e = invalid((s) => (s.attacks.cases = ['replay.dpop-jti-reuse', 'escalate.nope']))
    expect(e).toMatchObject({ code: 'ERR_SCENARIO_INVALID', key: 'attacks.cases' })
    expect(e.message).toContain('escalate.nope')
    expect(e.hint).toMatch(/'all'.*replay\.\*, escalate\.\*, unattributed\.\*, lifecycle\.\*.*replay\.dpop-jti-reuse\.\*/)
  })

  it('a family pattern that matches nothing is refused like an unknown id', () => {
    const e = invalid((s) => (s.attacks.cases = ['escalate.nothing-here.*']))
    expect(e).toMatchObject({ code: 'ERR_SCENARIO_INVALID', key: 'attacks.cases' })
    expect(e.message).toContain('escalate.nothing-here.*')
  })

  it("cases: 'all' selects the whole catalog; any other word is refused", async () => {
    const { CATALOG, selectCases } = await import('../../../harness/attacks/catalog.ts')
    const all = validateScenario({ ...ok(), attacks: { share: 0.2, cases: 'all' } }, 'scenarios/x.ts')
    expect(selectCases(all.attacks!.cases).cases.map((c) => c.id)).toEqual(CATALOG.map((c) => c.id))
    const e = invalid((s) => (s.attacks.cases = 'everything'))
    expect(e).toMatchObject({ code: 'ERR_SCENARIO_INVALID', key: 'attacks.cases' })
    expect(e.hint).toContain("'all'")
  })

  it('a bad duration names the k6 duration format', () => {
    const e = invalid((s) => (s.scenarios.workload.duration = '5 minutes'))
    expect(e.hint).toContain("'1m30s'")
  })
})

describe('k6 durations', () => {
  it('parses compound and bare forms', () => {
    expect(parseDuration('1m30s')).toBe(90_000)
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('2h')).toBe(7_200_000)
    expect(parseDuration('10')).toBe(10_000)
    expect(parseDuration('1x')).toBeNull()
    expect(parseDuration('')).toBeNull()
  })
})

describe('thresholds are checked before the run (k6 refuses them at start-up too)', () => {
  it('an unknown metric is refused with the list of metrics', () => {
    const e = invalid((s) => (s.thresholds = { gatecrash_breeches: ['count==0'] }))
    expect(e.code).toBe('ERR_SCENARIO_INVALID')
    expect(e.message).toContain("no metric named 'gatecrash_breeches'")
    expect(e.hint).toContain('gatecrash_breaches')
  })

  it("k6's { threshold, abortOnFail, delayAbortEval } is accepted", () => {
    const s: any = ok()
    s.thresholds = { http_req_duration: [{ threshold: 'p(95)<250', abortOnFail: true, delayAbortEval: '10s' }] }
    expect(validateScenario(s, 'scenarios/x.ts').thresholds).toEqual(s.thresholds)
  })

  it('a bad delayAbortEval is named by its key', () => {
    const e = invalid((s) => (s.thresholds = { http_req_duration: [{ threshold: 'p(95)<250', abortOnFail: true, delayAbortEval: 'soon' }] }))
    expect(e.code).toBe('ERR_SCENARIO_INVALID')
    expect(e.key).toBe('thresholds.http_req_duration.0.delayAbortEval')
    expect(e.hint).toContain('k6 duration')
  })

  it('delayAbortEval without abortOnFail: true is refused (it would delay nothing)', () => {
    const e = invalid((s) => (s.thresholds = { http_req_duration: [{ threshold: 'p(95)<250', delayAbortEval: '10s' }] }))
    expect(e.key).toBe('thresholds.http_req_duration.0.delayAbortEval')
    expect(e.hint).toContain('abortOnFail: true')
  })

  it('an unknown key in a threshold object lists the allowed ones', () => {
    const e = invalid((s) => (s.thresholds = { http_req_duration: [{ threshold: 'p(95)<250', abortOnFial: true }] }))
    expect(e.key).toBe('thresholds.http_req_duration.0.abortOnFial')
    expect(e.hint).toBe('allowed: threshold, abortOnFail, delayAbortEval')
  })

  it('abortOnFail on a metric that needs evidence is refused before the run, naming the key', () => {
    const e = invalid((s) => (s.thresholds = { gatecrash_evidence_coverage: [{ threshold: 'rate==1', abortOnFail: true }] }))
    expect(e.code).toBe('ERR_SCENARIO_INVALID')
    expect(e.message).toContain('scenarios/x.ts')
    expect(e.message).toContain("thresholds['gatecrash_evidence_coverage']")
    expect(e.hint).toContain('abortOnFail works on http_req_duration')
  })

  it('bad threshold syntax is refused', () => {
    const e = invalid((s) => (s.thresholds = { http_req_duration: ['p95<250'] }))
    expect(e.code).toBe('ERR_SCENARIO_INVALID')
    expect(e.message).toContain('http_req_duration')
  })
})

// k6's documented examples for each executor (grafana.com/docs/k6/latest/using-k6/scenarios/executors/)
const K6_EXAMPLES: Record<string, Record<string, unknown>> = {
  'constant-arrival-rate': { executor: 'constant-arrival-rate', duration: '30s', rate: 30, timeUnit: '1s', preAllocatedVUs: 2, maxVUs: 50 },
  'ramping-arrival-rate': {
    executor: 'ramping-arrival-rate',
    startRate: 300,
    timeUnit: '1m',
    preAllocatedVUs: 50,
    stages: [{ target: 300, duration: '1m' }, { target: 600, duration: '2m' }, { target: 600, duration: '4m' }, { target: 60, duration: '2m' }],
  },
  'constant-vus': { executor: 'constant-vus', vus: 10, duration: '30s' },
  'ramping-vus': { executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '20s', target: 10 }, { duration: '10s', target: 0 }], gracefulRampDown: '0s' },
  'per-vu-iterations': { executor: 'per-vu-iterations', vus: 10, iterations: 20, maxDuration: '30s' },
  'shared-iterations': { executor: 'shared-iterations', vus: 10, iterations: 200, maxDuration: '30s' },
}

// k6's options per executor, in the order the `allowed:` hint lists them (the shared ones last)
const ALLOWED: Record<string, string> = {
  'constant-arrival-rate': 'executor, rate, timeUnit, duration, preAllocatedVUs, maxVUs, startTime, gracefulStop, tags',
  'ramping-arrival-rate': 'executor, startRate, timeUnit, stages, preAllocatedVUs, maxVUs, startTime, gracefulStop, tags',
  'constant-vus': 'executor, vus, duration, startTime, gracefulStop, tags',
  'ramping-vus': 'executor, startVUs, stages, gracefulRampDown, startTime, gracefulStop, tags',
  'per-vu-iterations': 'executor, vus, iterations, maxDuration, startTime, gracefulStop, tags',
  'shared-iterations': 'executor, vus, iterations, maxDuration, startTime, gracefulStop, tags',
}

function withExecutor(cfg: Record<string, unknown>, mutate: (c: any) => void = () => {}) {
  return invalid((s) => {
    s.scenarios = { load: structuredClone(cfg) }
    mutate(s.scenarios.load)
  })
}

describe("k6 executors: every executor's options are checked strictly (exit 104 on anything else)", () => {
  it.each(Object.entries(K6_EXAMPLES))("accepts k6's documented %s example, with the shared options", (_name, cfg) => {
    const s = { ...ok(), scenarios: { load: { ...cfg, startTime: '5s', gracefulStop: '10s', tags: { team: 'iam' } } } }
    expect(validateScenario(s, 'scenarios/x.ts').scenarios.load).toMatchObject(cfg)
  })

  it.each(Object.entries(K6_EXAMPLES))('%s: an unknown option is refused, naming the key and the allowed options', (name, cfg) => {
    const e = withExecutor(cfg, (c) => (c.sleepBetween = '1s'))
    expect(e.code).toBe('ERR_SCENARIO_INVALID')
    expect(e.key).toBe('scenarios.load.sleepBetween')
    expect(e.message).toContain('scenarios/x.ts')
    expect(e.message).toContain('is not a known key')
    expect(e.hint).toBe(`allowed: ${ALLOWED[name]}`)
  })

  it("an option of another executor is refused too (constant-vus has no `iterations`, k6's StrictJSONUnmarshal)", () => {
    const e = withExecutor(K6_EXAMPLES['constant-vus'], (c) => (c.iterations = 10))
    expect(e.key).toBe('scenarios.load.iterations')
    expect(e.hint).toBe(`allowed: ${ALLOWED['constant-vus']}`)
  })

  it('an unknown executor name lists the six k6 executors', () => {
    const e = withExecutor({ executor: 'externally-controlled', vus: 1 })
    expect(e.key).toBe('scenarios.load.executor')
    expect(e.hint).toBe("allowed: 'constant-arrival-rate', 'ramping-arrival-rate', 'constant-vus', 'ramping-vus', 'per-vu-iterations', 'shared-iterations'")
  })

  it('stages: an unknown key inside a stage, a missing target and an empty list are refused', () => {
    const extra = withExecutor(K6_EXAMPLES['ramping-vus'], (c) => (c.stages[1].vus = 3))
    expect(extra.key).toBe('scenarios.load.stages.1.vus')
    expect(extra.hint).toBe('allowed: duration, target')
    const missing = withExecutor(K6_EXAMPLES['ramping-arrival-rate'], (c) => delete c.stages[0].target)
    expect(missing.key).toBe('scenarios.load.stages.0.target')
    expect(missing.message).toContain('is missing')
    const empty = withExecutor(K6_EXAMPLES['ramping-arrival-rate'], (c) => (c.stages = []))
    expect(empty.key).toBe('scenarios.load.stages')
    expect(empty.message).toContain('is empty')
  })

  it('required options are named: stages and preAllocatedVUs (ramping-arrival-rate), duration (constant-vus)', () => {
    expect(withExecutor(K6_EXAMPLES['ramping-arrival-rate'], (c) => delete c.stages).key).toBe('scenarios.load.stages')
    expect(withExecutor(K6_EXAMPLES['ramping-arrival-rate'], (c) => delete c.preAllocatedVUs).key).toBe('scenarios.load.preAllocatedVUs')
    expect(withExecutor(K6_EXAMPLES['constant-vus'], (c) => delete c.duration).key).toBe('scenarios.load.duration')
  })

  it('wrong types: a fractional VU count, a negative stage target, a bad maxDuration', () => {
    expect(withExecutor(K6_EXAMPLES['constant-vus'], (c) => (c.vus = 1.5)).hint).toBe('allowed: an integer ≥ 1 ≤ 10000')
    expect(withExecutor(K6_EXAMPLES['ramping-vus'], (c) => (c.stages[0].target = -1)).key).toBe('scenarios.load.stages.0.target')
    expect(withExecutor(K6_EXAMPLES['per-vu-iterations'], (c) => (c.maxDuration = 'ten minutes')).hint).toContain("'1m30s'")
  })

  it("k6's cross-option rules: shared-iterations needs iterations ≥ vus; maxVUs ≥ preAllocatedVUs; timeUnit > 0; ramping-vus needs a VU somewhere", () => {
    const shared = withExecutor(K6_EXAMPLES['shared-iterations'], (c) => (c.iterations = 5))
    expect(shared.key).toBe('scenarios.load.iterations')
    expect(shared.message).toContain('fewer than vus (10)')
    const vus = withExecutor(K6_EXAMPLES['constant-arrival-rate'], (c) => (c.maxVUs = 1))
    expect(vus.key).toBe('scenarios.load.maxVUs')
    expect(vus.hint).toContain('≥ preAllocatedVUs')
    expect(withExecutor(K6_EXAMPLES['ramping-arrival-rate'], (c) => (c.timeUnit = '0s')).key).toBe('scenarios.load.timeUnit')
    const idle = withExecutor(K6_EXAMPLES['ramping-vus'], (c) => (c.stages = [{ duration: '10s', target: 0 }]))
    expect(idle.key).toBe('scenarios.load.stages')
    expect(withExecutor(K6_EXAMPLES['per-vu-iterations'], (c) => ((c.vus = 10_000), (c.iterations = 100_000))).key).toBe('scenarios.load.iterations')
  })
})
