import { describe, expect, it } from 'vitest'
import { ownerOf, poolShare, segmentOf, vuShare } from '../../../harness/load/workers/segments.ts'

describe('execution segments over the population', () => {
  for (const n of [1, 2, 3, 7, 10, 40, 97, 1000, 49_999]) {
    it(`covers each of ${n} identities exactly once for 1..8 workers, and ownerOf agrees`, () => {
      for (let count = 1; count <= 8; count++) {
        const seen = new Array<number>(n).fill(0)
        let prevHi = 0
        let wrongOwner = 0
        for (let w = 0; w < count; w++) {
          const s = segmentOf(n, w, count)
          expect(s.lo).toBe(prevHi)
          prevHi = s.hi
          // contiguous and balanced: sizes differ by at most one
          expect(s.hi - s.lo).toBeGreaterThanOrEqual(Math.floor(n / count))
          expect(s.hi - s.lo).toBeLessThanOrEqual(Math.ceil(n / count))
          for (let i = s.lo; i < s.hi; i++) {
            seen[i]++
            if (ownerOf(i, n, count) !== w) wrongOwner++
          }
        }
        expect(wrongOwner).toBe(0)
        expect(prevHi).toBe(n)
        expect(seen.every((x) => x === 1)).toBe(true)
      }
    })
  }

  it('one worker owns everything', () => {
    expect(segmentOf(123, 0, 1)).toEqual({ index: 0, count: 1, lo: 0, hi: 123 })
    expect(ownerOf(122, 123, 1)).toBe(0)
  })

  it('refuses a segment that does not exist and an identity outside the population', () => {
    expect(() => segmentOf(10, 3, 3)).toThrow(TypeError)
    expect(() => segmentOf(10, 0, 0)).toThrow(TypeError)
    expect(() => ownerOf(10, 10, 2)).toThrow(TypeError)
  })

  it('splits VU counts like k6 segments (sums to the total), never giving a worker 0 of a non-zero count', () => {
    for (const total of [1, 2, 3, 5, 64, 100]) {
      for (let count = 1; count <= 8; count++) {
        const parts = Array.from({ length: count }, (_, w) => vuShare(total, w, count))
        expect(parts.every((p) => p >= 1)).toBe(true)
        if (total >= count) expect(parts.reduce((a, b) => a + b, 0)).toBe(total)
        else expect(parts.reduce((a, b) => a + b, 0)).toBe(count)
      }
    }
    expect(vuShare(0, 1, 3)).toBe(0)
  })

  it('gives arrival-rate workers a VU pool proportional to their segment (ceil, at least 1)', () => {
    expect(poolShare(20, 1 / 3)).toBe(7)
    expect(poolShare(20, 0.5)).toBe(10)
    expect(poolShare(1, 0.01)).toBe(1)
    expect(poolShare(64, 1)).toBe(64)
  })
})
