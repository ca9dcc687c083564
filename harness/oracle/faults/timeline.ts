/**
 * The run's timeline in 1 s buckets of scheduled time (from the start of the measured phase):
 * volume, p95 latency, block rate, legitimate success and breaches per second, with the faults in
 * effect, so the report can show each fault window beside what the target did meanwhile. Built
 * attempt by attempt as the oracle streams them.
 */
import type { TimelineBucket } from '../../contracts/run-json.ts'
import { LogHistogram, type Judged } from './window-stats.ts'
import type { FaultWindowRecord } from '../../contracts/fault-window.ts'
import { attackHeld, legitServed } from '../grade-attempt.ts'

interface Acc {
  attempts: number
  legit: number
  legitOk: number
  attacks: number
  answered: number
  blocked: number
  breaches: number
  errors: number
  latency: LogHistogram
}

/** Buckets never exceed this many (a 6 h soak); later attempts count in the last one. */
export const MAX_BUCKETS = 21_600

const empty = (): Acc => ({ attempts: 0, legit: 0, legitOk: 0, attacks: 0, answered: 0, blocked: 0, breaches: 0, errors: 0, latency: new LogHistogram() })

export class TimelineBuilder {
  readonly #windows: readonly FaultWindowRecord[]
  readonly #buckets: Acc[] = []
  #start: number | null

  /** `t0`: epoch ms the measured phase started; default the schedule's, else the first attempt's scheduled time. */
  constructor(windows: readonly FaultWindowRecord[], t0?: number) {
    this.#windows = windows
    this.#start = t0 ?? windows.find((w) => w.t0 !== null)?.t0 ?? null
  }

  add(j: Judged, breach: boolean): void {
    const { a, g } = j
    this.#start ??= a.scheduled_at
    const k = Math.min(MAX_BUCKETS - 1, Math.max(0, Math.floor((a.scheduled_at - this.#start) / 1000)))
    while (this.#buckets.length <= k) this.#buckets.push(empty())
    const b = this.#buckets[k]
    b.attempts++
    if (a.status !== null) b.latency.add(Math.max(0, a.ended_at - a.scheduled_at))
    if (g.verdict === 'error') b.errors++
    if (a.kind === 'legit') {
      b.legit++
      if (legitServed(a)) b.legitOk++
      return
    }
    b.attacks++
    if (a.status !== null && g.verdict !== 'not-covered') {
      b.answered++
      if (attackHeld(a, g)) b.blocked++
    }
    if (breach) b.breaches++
  }

  build(): TimelineBucket[] {
    const start = this.#start
    if (start === null) return []
    // A window that outlasted the last attempt still shows on the timeline.
    const lastEnd = Math.max(0, ...this.#windows.map((w) => (w.start === null ? 0 : (w.end ?? w.start + w.for_ms) - start)))
    while (this.#buckets.length < Math.min(MAX_BUCKETS, Math.ceil(lastEnd / 1000))) this.#buckets.push(empty())
    return this.#buckets.map((b, t) => {
      const from = start + t * 1000
      const to = from + 1000
      return {
        t_s: t,
        attempts: b.attempts,
        legit: b.legit,
        attacks: b.attacks,
        p95_ms: b.latency.percentile(95),
        block_rate: b.answered === 0 ? null : b.blocked / b.answered,
        legit_success: b.legit === 0 ? null : b.legitOk / b.legit,
        breaches: b.breaches,
        errors: b.errors,
        faults: this.#windows.filter((w) => w.start !== null && w.start < to && (w.end ?? w.start + w.for_ms) >= from).map((w) => w.id),
      }
    })
  }
}
