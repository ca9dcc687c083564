/**
 * What happened while each fault was in effect, accumulated attempt by attempt as the oracle
 * streams graded attempts: volume, latency, block rate, legitimate success, attacks that got
 * through (fail open) and attempts left without evidence. Feeds the chaos gates and run.json's
 * `faults[].during`.
 */
import type { AttemptRecord } from '../../contracts/attempt.ts'
import type { AttackCase } from '../../contracts/attack-case.ts'
import { attemptTags } from '../metrics.ts'
import { parseThresholdKey, type ThresholdMap } from '../thresholds.ts'
import type { GradedAttempt } from '../../contracts/verdict.ts'
import { overlaps } from './windows.ts'
import type { FaultWindowRecord } from '../../contracts/fault-window.ts'
import { attackHeld, legitServed } from '../grade-attempt.ts'

export interface Judged {
  a: AttemptRecord
  g: GradedAttempt
}

/** A trace id and case, kept for the gates' examples (a few per window, plus the set of cases). */
export interface Example {
  trace_id: string
  what: string
  verdict: string
}

const MAX_EXAMPLES = 3

/** Latencies in ~2 % wide log buckets: a percentile in constant memory, however long the run. */
export class LogHistogram {
  readonly #counts = new Map<number, number>()
  #n = 0

  add(ms: number): void {
    const k = ms <= 0 ? 0 : Math.ceil(Math.log(ms) / Math.LN2 * 35)
    this.#counts.set(k, (this.#counts.get(k) ?? 0) + 1)
    this.#n++
  }

  get count(): number {
    return this.#n
  }

  /** Nearest rank over buckets, reported as the bucket's upper bound; null when empty. */
  percentile(p: number): number | null {
    if (this.#n === 0) return null
    const rank = Math.max(1, Math.ceil((p / 100) * this.#n))
    let seen = 0
    for (const k of [...this.#counts.keys()].sort((x, y) => x - y)) {
      seen += this.#counts.get(k)!
      if (seen >= rank) return k === 0 ? 0 : 2 ** (k / 35)
    }
    return null
  }
}

export class Tally {
  count = 0
  readonly examples: Example[] = []
  readonly cases = new Set<string>()

  add(j: Judged): void {
    this.count++
    if (j.a.kind === 'attack' && j.a.case) this.cases.add(j.a.case)
    if (this.examples.length < MAX_EXAMPLES) this.examples.push({ trace_id: j.a.trace_id, what: j.a.case ?? `legit ${j.a.tool}`, verdict: j.g.verdict })
  }
}

export interface WindowStats {
  window: FaultWindowRecord
  attempts: number
  latency: LogHistogram
  attacksAnswered: number
  attacksBlocked: number
  legit: number
  legitOk: number
  /** attacks accepted that a gate forbids */
  failOpen: Tally
  /** attempts that should have evidence (not errors, not not-covered) */
  judged: number
  unrecorded: Tally
  gapCovered: number
}

const is2xx = (s: number | null): boolean => s !== null && s >= 200 && s < 300

/**
 * Tag filters of the scenario's `gatecrash_warns` gates: a SHOULD/MAY case raised to a gate (the
 * jti-reuse rule most boards raise) counts as failing open when it is accepted during a fault.
 */
export function raisedWarnFilters(thresholds: ThresholdMap = {}): Record<string, string>[] {
  const out: Record<string, string>[] = []
  for (const key of Object.keys(thresholds)) {
    try {
      const { metric, filter } = parseThresholdKey(key)
      if (metric !== 'gatecrash_warns') continue
      out.push(Object.fromEntries(Object.entries(filter).filter(([k]) => k !== 'fault')))
    } catch {
      // invalid keys fail scenario validation
    }
  }
  return out
}

/** An attack a correct target refuses, accepted: a MUST case (breach), or a warn the scenario gates. */
export function failsOpen(j: Judged, c: AttackCase | undefined, raised: readonly Record<string, string>[]): boolean {
  if (j.g.verdict === 'breach') return true
  if (j.g.verdict !== 'warn' || j.a.kind !== 'attack' || !is2xx(j.a.status) || c?.control) return false
  const tags = attemptTags(j.a, c)
  return raised.some((f) => Object.entries(f).every(([k, v]) => (tags[k] ?? '') === v))
}

export class WindowStatsBuilder {
  readonly stats: WindowStats[]
  readonly #raised: Record<string, string>[]
  readonly #caseById: ReadonlyMap<string, AttackCase>

  constructor(windows: readonly FaultWindowRecord[], catalog: readonly AttackCase[], thresholds?: ThresholdMap) {
    this.#raised = raisedWarnFilters(thresholds)
    this.#caseById = new Map(catalog.map((c) => [c.id, c]))
    this.stats = windows.map((window) => ({
      window, attempts: 0, latency: new LogHistogram(), attacksAnswered: 0, attacksBlocked: 0, legit: 0, legitOk: 0, failOpen: new Tally(), judged: 0, unrecorded: new Tally(), gapCovered: 0,
    }))
  }

  caseOf(a: AttemptRecord): AttackCase | undefined {
    return a.case === undefined ? undefined : this.#caseById.get(a.case)
  }

  failsOpen(j: Judged): boolean {
    return j.a.kind === 'attack' && failsOpen(j, this.caseOf(j.a), this.#raised)
  }

  /**
   * `gap`: the attempt has no record of its own but a recorded evidence gap covers it; `open`: an
   * attack accepted that a gate forbids (ChaosGrading decides).
   */
  add(j: Judged, gap: boolean, open: boolean): void {
    const { a, g } = j
    for (const s of this.stats) {
      if (!overlaps(s.window, a.started_at, a.ended_at || a.started_at)) continue
      s.attempts++
      if (a.status !== null) s.latency.add(Math.max(0, a.ended_at - a.scheduled_at))
      if (a.kind === 'attack') {
        if (a.status !== null && g.verdict !== 'not-covered') {
          s.attacksAnswered++
          if (attackHeld(a, g)) s.attacksBlocked++
        }
        if (open) s.failOpen.add(j)
      } else {
        s.legit++
        if (legitServed(a)) s.legitOk++
      }
      if (g.verdict !== 'not-covered' && g.verdict !== 'error') {
        s.judged++
        if (!g.matched) s.unrecorded.add(j)
        else if (gap) s.gapCovered++
      }
    }
  }
}
