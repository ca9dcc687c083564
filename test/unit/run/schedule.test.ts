/**
 * The attack schedule: attacks spread evenly through the run at the scenario's share, every selected
 * case dealt once per round (so each fires ⌊attacks / cases⌋ times or once more, early and late),
 * and the same seed giving the same schedule.
 */
import { describe, expect, test } from 'vitest'
import { CATALOG } from '../../../harness/attacks/catalog.ts'
import { scheduleIteration, type ScheduleInput } from '../../../harness/run/measure/schedule.ts'

const input = (over: Partial<ScheduleInput> = {}): ScheduleInput => ({ seed: 42, identities: 500, attackShare: 0.1, cases: CATALOG, ...over })
const run = (inp: ScheduleInput, iterations: number) => Array.from({ length: iterations }, (_, i) => scheduleIteration(inp, i))

describe('the attack schedule', () => {
  test('the share of iterations that attack is the scenario\'s, to the iteration', () => {
    for (const share of [0.1, 0.35, 0.5, 0.03]) {
      const plan = run(input({ attackShare: share }), 12_000)
      expect(plan.filter((p) => p.kind === 'attack').length).toBe(Math.floor(12_000 * share))
    }
    expect(run(input({ attackShare: 0 }), 1000).every((p) => p.kind === 'legit')).toBe(true)
    expect(run(input({ cases: [] }), 1000).every((p) => p.kind === 'legit')).toBe(true)
  })

  test('every case of the catalog fires ⌊attacks / cases⌋ times or once more, in each half of the run', () => {
    const plan = run(input(), 12_000)
    const counts = (part: typeof plan) => {
      const c = new Map<string, number>()
      for (const p of part) if (p.caseId) c.set(p.caseId, (c.get(p.caseId) ?? 0) + 1)
      return c
    }
    const all = counts(plan)
    expect(all.size).toBe(CATALOG.length)
    const per = Math.floor(1200 / CATALOG.length)
    for (const [id, n] of all) expect([per, per + 1], id).toContain(n)
    for (const half of [plan.slice(0, 6000), plan.slice(6000)]) expect(counts(half).size).toBe(CATALOG.length)
  })

  test('attacks are spread, not bunched: no gap between two attacks longer than 1/share iterations', () => {
    const at = run(input({ attackShare: 0.1 }), 5000).flatMap((p, i) => (p.kind === 'attack' ? [i] : []))
    const gaps = at.slice(1).map((x, k) => x - at[k])
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10)
  })

  test('one seed, one schedule; another seed deals the cases in another order', () => {
    expect(run(input(), 3000)).toEqual(run(input(), 3000))
    const order = (seed: number) => run(input({ seed }), 3000).flatMap((p) => (p.caseId ? [p.caseId] : []))
    expect(order(1)).not.toEqual(order(2))
  })
})
