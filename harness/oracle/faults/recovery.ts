/**
 * Time to recover: after a fault heals, how long until legitimate success is back above its
 * threshold, measured in 1 s buckets of scheduled time (the open model's clock, so a stalled target
 * cannot hide behind slow responses). Bucket k covers [healed + k s, healed + (k+1) s); the time to
 * recover is the first k whose legitimate attempts succeed at the threshold rate or better.
 *
 * @example
 * ```ts
 * const r = new RecoveryTracker(healedAt)
 * r.add(healedAt + 200, false); r.add(healedAt + 1200, true)
 * r.result(0.999)   // → { ttr_s: 1, recovered: true }
 * ```
 */
import { parseThresholdExpression, parseThresholdKey, type ThresholdMap } from '../thresholds.ts'

export interface Recovery {
  /** whole seconds after healing; null when there was no legitimate traffic to tell, or it never recovered */
  ttr_s: number | null
  /** null when no legitimate attempt came after the heal */
  recovered: boolean | null
}

export const DEFAULT_LEGIT_THRESHOLD = 0.999

/** Legitimate outcomes after one fault healed, in 1 s buckets (streamed in any order). */
export class RecoveryTracker {
  readonly healedAt: number
  readonly #buckets = new Map<number, { n: number; ok: number }>()

  constructor(healedAt: number) {
    this.healedAt = healedAt
  }

  /** `at`: epoch ms the legitimate attempt was scheduled; `ok`: graded pass. */
  add(at: number, ok: boolean): void {
    if (at < this.healedAt) return
    const k = Math.floor((at - this.healedAt) / 1000)
    const b = this.#buckets.get(k) ?? { n: 0, ok: 0 }
    b.n++
    if (ok) b.ok++
    this.#buckets.set(k, b)
  }

  result(threshold: number): Recovery {
    if (this.#buckets.size === 0) return { ttr_s: null, recovered: null }
    for (const k of [...this.#buckets.keys()].sort((x, y) => x - y)) {
      const b = this.#buckets.get(k)!
      if (b.ok / b.n >= threshold) return { ttr_s: k, recovered: true }
    }
    return { ttr_s: null, recovered: false }
  }
}

export function timeToRecover(healedAt: number, samples: Iterable<{ at: number; ok: boolean }>, threshold: number): Recovery {
  const t = new RecoveryTracker(healedAt)
  for (const s of samples) t.add(s.at, s.ok)
  return t.result(threshold)
}

/**
 * The legitimate-success threshold a fault must recover to: the scenario's
 * `gatecrash_legit_success{fault:no}` (or unfiltered) `rate>=x` / `rate>x`, else docs/architecture.md's 99.9 %.
 */
export function legitThreshold(thresholds: ThresholdMap = {}): number {
  let best: { score: number; value: number } | null = null
  for (const [key, list] of Object.entries(thresholds)) {
    let parsed: ReturnType<typeof parseThresholdKey>
    try {
      parsed = parseThresholdKey(key)
    } catch {
      continue
    }
    if (parsed.metric !== 'gatecrash_legit_success') continue
    const tags = Object.keys(parsed.filter)
    const score = tags.length === 0 ? 1 : tags.length === 1 && parsed.filter.fault === 'no' ? 2 : 0
    if (score === 0) continue
    for (const item of list) {
      const expr = typeof item === 'string' ? item : item.threshold
      try {
        const e = parseThresholdExpression(expr, key)
        if (e.aggregation.kind === 'rate' && (e.op === '>=' || e.op === '>') && (!best || score > best.score)) best = { score, value: e.value }
      } catch {
        // a broken expression fails the scenario's validation, not this
      }
    }
  }
  return best?.value ?? DEFAULT_LEGIT_THRESHOLD
}
