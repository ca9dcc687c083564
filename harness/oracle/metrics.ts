/**
 * Builds the run's k6-style metric set from graded attempts: k6's own names where the meaning is
 * the same (http_req_duration, http_reqs, http_req_failed, dropped_iterations) and `gatecrash_*`
 * for the security measures the gates read. Every attempt's samples carry the same tags —
 * kind, case, class, grading, tool, scenario, fault — so any gate can narrow to
 * `{case:escalate.tool-scope}`, `{grading:must}` or `{fault:no}`. Legit traffic has empty
 * case/class/grading tags.
 *
 * @example
 * ```ts
 * const set = buildMetrics({ attempts, graded: g.attempts, catalog: CATALOG, durationS: 60 })
 * summarizeMetrics(set).http_req_duration.p95
 * ```
 */
import type { AttemptRecord } from '../attempt.ts'
import type { AttackCase } from '../attacks/catalog.ts'
import type { RunJson } from '../run/run-json.ts'
import { addSample, aggregate, createMetricSet, defineMetric, trendSummary, type MetricSet, type MetricType, type Tags } from './metric-set.ts'
import type { GradedAttempt, Verdict } from './verdict.ts'

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
}

const VERDICT_COUNTERS: Partial<Record<Verdict, string>> = {
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

export interface MetricsInput {
  attempts: readonly AttemptRecord[]
  /** grade(...).attempts; joined to attempts by seq */
  graded: readonly GradedAttempt[]
  catalog: readonly AttackCase[]
  /** measured duration in seconds (a counter's `rate` is per second) */
  durationS: number
  /** counters the load engine keeps, e.g. { name: 'dropped_iterations', value: 3, tags: { scenario: 'workload' } } */
  extraCounters?: readonly { name: string; value: number; tags?: Tags }[]
  /** when faults were active: attempts scheduled inside one get `fault:yes` */
  faultWindows?: readonly FaultWindow[]
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

const is2xx = (status: number): boolean => status >= 200 && status < 300

export function buildMetrics(input: MetricsInput): MetricSet {
  const set = createMetricSet(input.durationS)
  // Declare everything up front: a gate on a metric nobody sampled must still find it (a counter reads 0).
  for (const [name, type] of Object.entries(METRIC_TYPES)) defineMetric(set, name, type)

  const caseById = new Map(input.catalog.map((c) => [c.id, c]))
  const gradedBySeq = new Map(input.graded.map((g) => [g.seq, g]))
  for (const a of input.attempts) {
    const g = gradedBySeq.get(a.seq)
    if (!g) continue
    const tags = attemptTags(a, a.case === undefined ? undefined : caseById.get(a.case), input.faultWindows)
    const attack = a.kind === 'attack'
    const sent = a.status !== null || a.transport_error !== null
    // Not-covered attempts (unknown case, never sent) prove nothing: they stay out of every security rate.
    const judged = g.verdict !== 'not-covered'

    addSample(set, 'gatecrash_attempts', 'counter', 1, tags)
    const counter = VERDICT_COUNTERS[g.verdict]
    if (counter) addSample(set, counter, 'counter', 1, tags)
    if (sent) {
      addSample(set, 'http_reqs', 'counter', 1, tags)
      // k6 with a response callback: a request failed when it got no response or not the kind of
      // answer its traffic expects (legit: 2xx; attack: a refusal). A wrong refusal code is a warn, not a failure.
      const failed = a.status === null || (attack ? is2xx(a.status) : !is2xx(a.status))
      addSample(set, 'http_req_failed', 'rate', failed ? 1 : 0, tags)
    }
    if (a.status !== null) {
      // Open-model latency from the scheduled time, so a stalled target is not hidden (coordinated omission).
      const ms = Math.max(0, a.ended_at - a.scheduled_at)
      addSample(set, 'http_req_duration', 'trend', ms, tags)
      if (attack && !is2xx(a.status)) addSample(set, 'deny_path_duration', 'trend', ms, tags)
      if (attack && judged) addSample(set, 'gatecrash_block_rate', 'rate', is2xx(a.status) ? 0 : 1, tags)
    }
    if (judged && g.verdict !== 'error') addSample(set, 'gatecrash_evidence_coverage', 'rate', g.matched ? 1 : 0, tags)
    if (judged && g.matched) addSample(set, 'gatecrash_attribution_accuracy', 'rate', g.faithful ? 1 : 0, tags)
    if (!attack) addSample(set, 'gatecrash_legit_success', 'rate', g.verdict === 'pass' ? 1 : 0, tags)
  }
  for (const extra of input.extraCounters ?? []) {
    const type = METRIC_TYPES[extra.name]
    if (type !== undefined && type !== 'counter') throw new TypeError(`${extra.name} is a ${type}, not a counter`)
    addSample(set, extra.name, 'counter', extra.value, extra.tags ?? {})
  }
  return set
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
        const passes = m.samples.filter((s) => s.value !== 0).length
        out[name] = { rate: aggregate(set, name, { kind: 'rate' }, {}), passes, fails: m.samples.length - passes }
        break
      }
      case 'gauge':
        out[name] = { value: aggregate(set, name, { kind: 'value' }, {}) }
        break
    }
  }
  return out
}
