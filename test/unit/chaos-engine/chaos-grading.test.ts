/**
 * The chaos gates over synthetic graded runs: one row per fault window, named after it, that fails
 * when an attack got through during the window (fail open) or an attempt made during it has neither
 * a record nor a recorded gap; a 503 fail-closed refusal during a fault is a pass.
 */
import { describe, expect, test } from 'vitest'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import type { AttemptRecord } from '../../../harness/contracts/attempt.ts'
import { metricWindows } from '../../../harness/oracle/faults/windows.ts'
import { planWindow } from '../../../harness/chaos/windows.ts'
import type { FaultWindowRecord } from '../../../harness/contracts/fault-window.ts'
import { Fault, type FaultSpec } from '../../../harness/chaos/fault.ts'
import type { EvidenceRecord } from '../../../harness/contracts/evidence.ts'
import { gradeRecords } from '../../../harness/run/grade-records.ts'
import type { ThresholdMap } from '../../../harness/oracle/thresholds.ts'
import { attack, chain, legit, recordFor, T0 } from '../oracle/fixtures.ts'

/** A window as the scheduler leaves it: planned offsets from T0, in effect exactly as planned. */
function window(spec: FaultSpec, index = 0): FaultWindowRecord {
  const w = planWindow(spec, index, spec.kind)
  return { ...w, t0: T0, start: T0 + w.at_ms, end: T0 + w.at_ms + w.for_ms, healed: true }
}

// fixtures: attempt seq n is scheduled at T0 + n·100 ms and in flight for [+1, +11] ms
const PAUSE = Fault.pause({ component: 'replay-store', at: '1s', for: '1s' }) // seqs 10–19
const LATENCY = Fault.latency({ component: 'jwks', ms: 800, at: '3s', for: '1s' }) // seqs 30–39

/**
 * The one grader with the fault windows folded in, as a run grades (run/grade-records.ts over an
 * in-memory run store): the chaos half of the outcome, plus the windows metric samples are tagged with.
 */
function gradeWithFaults(attempts: AttemptRecord[], evidence: EvidenceRecord[], windows: FaultWindowRecord[], thresholds?: ThresholdMap) {
  const g = gradeRecords({ attempts, evidence, catalog: CATALOG, faults: windows, thresholds })
  return { ...g.faults, graded: g.attempts, metricWindows: metricWindows(windows.filter((w) => w.error === null)) }
}

function run(attempts: AttemptRecord[], evidence: EvidenceRecord[], specs: FaultSpec[], thresholds?: ThresholdMap) {
  return gradeWithFaults(attempts, evidence, specs.map(window), thresholds)
}

const rows = (gates: { metric: string; ok: boolean; observed: number | null; cases: string[] }[]) => gates.map((x) => [x.metric, x.ok, x.observed, x.cases])

describe('chaos gates', () => {
  test('a correct run: every window holds, one breach row and one evidence row per window', () => {
    const attempts = [legit(5), attack(12, 'escalate.tool-scope'), legit(15), attack(33, 'unattributed.no-credential'), legit(50)]
    const out = run(attempts, chain(attempts.map((a) => recordFor(a))), [PAUSE, LATENCY])
    expect(rows(out.gates)).toEqual([
      ['gatecrash_breaches{fault:pause replay-store 1s–2s}', true, 0, []],
      ['gatecrash_evidence_complete{fault:pause replay-store 1s–2s}', true, 1, []],
      ['gatecrash_breaches{fault:latency jwks 3s–4s}', true, 0, []],
      ['gatecrash_evidence_complete{fault:latency jwks 3s–4s}', true, 1, []],
    ])
    expect(out.gates.every((x) => x.window)).toBe(true)
    expect(out.faults.map((f) => [f.id, f.label, f.during.attempts, f.during.block_rate, f.during.legit_success])).toEqual([
      ['f1', 'pause replay-store 1s–2s', 2, 1, 1],
      ['f2', 'latency jwks 3s–4s', 1, 1, null],
    ])
    expect(out.metricWindows).toEqual([
      { start: T0 + 1000 - 1000, end: T0 + 2000 },
      { start: T0 + 3000 - 1000, end: T0 + 4000 },
    ])
  })

  test('a breach during a window fails that window\'s row, naming it and the case', () => {
    const attempts = [legit(5), attack(14, 'escalate.tool-scope', { status: 200, error_code: null, challenge_scheme: null }), attack(33, 'escalate.tool-scope')]
    const out = run(attempts, chain(attempts.map((a) => recordFor(a))), [PAUSE, LATENCY])
    const failed = out.gates.filter((x) => !x.ok)
    expect(rows(failed)).toEqual([['gatecrash_breaches{fault:pause replay-store 1s–2s}', false, 1, ['escalate.tool-scope']]])
    expect(failed[0].window).toBe('pause replay-store 1s–2s')
    expect(failed[0].detail).toMatch(/failed open: 1 attack\(s\) accepted during pause replay-store 1s–2s: trace trace0014 \(escalate.tool-scope: breach\)/)
    expect(out.faults[0].during.breaches).toBe(1)
    expect(out.timeline[1]).toMatchObject({ t_s: 1, breaches: 1, faults: ['f1'] })
  })

  test('a SHOULD case the scenario raised to a gate fails open when accepted during a fault — unless its original was refused', () => {
    const replay = (seq: number) => attack(seq, 'replay.dpop-jti-reuse', { status: 200, error_code: null, challenge_scheme: null, group: `replay-${seq}` })
    const original = (seq: number, status: number) => legit(seq, { group: `replay-${seq + 1}`, status })
    const attempts = [original(11, 200), replay(12), original(15, 503), replay(16)]
    const evidence = chain(attempts.map((a) => recordFor(a, a.status === 503 ? { reason: 'system.replay_store_unavailable' } : {})))
    const raised = { 'gatecrash_warns{case:replay.dpop-jti-reuse,fault:no}': ['count==0'] }
    const out = run(attempts, evidence, [PAUSE], raised)
    const breach = out.gates.find((x) => x.metric.startsWith('gatecrash_breaches'))!
    expect([breach.ok, breach.observed, breach.cases]).toEqual([false, 1, ['replay.dpop-jti-reuse']])
    expect(breach.detail).toContain('trace0012')
    // not raised: a warn stays a warn, not a window failure
    expect(run(attempts, evidence, [PAUSE]).gates.every((x) => x.ok)).toBe(true)
  })

  test('an attempt made during a fault without a record fails evidence completeness, naming window and case', () => {
    const attempts = [legit(11), attack(12, 'escalate.tool-scope'), attack(13, 'unattributed.no-credential'), attack(40, 'escalate.tool-scope')]
    const evidence = chain(attempts.filter((a) => a.seq !== 12 && a.seq !== 40).map((a) => recordFor(a)))
    const out = run(attempts, evidence, [PAUSE])
    const failed = out.gates.filter((x) => !x.ok)
    expect(rows(failed)).toEqual([['gatecrash_evidence_complete{fault:pause replay-store 1s–2s}', false, 2 / 3, ['escalate.tool-scope']]])
    expect(failed[0].detail).toMatch(/1 attempt\(s\) made during pause replay-store 1s–2s have no evidence record and no recorded gap: trace trace0012/)
    expect(out.faults[0].during.unrecorded).toBe(1)
  })

  test('the target\'s evidence-gap record covers the attempts it lost during a window, up to its count', () => {
    const attempts = [legit(11), attack(12, 'escalate.tool-scope'), legit(13), legit(40)]
    const kept = attempts.filter((a) => a.seq === 11).map((a) => recordFor(a))
    const gap = {
      component: 'rs-1/0',
      ts: new Date(T0 + 2500).toISOString(),
      decision: 'deny' as const,
      reason: 'system.evidence_gap',
      status: 0,
      detail: { cause: 'writer_restarted', lost_count: 2, undelivered_since: new Date(T0 + 1100).toISOString() },
    }
    const out = run(attempts, chain([...kept, gap]), [PAUSE])
    // 12 and 13 covered (count 2); 40 is outside every window and stays unrecorded
    expect(out.gates.every((x) => x.ok)).toBe(true)
    expect(out.faults[0].during).toMatchObject({ unrecorded: 0, gap_covered: 2 })
    const bySeq = new Map(out.graded.map((g) => [g.seq, g]))
    expect(bySeq.get(12)).toMatchObject({ verdict: 'pass', matched: true, evidence_id: 'ev_2' })
    expect(bySeq.get(12)!.why).toContain('covered by evidence-gap record ev_2 from rs-1/0 (2 records lost)')
    expect(bySeq.get(40)!.verdict).toBe('unrecorded')
    // a count of 1 covers one attempt only
    const one = run(attempts, chain([...kept, { ...gap, detail: { ...gap.detail, lost_count: 1 } }]), [PAUSE])
    expect(one.faults[0].during).toMatchObject({ unrecorded: 1, gap_covered: 1 })
  })

  test('a 503 fail-closed refusal recorded as system.* during a fault is a pass; the same outside a window is not', () => {
    const closed = { status: 503, error_code: 'temporarily_unavailable', challenge_scheme: null }
    const attempts = [attack(12, 'escalate.tool-scope', closed), attack(60, 'escalate.tool-scope', closed)]
    const evidence = chain(attempts.map((a) => recordFor(a, { reason: 'system.replay_store_unavailable', status: 503 })))
    const out = run(attempts, evidence, [PAUSE])
    const bySeq = new Map(out.graded.map((g) => [g.seq, g]))
    expect(bySeq.get(12)).toMatchObject({ verdict: 'pass', faithful: true })
    expect(bySeq.get(12)!.why).toMatch(/refused during pause replay-store 1s–2s \(fail closed\): 503 temporarily_unavailable, deny record ev_1 \(system.replay_store_unavailable\)/)
    expect(bySeq.get(60)!.verdict).toBe('misattributed')
  })

  test('a fault that could not be injected fails its own row; one never reached has none', () => {
    const failed = { ...window(PAUSE), error: 'injection failed: boom', healed: false }
    const never = { ...planWindow(LATENCY, 1, 'latency') }
    const out = gradeWithFaults([legit(1)], [], [failed, never])
    expect(rows(out.gates)).toEqual([['gatecrash_fault_injected{fault:pause replay-store 1s–2s}', false, 0, []]])
    expect(out.metricWindows).toEqual([])
  })

  test('time to recover is gated only where the scenario set recoverWithin', () => {
    const kill = Fault.kill({ component: 'rs-1/0', at: '1s', for: '1s', recoverWithin: '1s' })
    // after the heal at T0+2s: second 0 (seqs 20–29) fails, second 1 (30–39) passes
    const attempts = [...Array.from({ length: 10 }, (_, i) => legit(20 + i, { status: 503 })), ...Array.from({ length: 10 }, (_, i) => legit(30 + i))]
    const evidence = chain(attempts.map((a) => recordFor(a)))
    const out = run(attempts, evidence, [kill])
    const ttr = out.gates.find((x) => x.metric.startsWith('gatecrash_time_to_recover'))!
    expect([ttr.metric, ttr.expression, ttr.ok, ttr.observed, ttr.source]).toEqual(['gatecrash_time_to_recover{fault:kill rs-1/0 1s–2s}', 'value<=1', true, 1, 'scenario'])
    expect(out.faults[0]).toMatchObject({ ttr_s: 1, recovered: true, recover_within_s: 1 })
    const strict = run(attempts, evidence, [{ ...kill, recoverWithin: '0s' }])
    expect(strict.gates.find((x) => x.metric.startsWith('gatecrash_time_to_recover'))).toMatchObject({ ok: false, observed: 1 })
    expect(run(attempts, evidence, [Fault.kill({ component: 'rs-1/0', at: '1s', for: '1s' })]).gates.some((x) => x.metric.startsWith('gatecrash_time_to_recover'))).toBe(false)
  })

  test('the timeline has one bucket per second with the faults in effect', () => {
    const attempts = [legit(1), attack(12, 'escalate.tool-scope'), legit(25)]
    const out = run(attempts, chain(attempts.map((a) => recordFor(a))), [PAUSE])
    expect(out.timeline.map((b) => [b.t_s, b.attempts, b.faults])).toEqual([[0, 1, []], [1, 1, ['f1']], [2, 1, ['f1']]])
    expect(out.timeline[1]).toMatchObject({ block_rate: 1, legit_success: null, breaches: 0 })
  })

  test('no faults: nothing changes, nothing added', () => {
    const attempts = [legit(1)]
    const out = gradeWithFaults(attempts, [], [])
    expect(out).toMatchObject({ gates: [], faults: [], timeline: [], metricWindows: [] })
    expect(out.graded).toEqual(gradeRecords({ attempts, evidence: [] }).attempts)
  })
})

describe('time to recover with faults back to back', () => {
  test('failures while another fault is hitting the traffic do not count against this one\'s recovery', () => {
    const first = Fault.blackhole({ component: 'jwks', at: '1s', for: '1s', recoverWithin: '1s' })
    const next = Fault.pause({ component: 'replay-store', at: '2500ms', for: '1s' })
    // the first heals at T0+2s; the second is in effect 2.5–3.5 s (its in-flight lead reaches back to
    // 1.5 s) and refuses seqs 25–34: those failures are the second's, not a slow recovery of the first
    const attempts = Array.from({ length: 20 }, (_, i) => legit(20 + i, i >= 5 && i < 15 ? { status: 503 } : {}))
    const out = run(attempts, chain(attempts.map((a) => recordFor(a))), [first, next])
    expect(out.faults[0]).toMatchObject({ ttr_s: 0, recovered: true })
    expect(out.gates.find((x) => x.metric === 'gatecrash_time_to_recover{fault:blackhole jwks 1s–2s}')).toMatchObject({ ok: true, observed: 0 })
    // counted against it, the second fault's refusals would have made the first look unrecovered
    expect(run(attempts, chain(attempts.map((a) => recordFor(a))), [first]).faults[0]).toMatchObject({ ttr_s: null, recovered: false })
  })
})
