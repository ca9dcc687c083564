import { describe, expect, test } from 'vitest'
import { addSample, createMetricSet, defineMetric } from '../../../harness/oracle/metric-set.ts'
import { evaluateThreshold, parseThresholdExpression, parseThresholdKey, parseThresholds } from '../../../harness/oracle/thresholds.ts'

function thrown(fn: () => unknown): { code?: string; message: string; hint?: string } {
  try {
    fn()
  } catch (e) {
    return e as { code?: string; message: string; hint?: string }
  }
  throw new Error('expected a throw')
}

describe('k6 threshold grammar: keys', () => {
  test('a bare metric name has no filter', () => {
    expect(parseThresholdKey('http_req_duration')).toEqual({ metric: 'http_req_duration', filter: {} })
  })

  test('docs/architecture.md scenario shape: gatecrash_warns{case:replay.dpop-jti-reuse}', () => {
    expect(parseThresholdKey('gatecrash_warns{case:replay.dpop-jti-reuse}')).toEqual({
      metric: 'gatecrash_warns',
      filter: { case: 'replay.dpop-jti-reuse' },
    })
  })

  test('several tags, whitespace around them, and values containing ":" (split on the first)', () => {
    expect(parseThresholdKey(' http_req_duration{ kind : legit , url:https://rs.example:8443/x } ')).toEqual({
      metric: 'http_req_duration',
      filter: { kind: 'legit', url: 'https://rs.example:8443/x' },
    })
  })

  test.each([
    ['http req duration', 'not a metric name'],
    ['http_req_duration{kind}', 'is not tag:value'],
    ['http_req_duration{kind:a,kind:b}', 'appears twice'],
    ['9metric', 'not a metric name'],
    ['metric{a:b', 'not a metric name'],
  ])('bad key %j → ERR_THRESHOLD_INVALID naming the key', (key, message) => {
    const e = thrown(() => parseThresholdKey(key))
    expect(e.code).toBe('ERR_THRESHOLD_INVALID')
    expect(e.message).toContain(message)
    expect(e.hint).toContain(key)
  })
})

describe('k6 threshold grammar: expressions', () => {
  test.each([
    ['p(95)<250', { kind: 'p', p: 95 }, '<', 250],
    ['p(99.9) <= 1000', { kind: 'p', p: 99.9 }, '<=', 1000],
    ['p( 50 )>1', { kind: 'p', p: 50 }, '>', 1],
    ['rate==1', { kind: 'rate' }, '==', 1],
    ['rate>=0.999', { kind: 'rate' }, '>=', 0.999],
    ['count==0', { kind: 'count' }, '==', 0],
    ['count!=3', { kind: 'count' }, '!=', 3],
    ['value>-2.5', { kind: 'value' }, '>', -2.5],
    ['avg<.5', { kind: 'avg' }, '<', 0.5],
    ['min>=1e2', { kind: 'min' }, '>=', 100],
    ['max<10', { kind: 'max' }, '<', 10],
    ['med<10', { kind: 'med' }, '<', 10],
    ['rate===1', { kind: 'rate' }, '==', 1], // k6 accepts === as ==
  ])('%s', (expression, aggregation, op, value) => {
    expect(parseThresholdExpression(expression, 'k')).toEqual({ aggregation, op, value })
  })

  test.each(['p95<250', 'p(95)', 'avg<', 'avg<abc', 'mean<3', 'p(101)<1', 'p(-1)<1', 'rate=>1', 'rate=1', 'count==0 and rate<1', ''])(
    'bad expression %j → ERR_THRESHOLD_INVALID with a hint naming the key and the grammar',
    (expression) => {
      const e = thrown(() => parseThresholds({ http_req_duration: [expression] }))
      expect(e.code).toBe('ERR_THRESHOLD_INVALID')
      expect(e.hint).toContain("thresholds['http_req_duration']")
      expect(e.hint).toMatch(/aggregation|p\(N\)/)
    },
  )
})

describe('k6 threshold values: strings or { threshold, abortOnFail }', () => {
  test('both forms, in key order, one entry per expression', () => {
    const parsed = parseThresholds({
      http_req_duration: ['p(95)<250', { threshold: 'p(99)<500', abortOnFail: true }],
      'gatecrash_block_rate{grading:must}': ['rate==1'],
    })
    expect(parsed.map((t) => [t.key, t.expression, t.abortOnFail])).toEqual([
      ['http_req_duration', 'p(95)<250', false],
      ['http_req_duration', 'p(99)<500', true],
      ['gatecrash_block_rate{grading:must}', 'rate==1', false],
    ])
    expect(parsed[2].filter).toEqual({ grading: 'must' })
  })

  test("k6's delayAbortEval: a k6 duration, in ms; 0 when absent", () => {
    const parsed = parseThresholds({ http_req_duration: ['p(95)<250', { threshold: 'p(99)<500', abortOnFail: true, delayAbortEval: '1m30s' }] })
    expect(parsed.map((t) => t.delayAbortEvalMs)).toEqual([0, 90_000])
  })

  test('delayAbortEval without abortOnFail: true would delay nothing → refused', () => {
    const e = thrown(() => parseThresholds({ http_req_duration: [{ threshold: 'p(95)<250', delayAbortEval: '10s' }] }))
    expect(e.code).toBe('ERR_THRESHOLD_INVALID')
    expect(e.message).toContain('delayAbortEval without abortOnFail')
  })

  test.each([
    [{ http_req_duration: [{ threshold: 'p(95)<250', abortOnFail: true, delayAbortEval: 'soon' }] }, 'is not a threshold'],
    [{ http_req_duration: 'p(95)<250' }, 'must be a list'],
    [{ http_req_duration: [{ threshold: 'p(95)<250', abortOnFail: 'yes' }] }, 'is not a threshold'],
    [{ http_req_duration: [{ threshold: 'p(95)<250', delay: 1 }] }, 'is not a threshold'],
    [{ http_req_duration: [42] }, 'is not a threshold'],
  ])('wrong types → ERR_THRESHOLD_INVALID (%j)', (map, message) => {
    const e = thrown(() => parseThresholds(map as never))
    expect(e.code).toBe('ERR_THRESHOLD_INVALID')
    expect(e.message).toContain(message)
  })
})

describe('k6 threshold evaluation', () => {
  function set() {
    const s = createMetricSet(10)
    for (let i = 1; i <= 100; i++) addSample(s, 'http_req_duration', 'trend', i, { kind: i <= 90 ? 'legit' : 'attack' })
    addSample(s, 'gatecrash_breaches', 'counter', 1, { case: 'escalate.tool-scope' })
    addSample(s, 'gatecrash_breaches', 'counter', 1, { case: 'escalate.tool-scope' })
    addSample(s, 'gatecrash_block_rate', 'rate', 1, { grading: 'must' })
    addSample(s, 'gatecrash_block_rate', 'rate', 0, { grading: 'should' })
    defineMetric(s, 'gatecrash_warns', 'counter')
    defineMetric(s, 'gatecrash_evidence_coverage', 'rate')
    return s
  }
  const evalOne = (key: string, expression: string) => evaluateThreshold(parseThresholds({ [key]: [expression] })[0], set())

  test('trend percentiles come from the HDR histogram (within its 3 significant digits)', () => {
    const r = evalOne('http_req_duration', 'p(95)<96')
    expect(r.ok).toBe(true)
    expect(r.observed).toBeCloseTo(95, 0)
    expect(evalOne('http_req_duration', 'max<=100').observed).toBeCloseTo(100, 0)
    expect(evalOne('http_req_duration', 'min>=1').ok).toBe(true)
    expect(evalOne('http_req_duration', 'avg<51').observed).toBeCloseTo(50.5, 0)
    expect(evalOne('http_req_duration', 'p(95)<90').ok).toBe(false)
  })

  test('a tag filter selects the sub-metric', () => {
    expect(evalOne('http_req_duration{kind:attack}', 'min>=91').ok).toBe(true)
    expect(evalOne('gatecrash_block_rate{grading:must}', 'rate==1')).toEqual({ ok: true, observed: 1 })
    expect(evalOne('gatecrash_block_rate', 'rate==1')).toEqual({ ok: false, observed: 0.5 })
  })

  test('counters: count sums, rate is per second of the run', () => {
    expect(evalOne('gatecrash_breaches', 'count==0')).toEqual({ ok: false, observed: 2 })
    expect(evalOne('gatecrash_breaches', 'rate<1')).toEqual({ ok: true, observed: 0.2 })
    expect(evalOne('gatecrash_breaches{case:replay.dpop-jti-reuse}', 'count==0')).toEqual({ ok: true, observed: 0 })
  })

  test('a counter never incremented reads 0; a rate without samples is not judged (observed null)', () => {
    expect(evalOne('gatecrash_warns', 'count==0')).toEqual({ ok: true, observed: 0 })
    expect(evalOne('gatecrash_evidence_coverage', 'rate==1')).toEqual({ ok: true, observed: null })
  })

  test('an unknown metric or an aggregation its type lacks is ERR_THRESHOLD_INVALID, not a silent pass', () => {
    const unknown = thrown(() => evalOne('gatecrash_breach', 'count==0'))
    expect(unknown.code).toBe('ERR_THRESHOLD_INVALID')
    expect(unknown.message).toContain("no metric named 'gatecrash_breach'")
    expect(unknown.hint).toContain('gatecrash_breaches')
    const wrongAgg = thrown(() => evalOne('gatecrash_block_rate', 'p(95)<1'))
    expect(wrongAgg.code).toBe('ERR_THRESHOLD_INVALID')
    expect(wrongAgg.hint).toContain('a rate takes rate')
    expect(thrown(() => evalOne('http_req_duration', 'count<5')).hint).toContain('a trend takes avg, min, max, med, p(N)')
  })
})
