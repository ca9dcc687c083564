/**
 * Builds the run's k6-style metric set from graded attempts, one at a time (the grader feeds it in
 * send order): k6's own names where the meaning is the same (http_req_duration, http_reqs,
 * http_req_failed, dropped_iterations) and `gatecrash_*` for the security measures the gates read.
 * Every attempt's samples carry the same tags — kind, case, class, grading, tool, scenario, fault —
 * so any gate can narrow to `{case:escalate.tool-scope}`, `{grading:must}` or `{fault:no}`. Legit
 * traffic has empty case/class/grading tags. The evidence chains add one integrity sample each,
 * tagged with their component.
 *
 * @example
 * ```ts
 * const b = new MetricsBuilder(CATALOG)
 * b.add(attempt, graded)
 * summarizeMetrics(b.finish({ durationS: 60 })).http_req_duration.p95
 * ```
 */
import type { AttemptRecord } from '../contracts/attempt.ts'
import type { AttackCase } from '../contracts/attack-case.ts'
import type { RunJson } from '../contracts/run-json.ts'
import { addSample, aggregate, createMetricSet, defineMetric, sampleInto, seriesFor, seriesOf, tagKey, trendSummary, type MetricSet, type MetricType, type Series, type Tags } from './metric-set.ts'
import type { GradedAttempt, Verdict } from '../contracts/verdict.ts'
import { attackHeld, legitServed } from './grade-attempt.ts'

export const METRIC_TYPES: Readonly<Record<string, MetricType>> = {
  http_req_duration: 'trend',
  deny_path_duration: 'trend',
  http_reqs: 'counter',
  dropped_iterations: 'counter',
  gatecrash_attempts: 'counter',
  gatecrash_breaches: 'counter',
  gatecrash_warns: 'counter',
  gatecrash_unrecorded: 'counter',
  gatecrash_misattributed: 'counter',
  gatecrash_false_denies: 'counter',
  gatecrash_errors: 'counter',
  gatecrash_not_covered: 'counter',
  http_req_failed: 'rate',
  gatecrash_block_rate: 'rate',
  gatecrash_evidence_coverage: 'rate',
  gatecrash_attribution_accuracy: 'rate',
  gatecrash_legit_success: 'rate',
  /** one sample per issued token and check (oracle/issued-ledger.ts): 1 held, 0 failed */
  gatecrash_issued_tokens: 'rate',
  /** one sample per evidence chain: 1 intact, 0 broken, cut back or rewritten */
  gatecrash_evidence_integrity: 'rate',
  /** one sample per run: 1 when the evidence source carries a hash chain, 0 when it does not */
  gatecrash_evidence_tamper_evident: 'rate',
  /** one sample per transaction rebuilt from evidence (oracle/reconstruct.ts): 1 rebuilt and matching the harness's view, 0 not */
  gatecrash_reconstruction: 'rate',
}

export const VERDICT_COUNTERS: Partial<Record<Verdict, string>> = {
  breach: 'gatecrash_breaches',
  warn: 'gatecrash_warns',
  unrecorded: 'gatecrash_unrecorded',
  misattributed: 'gatecrash_misattributed',
  'false-deny': 'gatecrash_false_denies',
  error: 'gatecrash_errors',
  'not-covered': 'gatecrash_not_covered',
}

export interface FaultWindow {
  /** epoch ms, inclusive */
  start: number
  /** epoch ms, exclusive */
  end: number
}

/** A counter the load engine keeps, e.g. { name: 'dropped_iterations', value: 3, tags: { scenario: 'workload' } }. */
export interface ExtraCounter {
  name: string
  value: number
  tags?: Tags
}

export function attemptTags(a: AttemptRecord, c: AttackCase | undefined, faultWindows: readonly FaultWindow[] = []): Tags {
  const inFault = faultWindows.some((w) => a.scheduled_at >= w.start && a.scheduled_at < w.end)
  return {
    kind: a.kind,
    case: a.kind === 'attack' ? (a.case ?? '') : '',
    class: c?.class ?? '',
    grading: c?.grading ?? '',
    tool: a.tool,
    scenario: a.scenario,
    fault: inFault ? 'yes' : 'no',
  }
}

/**
 * tagKey(attemptTags(a, c, windows)) for an attempt inside a fault window or not, without building
 * the tags: asked once per graded attempt (tests hold the two equal).
 */
export function attemptTagKey(a: AttemptRecord, c: AttackCase | undefined, inFault: boolean): string {
  return `case\u0000${a.kind === 'attack' ? (a.case ?? '') : ''}\u0001class\u0000${c?.class ?? ''}\u0001fault\u0000${inFault ? 'yes' : 'no'}\u0001grading\u0000${c?.grading ?? ''}\u0001kind\u0000${a.kind}\u0001scenario\u0000${a.scenario}\u0001tool\u0000${a.tool}`
}

const is2xx = (status: number): boolean => status >= 200 && status < 300

/** The metrics an attempt samples, by index (MetricsBuilder keeps a tag set's series in an array, not a map by name). */
const ATTEMPT_METRICS: readonly (readonly [string, MetricType])[] = [
  ['gatecrash_attempts', 'counter'],
  ['http_reqs', 'counter'],
  ['http_req_failed', 'rate'],
  ['http_req_duration', 'trend'],
  ['deny_path_duration', 'trend'],
  ['gatecrash_block_rate', 'rate'],
  ['gatecrash_evidence_coverage', 'rate'],
  ['gatecrash_attribution_accuracy', 'rate'],
  ['gatecrash_legit_success', 'rate'],
  ...Object.values(VERDICT_COUNTERS).map((name) => [name, 'counter'] as const),
]
const M = { attempts: 0, reqs: 1, failed: 2, duration: 3, denyDuration: 4, block: 5, coverage: 6, attribution: 7, legitSuccess: 8 } as const
const VERDICT_METRIC: Partial<Record<Verdict, number>> = Object.fromEntries(Object.entries(VERDICT_COUNTERS).map(([v, name]) => [v, ATTEMPT_METRICS.findIndex(([n]) => n === name)]))

/** One tag set of attempt samples: its tags, its key and its series (ATTEMPT_METRICS order). */
interface TagSet {
  tags: Tags
  key: string
  series: (Series | undefined)[]
}

function lookup<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key)
  if (v === undefined) map.set(key, (v = make()))
  return v
}

/** Feeds graded attempts into a metric set one at a time: memory is one series per tag set, never per attempt. */
export class MetricsBuilder {
  readonly set: MetricSet
  private readonly caseById: ReadonlyMap<string, AttackCase>
  private readonly faultWindows: readonly FaultWindow[]
  /**
   * kind → case → tool → scenario → [outside fault windows, inside]: the tag set an attempt's
   * samples go to, found without building its key per attempt (a million-attempt grading spent
   * more on building and hashing that string than on its samples)
   */
  private readonly tagSets = new Map<string, Map<string, Map<string, Map<string, [TagSet?, TagSet?]>>>>()
  /** `deferTrends`: see MetricSet.deferTrends */
  constructor(catalog: readonly AttackCase[], options: { durationS?: number; faultWindows?: readonly FaultWindow[]; deferTrends?: boolean } = {}) {
    this.set = createMetricSet(options.durationS ?? 0, { deferTrends: options.deferTrends })
    this.caseById = new Map(catalog.map((c) => [c.id, c]))
    this.faultWindows = options.faultWindows ?? []
    // Declare everything up front: a gate on a metric nobody sampled must still find it (a counter reads 0).
    for (const [name, type] of Object.entries(METRIC_TYPES)) defineMetric(this.set, name, type)
  }

  add(a: AttemptRecord, g: GradedAttempt): void {
    const c = a.case === undefined ? undefined : this.caseById.get(a.case)
    const inFault = this.faultWindows.length > 0 && this.faultWindows.some((w) => a.scheduled_at >= w.start && a.scheduled_at < w.end)
    const tagged = this.#tagSet(a, c, inFault)
    const add = (metric: number, value: number): void => {
      let s = tagged.series[metric]
      if (!s) s = tagged.series[metric] = seriesFor(this.set, ATTEMPT_METRICS[metric][0], ATTEMPT_METRICS[metric][1], tagged.tags, tagged.key)
      sampleInto(this.set, s, value)
    }
    const attack = a.kind === 'attack'
    const sent = a.status !== null || a.transport_error !== null
    // Not-covered attempts (unknown case, never sent) prove nothing: they stay out of every security rate.
    const judged = g.verdict !== 'not-covered'

    add(M.attempts, 1)
    const counter = VERDICT_METRIC[g.verdict]
    if (counter !== undefined) add(counter, 1)
    if (sent) {
      add(M.reqs, 1)
      // k6 with a response callback: a request failed when it got no response or not the kind of
      // answer its traffic expects (legit: 2xx; attack: a refusal). A wrong refusal code is a warn, not a failure.
      const failed = a.status === null || (attack ? is2xx(a.status) : !is2xx(a.status))
      add(M.failed, failed ? 1 : 0)
    }
    if (a.status !== null) {
      // Open-model latency from the scheduled time, so a stalled target is not hidden (coordinated omission).
      const ms = Math.max(0, a.ended_at - a.scheduled_at)
      add(M.duration, ms)
      if (attack && !is2xx(a.status)) add(M.denyDuration, ms)
      // a control is served by a correct target: it has nothing to block (a refusal of one is a false deny)
      // an issued-token case answered with a lawfully narrower token was held too (attackHeld)
      if (attack && judged && !c?.control) add(M.block, attackHeld(a, g) ? 1 : 0)
    }
    if (judged && g.verdict !== 'error') add(M.coverage, g.matched ? 1 : 0)
    if (judged && g.matched && g.faithful !== null) add(M.attribution, g.faithful ? 1 : 0)
    if (!attack) add(M.legitSuccess, legitServed(a) ? 1 : 0)
  }

  #tagSet(a: AttemptRecord, c: AttackCase | undefined, inFault: boolean): TagSet {
    const byCase = lookup(this.tagSets, a.kind, () => new Map())
    // by the case whatever the kind: its catalog entry gives the class and grading tags
    const byTool = lookup(byCase, a.case ?? '', () => new Map())
    const byScenario = lookup(byTool, a.tool, () => new Map())
    const both = lookup(byScenario, a.scenario, (): [TagSet?, TagSet?] => [undefined, undefined])
    const at = inFault ? 1 : 0
    return (both[at] ??= { tags: attemptTags(a, c, this.faultWindows), key: attemptTagKey(a, c, inFault), series: [] })
  }

  /**
   * The evidence chains' integrity: one sample per chain, tagged with its component. An unchained
   * source has no chain to judge (the integrity gate reads no sample, so it does not apply) and
   * gets a 0 in gatecrash_evidence_tamper_evident, which a scenario can gate on.
   */
  addEvidenceIntegrity(integrity: 'chained' | 'unchained', chains: readonly { component: string; ok: boolean }[]): void {
    addSample(this.set, 'gatecrash_evidence_tamper_evident', 'rate', integrity === 'chained' ? 1 : 0, {})
    for (const c of chains) addSample(this.set, 'gatecrash_evidence_integrity', 'rate', c.ok ? 1 : 0, { component: c.component })
  }

  /** Adds the load engine's counters and the measured duration; returns the finished set. */
  finish(options: { durationS?: number; extraCounters?: readonly ExtraCounter[] } = {}): MetricSet {
    if (options.durationS !== undefined) this.set.durationS = options.durationS
    for (const extra of options.extraCounters ?? []) {
      const type = METRIC_TYPES[extra.name]
      if (type !== undefined && type !== 'counter') throw new TypeError(`${extra.name} is a ${type}, not a counter`)
      addSample(this.set, extra.name, 'counter', extra.value, extra.tags ?? {})
    }
    return this.set
  }
}

/** run.json's `metrics`: trends as TrendSummary, counters as {count, rate}, rates as {rate, passes, fails}. */
export function summarizeMetrics(set: MetricSet): RunJson['metrics'] {
  const out: RunJson['metrics'] = {
    http_req_duration: trendSummary(set, 'http_req_duration'),
    deny_path_duration: trendSummary(set, 'deny_path_duration'),
  }
  for (const [name, m] of set.metrics) {
    if (name in out) continue
    switch (m.type) {
      case 'trend':
        out[name] = trendSummary(set, name)
        break
      case 'counter':
        out[name] = { count: aggregate(set, name, { kind: 'count' }, {}), rate: aggregate(set, name, { kind: 'rate' }, {}) }
        break
      case 'rate': {
        const series = seriesOf(set, name)
        const passes = series.reduce((n, s) => n + s.passes, 0)
        out[name] = { rate: aggregate(set, name, { kind: 'rate' }, {}), passes, fails: series.reduce((n, s) => n + s.count, 0) - passes }
        break
      }
      case 'gauge':
        out[name] = { value: aggregate(set, name, { kind: 'value' }, {}) }
        break
    }
  }
  return out
}
