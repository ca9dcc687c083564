import { describe, expect, it } from 'vitest'
import { validateScenario } from '../../../harness/scenario/load.ts'
import { parseDuration } from '../../../harness/scenario/duration.ts'

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
    expect(validateScenario(ok(), 'scenarios/x.ts').scenarios.workload.rate).toBe(10)
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

  it('an unknown attack case is refused with the catalog hint', () => {
    const e = invalid((s) => (s.attacks.cases = ['replay.dpop-jti-reuse', 'escalate.nope']))
    expect(e.key).toBe('attacks.cases')
    expect(e.message).toContain('escalate.nope')
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

  it('bad threshold syntax is refused', () => {
    const e = invalid((s) => (s.thresholds = { http_req_duration: ['p95<250'] }))
    expect(e.code).toBe('ERR_SCENARIO_INVALID')
    expect(e.message).toContain('http_req_duration')
  })
})
