/**
 * k6 execution segments over the population: with W workers, worker w owns the identities
 * [floor(w·N/W), floor((w+1)·N/W)) in provisioning order, so every index has exactly one owner and
 * segment sizes differ by at most one. An iteration belongs to the worker owning the identity its
 * seeded plan picks, which keeps the schedule itself independent of W.
 */

export interface Segment {
  index: number
  count: number
  /** identity indices [lo, hi) */
  lo: number
  hi: number
}

export function segmentOf(n: number, index: number, count: number): Segment {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new TypeError(`segment ${index} of ${count} does not exist`)
  }
  return { index, count, lo: Math.floor((index * n) / count), hi: Math.floor(((index + 1) * n) / count) }
}

/** The worker owning identity i: the largest w with floor(w·n/W) ≤ i, i.e. ceil((i+1)·W/n) − 1. */
export function ownerOf(i: number, n: number, count: number): number {
  if (i < 0 || i >= n) throw new TypeError(`identity ${i} is outside a population of ${n}`)
  return Math.min(count - 1, Math.ceil(((i + 1) * count) / n) - 1)
}

/**
 * Worker w's part of a VU count, split like k6 splits VU numbers across segments (the parts sum
 * to `total`), except that a worker never gets 0 of a non-zero count: it would own iterations and
 * have no VU to run them. With more workers than VUs the total therefore exceeds `total` by at most
 * W − 1.
 */
export function vuShare(total: number, index: number, count: number): number {
  if (total <= 0) return 0
  return Math.max(1, Math.floor(((index + 1) * total) / count) - Math.floor((index * total) / count))
}

/** An arrival-rate executor's VU pool for a segment holding `fraction` of the population: ceil, at least 1. */
export function poolShare(total: number, fraction: number): number {
  return Math.max(1, Math.ceil(total * fraction - 1e-9))
}
