/**
 * Time to recover: 1 s buckets of scheduled time after the heal; the first bucket whose legitimate
 * success meets the threshold is the time to recover.
 */
import { describe, expect, test } from 'vitest'
import { DEFAULT_LEGIT_THRESHOLD, legitThreshold, timeToRecover } from '../../../harness/oracle/faults/recovery.ts'

const HEAL = 1_000_000

/** `n` legit attempts spread over second k after the heal, `ok` of them passing. */
function second(k: number, n: number, ok: number) {
  return Array.from({ length: n }, (_, i) => ({ at: HEAL + k * 1000 + Math.floor((i * 1000) / n), ok: i < ok }))
}

describe('time to recover', () => {
  test('success never dropped: 0 s', () => {
    expect(timeToRecover(HEAL, [...second(0, 10, 10), ...second(1, 10, 10)], 0.999)).toEqual({ ttr_s: 0, recovered: true })
  })

  test('the first 1 s bucket back at the threshold counts, not a better one later', () => {
    const samples = [...second(0, 10, 2), ...second(1, 10, 9), ...second(2, 10, 10), ...second(3, 10, 10)]
    expect(timeToRecover(HEAL, samples, 0.999)).toEqual({ ttr_s: 2, recovered: true })
    expect(timeToRecover(HEAL, samples, 0.9)).toEqual({ ttr_s: 1, recovered: true })
  })

  test('attempts before the heal are ignored; empty seconds are skipped', () => {
    const before = Array.from({ length: 50 }, (_, i) => ({ at: HEAL - 1 - i, ok: true }))
    expect(timeToRecover(HEAL, [...before, ...second(0, 5, 0), ...second(4, 5, 5)], 0.999)).toEqual({ ttr_s: 4, recovered: true })
  })

  test('never back above the threshold: not recovered; no traffic after: unknown', () => {
    expect(timeToRecover(HEAL, [...second(0, 10, 5), ...second(1, 10, 9)], 0.999)).toEqual({ ttr_s: null, recovered: false })
    expect(timeToRecover(HEAL, [{ at: HEAL - 5, ok: false }], 0.999)).toEqual({ ttr_s: null, recovered: null })
  })

  test('the threshold is the scenario\'s legit-success gate, else docs/architecture.md\'s 99.9 %', () => {
    expect(legitThreshold()).toBe(DEFAULT_LEGIT_THRESHOLD)
    expect(legitThreshold({ 'gatecrash_legit_success{fault:no}': ['rate>=0.95'] })).toBe(0.95)
    expect(legitThreshold({ gatecrash_legit_success: ['rate>0.9'], 'gatecrash_legit_success{fault:no}': ['rate>=0.97'] })).toBe(0.97)
    expect(legitThreshold({ 'gatecrash_legit_success{tool:x}': ['rate>=0.5'] })).toBe(DEFAULT_LEGIT_THRESHOLD)
  })
})
