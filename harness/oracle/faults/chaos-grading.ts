/**
 * The oracle side of a run's faults. The oracle streams graded attempts (oracle/grade-stream.ts);
 * `adjust(a, g)` sees each one once, applies recorded evidence gaps to it and accumulates it into
 * the fault windows, the timeline and the time-to-recover buckets; `finish()` then gives the chaos
 * gates, run.json's `faults` and `timeline`. `metricWindows` tag metric samples `fault:yes`.
 * Pure (no clock, no I/O): `gatecrash report` re-grades a chaos run from context.json's `faults`
 * the same way.
 *
 * `adjust` must run before metrics and the case table see the attempt (grade-stream.ts emit), so
 * fail-closed refusals and recorded gaps count the same everywhere.
 *
 * @example
 * ```ts
 * const chaos = new ChaosGrading({ windows: ctx.faults ?? [], catalog: CATALOG, thresholds, evidence: storedEvidence(store) })
 * const graded = gradeStream(store, { ..., faultWindows: chaos.metricWindows, adjust: chaos.adjust })   // adjust(a, g, records)
 * const { gates, faults, timeline } = chaos.finish()
 * ```
 */
import type { AttemptRecord } from '../../contracts/attempt.ts'
import type { AttackCase } from '../../contracts/attack-case.ts'
import type { EvidenceRecord, GradingRecord } from '../../contracts/evidence.ts'
import type { ThresholdMap } from '../thresholds.ts'
import type { GradedAttempt } from '../../contracts/verdict.ts'
import type { FaultResult, GateResult, TimelineBucket } from '../../contracts/run-json.ts'
import { chaosGates } from './chaos-gates.ts'
import { evidenceGaps, GapCoverage, windowOf } from './evidence-gaps.ts'
import { gradeFailClosed } from './fail-closed.ts'
import { legitThreshold, RecoveryTracker, type Recovery } from './recovery.ts'
import { TimelineBuilder } from './timeline.ts'
import { WindowStatsBuilder, type WindowStats } from './window-stats.ts'
import { metricWindows, type MetricWindow } from './windows.ts'
import type { FaultWindowRecord } from '../../contracts/fault-window.ts'

export interface ChaosGradingInput {
  windows: readonly FaultWindowRecord[]
  catalog: readonly AttackCase[]
  thresholds?: ThresholdMap
  /** the run's evidence, read once for `system.evidence_gap` records (only when there are windows) */
  evidence?: Iterable<EvidenceRecord>
}

export interface ChaosOutcome {
  gates: GateResult[]
  /** run.json `faults` (empty when the run had none) */
  faults: FaultResult[]
  /** run.json `timeline` (empty when the run had no faults) */
  timeline: TimelineBucket[]
}

const MAX_GROUPS = 100_000

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString())

function faultResult(s: WindowStats, r: Recovery): FaultResult {
  const w = s.window
  const spanS = w.start === null ? 0 : Math.max(1, ((w.end ?? w.start + w.for_ms) - w.start) / 1000)
  return {
    id: w.id,
    kind: w.kind,
    component: w.component,
    label: w.label,
    detail: w.detail,
    at_s: w.at_ms / 1000,
    for_s: w.for_ms / 1000,
    start: iso(w.start),
    end: iso(w.end),
    healed: w.healed,
    error: w.error,
    ...(w.skipped === undefined ? {} : { skipped: w.skipped }),
    ttr_s: r.ttr_s,
    recovered: r.recovered,
    recover_within_s: w.recover_within_ms === null ? null : w.recover_within_ms / 1000,
    during: {
      attempts: s.attempts,
      rate: spanS === 0 ? 0 : s.attempts / spanS,
      p95_ms: s.latency.percentile(95),
      block_rate: s.attacksAnswered === 0 ? null : s.attacksBlocked / s.attacksAnswered,
      legit_success: s.legit === 0 ? null : s.legitOk / s.legit,
      breaches: s.failOpen.count,
      unrecorded: s.unrecorded.count,
      gap_covered: s.gapCovered,
    },
  }
}

export class ChaosGrading {
  readonly windows: readonly FaultWindowRecord[]
  /** for buildMetrics / gradeStream `faultWindows`: samples inside get `fault:yes` */
  readonly metricWindows: MetricWindow[]
  readonly #enabled: boolean
  readonly #gaps: GapCoverage
  readonly #stats: WindowStatsBuilder
  readonly #timeline: TimelineBuilder
  readonly #recovery: Map<string, RecoveryTracker>
  readonly #threshold: number
  /** group → whether its legitimate original was accepted (bounded: groups are short-lived) */
  readonly #originals = new Map<string, boolean>()
  /** the fault id of each metric window */
  readonly #metricIds: string[]

  constructor(input: ChaosGradingInput) {
    this.windows = input.windows
    this.#enabled = input.windows.length > 0
    const effective = input.windows.filter((w) => w.error === null)
    this.metricWindows = metricWindows(effective)
    this.#metricIds = effective.filter((w) => w.start !== null).map((w) => w.id)
    this.#gaps = new GapCoverage(this.#enabled && input.evidence ? evidenceGaps(input.evidence) : [], input.windows, input.catalog)
    this.#stats = new WindowStatsBuilder(input.windows, input.catalog, input.thresholds)
    this.#timeline = new TimelineBuilder(input.windows)
    this.#threshold = legitThreshold(input.thresholds)
    this.#recovery = new Map(
      input.windows.filter((w) => w.start !== null && w.error === null).map((w) => [w.id, new RecoveryTracker(w.end ?? w.start! + w.for_ms)]),
    )
  }

  /** whether the run had faults: without, `adjust` changes nothing and need not be called */
  get enabled(): boolean {
    return this.#enabled
  }

  /**
   * Each graded attempt, once, with the records joined to it: returns its grade with a fail-closed
   * refusal during a fault counted as such and any recorded evidence gap applied.
   */
  readonly adjust = (a: AttemptRecord, graded: GradedAttempt, records: readonly GradingRecord[] = []): GradedAttempt => {
    if (!this.#enabled) return graded
    const closed = a.kind === 'attack' ? gradeFailClosed(a, graded, this.#stats.caseOf(a), records, windowOf(a, this.windows)) : graded
    const { g, gap } = this.#gaps.apply(a, closed)
    const j = { a, g }
    const open = this.#failsOpen(j)
    this.#stats.add(j, gap !== undefined, open)
    this.#timeline.add(j, open)
    if (a.kind === 'legit') {
      // a failure while another fault is hitting the traffic is that fault's, not a slow recovery of this one
      const ok = g.verdict === 'pass'
      const hitBy = ok ? [] : this.metricWindows.flatMap((m, i) => (a.scheduled_at >= m.start && a.scheduled_at < m.end ? [this.#metricIds[i]] : []))
      for (const [id, r] of this.#recovery) if (hitBy.every((other) => other === id)) r.add(a.scheduled_at, ok)
    }
    return g
  }

  /**
   * A replayed proof (a group's attack, e.g. replay.dpop-jti-reuse) accepted when its original was
   * not (refused or lost during the fault) was the proof's first use: no replay got through.
   */
  #failsOpen(j: { a: AttemptRecord; g: GradedAttempt }): boolean {
    const { a } = j
    if (a.group !== undefined && a.kind === 'legit') {
      if (this.#originals.size >= MAX_GROUPS) this.#originals.delete(this.#originals.keys().next().value!)
      this.#originals.set(a.group, a.status !== null && a.status >= 200 && a.status < 300)
      return false
    }
    if (!this.#stats.failsOpen(j)) return false
    if (j.g.verdict !== 'breach' && a.group !== undefined && this.#originals.get(a.group) === false) return false
    return true
  }

  finish(): ChaosOutcome {
    if (!this.#enabled) return { gates: [], faults: [], timeline: [] }
    const recovery = new Map<string, Recovery>(this.windows.map((w) => [w.id, this.#recovery.get(w.id)?.result(this.#threshold) ?? { ttr_s: null, recovered: null }]))
    return {
      gates: chaosGates(this.#stats.stats, recovery),
      faults: this.#stats.stats.map((s) => faultResult(s, recovery.get(s.window.id)!)),
      timeline: this.#timeline.build(),
    }
  }
}

/** The records of a store that pages them (run/run-store.ts `evidencePages`), one at a time. */
export function* storedEvidence(store: { evidencePages(size: number): Iterable<readonly { record: EvidenceRecord }[]> }, pageSize = 5_000): Generator<EvidenceRecord> {
  for (const page of store.evidencePages(pageSize)) for (const r of page) yield r.record
}
