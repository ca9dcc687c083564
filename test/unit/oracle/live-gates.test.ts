import { describe, expect, test } from 'vitest'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import type { AttackCase } from '../../../harness/contracts/attack-case.ts'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import { gradeRecords } from '../../../harness/run/grade-records.ts'
import { abortThresholds, LIVE_METRICS, LiveGates, liveGrade } from '../../../harness/oracle/live-gates.ts'
import { parseThresholds, type ThresholdMap } from '../../../harness/oracle/thresholds.ts'
import { attack, chain, legit, recordFor } from './fixtures.ts'

const upscope: AttackCase = { ...CATALOG[0], id: 'test.upscope', grading: 'must', judge: 'issued-token', expect: [{ status: 400, error: 'invalid_scope' }] }
const parallelMust: AttackCase = { ...CATALOG[0], id: 'test.parallel-must', grading: 'must', concurrency: true }
const catalog = [...CATALOG, upscope, parallelMust]
const caseOf = (a: AttemptRecord) => catalog.find((c) => c.id === a.case)
const accepted = { status: 200, error_code: null, challenge_scheme: null }

function thrown(f: () => unknown): any {
  try {
    f()
  } catch (e) {
    return e
  }
  throw new Error('expected a throw')
}

/** A LiveGates on a hand-driven clock; `at(ms)` moves it to ms into the measured phase. */
function gates(thresholds: ThresholdMap, extra: { userStop?: AbortSignal } = {}) {
  let t = 1_000_000
  const lines: string[] = []
  const live = new LiveGates({ thresholds, catalog, log: (l) => lines.push(l), now: () => t, ...extra })
  live.start()
  const start = t
  return { live, lines, at: (ms: number) => (t = start + ms) }
}

/** A legit attempt of `ms` latency (scheduled → ended). */
const slow = (seq: number, ms: number, over: Partial<AttemptRecord> = {}) => legit(seq, { ended_at: legit(seq).scheduled_at + ms, ...over })

describe('k6 abortOnFail: which metrics can be judged while the run goes', () => {
  const EXAMPLES: Record<string, string> = {
    http_req_duration: 'p(95)<100',
    http_req_failed: 'rate<0.01',
    http_reqs: 'rate>=50',
    deny_path_duration: 'max<250',
    gatecrash_attempts: 'count<100000',
    gatecrash_block_rate: 'rate==1',
    gatecrash_breaches: 'count==0',
    gatecrash_false_denies: 'count<5',
  }
  test('the list is exactly the metrics an example covers', () => {
    expect([...LIVE_METRICS].sort()).toEqual(Object.keys(EXAMPLES).sort())
  })
  test.each(Object.entries(EXAMPLES))('%s %s is accepted (the response alone decides it)', (metric, threshold) => {
    expect(abortThresholds(parseThresholds({ [metric]: [{ threshold, abortOnFail: true }] })).map((t) => t.metric)).toEqual([metric])
  })

  test('tag filters other than fault are accepted, and entries without abortOnFail are not live', () => {
    const live = abortThresholds(
      parseThresholds({
        'http_req_duration{kind:legit}': ['p(99)<50', { threshold: 'p(95)<10', abortOnFail: true }],
        'gatecrash_block_rate{grading:must}': [{ threshold: 'rate==1', abortOnFail: true }],
        gatecrash_evidence_coverage: ['rate==1'],
      }),
    )
    expect(live.map((t) => `${t.key} ${t.expression}`)).toEqual(['http_req_duration{kind:legit} p(95)<10', 'gatecrash_block_rate{grading:must} rate==1'])
  })

  test.each([
    ['gatecrash_evidence_coverage', 'rate==1', "target's evidence"],
    ['gatecrash_attribution_accuracy', 'rate==1', "target's evidence"],
    ['gatecrash_unrecorded', 'count==0', "target's evidence"],
    ['gatecrash_misattributed', 'count==0', "target's evidence"],
    ['gatecrash_legit_success', 'rate>=0.999', "target's evidence"],
    ['gatecrash_warns{case:replay.dpop-jti-reuse}', 'count==0', "target's evidence"],
    ['gatecrash_errors', 'count==0', "target's evidence"],
    ['dropped_iterations', 'count==0', 'when they finish'],
    ['http_req_duration{fault:no}', 'p(95)<100', 'fault window has closed'],
  ])('%s is refused: ERR_THRESHOLD_INVALID naming the key and listing what works', (key, expression, why) => {
    const e = thrown(() => abortThresholds(parseThresholds({ [key]: [{ threshold: expression, abortOnFail: true }] })))
    expect(e.code).toBe('ERR_THRESHOLD_INVALID')
    expect(e.message).toContain(`thresholds['${key}']`)
    expect(e.message).toContain(why)
    expect(e.hint).toContain(LIVE_METRICS.join(', '))
  })
})

describe('live grade: only what the response decides, never more breaches than the final grade', () => {
  test('an accepted MUST attack is a breach with no evidence at all', () => {
    expect(liveGrade(attack(1, 'escalate.tool-scope', accepted), caseOf(attack(1, 'escalate.tool-scope'))).verdict).toBe('breach')
  })

  test('issued-token case: a wider token is a breach, a lawful narrower one is not', () => {
    const granted = (scope: string[]) => attack(1, 'test.upscope', { ...accepted, issued: { scope, aud: 'rs' }, ceiling: { scope: ['tickets:read'], aud: 'rs' } })
    expect(liveGrade(granted(['tickets:read', 'refunds:write']), upscope).verdict).toBe('breach')
    expect(liveGrade(granted(['tickets:read']), upscope).verdict).toBe('pass')
  })

  test('a concurrency case is left to its group judge (the one accepted original is no breach)', () => {
    expect(liveGrade(attack(1, 'test.parallel-must', { ...accepted, group: 'g' }), parallelMust).verdict).toBe('pass')
  })

  test('a transport error proves nothing yet (an allow record could still make it a breach)', () => {
    const a = attack(1, 'escalate.tool-scope', { status: null, transport_error: 'ECONNRESET' })
    expect(liveGrade(a, caseOf(a)).verdict).toBe('pass')
  })

  test('a refused legitimate call is a false deny; an unknown case is not-covered', () => {
    expect(liveGrade(legit(1, { status: 403, error_code: 'insufficient_scope' }), undefined).verdict).toBe('false-deny')
    expect(liveGrade(attack(2, 'replay.no-such-case'), undefined).verdict).toBe('not-covered')
  })

  test('over mixed traffic, every live breach is a final breach', () => {
    const attempts = [
      legit(1),
      attack(2, 'escalate.tool-scope', accepted),
      attack(3, 'escalate.tool-scope'),
      attack(4, 'replay.dpop-jti-reuse', accepted),
      attack(5, 'escalate.tool-scope', { status: null, transport_error: 'ECONNRESET' }),
      attack(6, 'test.parallel-must', { ...accepted, group: 'g' }),
      attack(7, 'test.parallel-must', { ...accepted, group: 'g', ended_at: legit(7).ended_at + 5 }),
    ]
    const evidence = chain(attempts.map((a) => recordFor(a, a.status === 200 || a.transport_error ? { decision: 'allow', reason: 'ok' } : {})))
    const final = gradeRecords({ attempts, evidence, catalog }).attempts
    const live = attempts.map((a) => liveGrade(a, caseOf(a)))
    for (const [i, g] of live.entries()) if (g.verdict === 'breach') expect(final[i].verdict, `seq ${i + 1}`).toBe('breach')
    expect(live.filter((g) => g.verdict === 'breach').length).toBeLessThan(final.filter((g) => g.verdict === 'breach').length)
  })
})

describe('LiveGates: periodic evaluation over the attempts seen so far', () => {
  test('a crossing aborts the signal, logs one line and says why for run.json', () => {
    const { live, lines, at } = gates({ http_req_duration: [{ threshold: 'p(95)<5', abortOnFail: true }] })
    for (let i = 1; i <= 20; i++) live.observe(slow(i, 2))
    at(2_000)
    expect(live.check()).toBeUndefined()
    for (let i = 21; i <= 40; i++) live.observe(slow(i, 30))
    at(4_000)
    const crossing = live.check()
    expect(crossing?.threshold.key).toBe('http_req_duration')
    expect(crossing?.observed).toBeGreaterThan(29)
    expect(live.signal.aborted).toBe(true)
    expect(live.stopped).toMatch(/^aborted by threshold http_req_duration p\(95\)<5 \(abortOnFail\): observed 30(\.\d+)? after 4\.0 s$/)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('http_req_duration p(95)<5')
    // once aborted it stays quiet
    expect(live.check()).toBeUndefined()
    expect(lines).toHaveLength(1)
  })

  test('delayAbortEval postpones evaluation from the start of the measured phase', () => {
    const { live, at } = gates({ http_req_duration: [{ threshold: 'p(95)<5', abortOnFail: true, delayAbortEval: '10s' }] })
    live.observe(slow(1, 50))
    at(9_999)
    expect(live.check()).toBeUndefined()
    at(10_000)
    expect(live.check()?.observed).toBeGreaterThan(49)
  })

  test('tag filters select the same samples as the final gates', () => {
    const traffic = [slow(1, 2), slow(2, 3), attack(3, 'escalate.tool-scope', { ended_at: legit(3).scheduled_at + 80 })]
    const legitOnly = gates({ 'http_req_duration{kind:legit}': [{ threshold: 'p(95)<10', abortOnFail: true }] })
    const attacksOnly = gates({ 'http_req_duration{kind:attack}': [{ threshold: 'p(95)<10', abortOnFail: true }] })
    for (const a of traffic) (legitOnly.live.observe(a), attacksOnly.live.observe(a))
    legitOnly.at(2_000)
    attacksOnly.at(2_000)
    expect(legitOnly.live.check()).toBeUndefined()
    expect(attacksOnly.live.check()?.observed).toBeGreaterThan(79)
  })

  test('an accepted MUST attack trips gatecrash_breaches count==0; the block rate narrows by grading', () => {
    const breaches = gates({ gatecrash_breaches: [{ threshold: 'count==0', abortOnFail: true }] })
    const mustBlock = gates({ 'gatecrash_block_rate{grading:must}': [{ threshold: 'rate==1', abortOnFail: true }] })
    const traffic = [attack(1, 'escalate.tool-scope'), attack(2, 'replay.dpop-jti-reuse.parallel', { ...accepted, group: 'g' }), legit(3)]
    for (const a of traffic) (breaches.live.observe(a), mustBlock.live.observe(a))
    breaches.at(2_000)
    mustBlock.at(2_000)
    expect(breaches.live.check()).toBeUndefined()
    expect(mustBlock.live.check()).toBeUndefined()
    const breach = attack(4, 'escalate.tool-scope', accepted)
    breaches.live.observe(breach)
    mustBlock.live.observe(breach)
    expect(breaches.live.check()?.observed).toBe(1)
    expect(mustBlock.live.check()?.observed).toBe(0.5)
  })

  test("a counter's rate is per second of the phase so far", () => {
    const { live, at } = gates({ http_reqs: [{ threshold: 'rate>=10', abortOnFail: true }] })
    for (let i = 1; i <= 30; i++) live.observe(legit(i))
    at(2_000)
    expect(live.check()).toBeUndefined()
    at(4_000)
    expect(live.check()?.observed).toBe(7.5)
  })

  test('nothing is evaluated before start, after a user stop, or without abortOnFail', () => {
    const idle = new LiveGates({ thresholds: { http_req_duration: [{ threshold: 'p(95)<1', abortOnFail: true }] }, catalog, log: () => {} })
    idle.observe(slow(1, 50))
    expect(idle.check()).toBeUndefined()

    const user = new AbortController()
    const { live, at } = gates({ http_req_duration: [{ threshold: 'p(95)<1', abortOnFail: true }] }, { userStop: user.signal })
    live.observe(slow(1, 50))
    at(2_000)
    user.abort()
    expect(live.check()).toBeUndefined()
    expect(live.stopped).toBeUndefined()

    const plain = gates({ http_req_duration: ['p(95)<1'] })
    plain.live.observe(slow(1, 50))
    plain.at(2_000)
    expect(plain.live.thresholds).toEqual([])
    expect(plain.live.check()).toBeUndefined()
  })

  test('the timer checks on its own once started', async () => {
    const live = new LiveGates({ thresholds: { http_req_duration: [{ threshold: 'p(95)<1', abortOnFail: true }] }, catalog, log: () => {}, intervalMs: 10 })
    live.start()
    live.observe(slow(1, 50))
    await new Promise((resolve) => live.signal.addEventListener('abort', resolve, { once: true }))
    expect(live.stopped).toContain('http_req_duration p(95)<1')
  })
})
