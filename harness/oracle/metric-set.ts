/**
 * A k6-style metric set: named counters, gauges, rates and trends whose samples carry tags, so a
 * threshold key such as `gatecrash_block_rate{grading:must}` can select a sub-metric after the run.
 * Samples are kept (not pre-aggregated) because gates filter by arbitrary tag combinations and
 * name the attack cases behind a failure; a run's attempt count keeps this small.
 *
 * Percentiles come from Node's HDR histogram (`perf_hooks.createHistogram`), the same structure
 * the load engine merges across workers, so the numbers agree and no percentile code is ours.
 *
 * @example
 * ```ts
 * const set = createMetricSet(60)
 * addSample(set, 'http_req_duration', 'trend', 12.5, { kind: 'legit' })
 * aggregate(set, 'http_req_duration', { kind: 'p', p: 95 }, {})   // ≈ 12.5 (HDR bucket, 3 significant digits)
 * ```
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import type { TrendSummary } from '../run/run-json.ts'

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend'
export type Tags = Readonly<Record<string, string>>

export interface Sample {
  value: number
  tags: Tags
}

export interface Metric {
  name: string
  type: MetricType
  samples: Sample[]
}

export interface MetricSet {
  /** measured duration, for a counter's per-second `rate` */
  durationS: number
  metrics: Map<string, Metric>
}

export type Aggregation =
  | { kind: 'count' | 'rate' | 'value' | 'avg' | 'min' | 'max' | 'med' }
  | { kind: 'p'; p: number }

/** Which aggregations each metric type supports (k6's rules, metrics/thresholds.go). */
export const AGGREGATIONS_BY_TYPE: Readonly<Record<MetricType, readonly Aggregation['kind'][]>> = {
  counter: ['count', 'rate'],
  gauge: ['value'],
  rate: ['rate'],
  trend: ['avg', 'min', 'max', 'med', 'p'],
}

export function createMetricSet(durationS: number): MetricSet {
  return { durationS, metrics: new Map() }
}

/** Declares a metric so it exists (and a counter reads 0) even when nothing was sampled. */
export function defineMetric(set: MetricSet, name: string, type: MetricType): Metric {
  const existing = set.metrics.get(name)
  if (existing) {
    if (existing.type !== type) throw new TypeError(`metric ${name} is a ${existing.type}, not a ${type}`)
    return existing
  }
  const metric: Metric = { name, type, samples: [] }
  set.metrics.set(name, metric)
  return metric
}

export function addSample(set: MetricSet, name: string, type: MetricType, value: number, tags: Tags): void {
  defineMetric(set, name, type).samples.push({ value, tags })
}

/** Samples whose tags carry every filter tag with the same value (an absent tag reads as ''). */
export function selectSamples(metric: Metric, filter: Tags): Sample[] {
  const keys = Object.keys(filter)
  if (keys.length === 0) return metric.samples
  return metric.samples.filter((s) => keys.every((k) => (s.tags[k] ?? '') === filter[k]))
}

/**
 * HDR histogram of millisecond samples recorded as integer microseconds: the histogram takes
 * integers ≥ 1 only, and µs keeps sub-millisecond loopback latencies distinguishable.
 */
function histogramOf(samples: readonly Sample[]): RecordableHistogram {
  const h = createHistogram()
  for (const s of samples) h.record(Math.max(1, Math.round(s.value * 1000)))
  return h
}

function percentileMs(h: RecordableHistogram, p: number): number {
  // Node refuses p ≤ 0; k6's p(0) means the minimum.
  return (p <= 0 ? h.min : h.percentile(Math.min(p, 100))) / 1000
}

/**
 * min, max and avg are exact, straight from the samples: the histogram reports bucket bounds (one
 * part in a thousand off), and `max<=100` must not fail on a true maximum of exactly 100 ms.
 */
function exact(samples: readonly Sample[]): { min: number; max: number; avg: number } {
  let min = Infinity
  let max = -Infinity
  let sum = 0
  for (const s of samples) {
    if (s.value < min) min = s.value
    if (s.value > max) max = s.value
    sum += s.value
  }
  return { min, max, avg: sum / samples.length }
}

/**
 * Evaluates one aggregation over the samples matching `filter`. Returns null when a rate, gauge or
 * trend has no samples (nothing to judge); a counter with no samples is 0, because "never counted"
 * is exactly what `count==0` asks.
 */
export function aggregate(set: MetricSet, name: string, agg: Aggregation, filter: Tags): number | null {
  const metric = set.metrics.get(name)
  if (!metric) return null
  const samples = selectSamples(metric, filter)
  switch (metric.type) {
    case 'counter': {
      const sum = samples.reduce((a, s) => a + s.value, 0)
      if (agg.kind === 'rate') return set.durationS > 0 ? sum / set.durationS : null
      return sum
    }
    case 'gauge':
      return samples.length === 0 ? null : samples[samples.length - 1].value
    case 'rate':
      return samples.length === 0 ? null : samples.filter((s) => s.value !== 0).length / samples.length
    case 'trend': {
      if (samples.length === 0) return null
      switch (agg.kind) {
        case 'avg':
        case 'min':
        case 'max':
          return exact(samples)[agg.kind]
        case 'med': return percentileMs(histogramOf(samples), 50)
        case 'p': return percentileMs(histogramOf(samples), agg.p)
        default: return null
      }
    }
  }
}

/** The run.json summary of a trend (all zeros with count 0 when it has no samples). */
export function trendSummary(set: MetricSet, name: string, filter: Tags = {}): TrendSummary {
  const metric = set.metrics.get(name)
  const samples = metric ? selectSamples(metric, filter) : []
  if (samples.length === 0) return { count: 0, min: 0, max: 0, avg: 0, med: 0, p90: 0, p95: 0, p99: 0 }
  const h = histogramOf(samples)
  return {
    count: samples.length,
    ...exact(samples),
    med: percentileMs(h, 50),
    p90: percentileMs(h, 90),
    p95: percentileMs(h, 95),
    p99: percentileMs(h, 99),
  }
}
