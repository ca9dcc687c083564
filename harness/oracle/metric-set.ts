/**
 * A k6-style metric set: named counters, gauges, rates and trends whose samples carry tags, so a
 * threshold key such as `gatecrash_block_rate{grading:must}` can select a sub-metric after the run.
 *
 * Samples are aggregated as they arrive into one series per (metric, tag set), as k6 keeps one sink
 * per sub-metric: a counter keeps its sum, a rate its passes and total, a trend an HDR histogram
 * plus exact count/min/max/sum. Memory grows with the number of distinct tag sets (kinds × cases ×
 * tools × scenarios × fault), never with the number of attempts, so a long run at the top rate stays
 * flat. A tag filter aggregates over the matching series (sums, merged histograms); a tag set
 * carries `case`, so gates still name the cases behind a failure, one series at a time.
 *
 * Percentiles come from Node's HDR histogram (`perf_hooks.createHistogram`), the same structure
 * the load engine merges across workers, so the numbers agree and no percentile code is ours.
 * Merging histograms of one configuration is exact (same buckets), so a filter's p95 equals the
 * p95 of a histogram fed the matching samples directly.
 *
 * @example
 * ```ts
 * const set = createMetricSet(60)
 * addSample(set, 'http_req_duration', 'trend', 12.5, { kind: 'legit' })
 * aggregate(set, 'http_req_duration', { kind: 'p', p: 95 }, {})   // ≈ 12.5 (HDR bucket, 3 significant digits)
 * ```
 */
import { sortedKeys } from '../evidence/chain.ts'
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import type { TrendSummary } from '../contracts/run-json.ts'

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend'
export type Tags = Readonly<Record<string, string>>

/** Every sample of one metric that carried exactly one tag set, folded together. */
export interface Series {
  tags: Tags
  /** samples recorded */
  count: number
  sum: number
  /** exact extremes (a histogram reports bucket bounds, one part in a thousand off) */
  min: number
  max: number
  /** samples ≠ 0 (what a rate counts as passes) */
  passes: number
  /** the latest sample and its position in the whole set, for a gauge's `value` */
  last: number
  lastOrder: number
  /** trends only: the samples in integer microseconds */
  hist: RecordableHistogram | null
  /**
   * trends of a set that defers them (createMetricSet's `deferTrends`): the samples in integer
   * microseconds, recorded into a histogram when the set is merged (mergeMetricSet)
   */
  values?: number[]
}

export interface Metric {
  name: string
  type: MetricType
  /** tag-set key → series */
  series: Map<string, Series>
}

export interface MetricSet {
  /** measured duration, for a counter's per-second `rate` */
  durationS: number
  metrics: Map<string, Metric>
  /** samples added so far (orders gauge values across series) */
  samples: number
  /**
   * Trend samples kept as numbers instead of histograms: a part of a grading shared between
   * threads (oracle/verdict-pass.ts) holds a few thousand, where an HDR histogram per series would
   * take ~160 KB of native memory each, per part, until a collection notices.
   */
  deferTrends?: boolean
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

export function createMetricSet(durationS: number, options: { deferTrends?: boolean } = {}): MetricSet {
  return { durationS, metrics: new Map(), samples: 0, ...(options.deferTrends ? { deferTrends: true } : {}) }
}

/** Declares a metric so it exists (and a counter reads 0) even when nothing was sampled. */
export function defineMetric(set: MetricSet, name: string, type: MetricType): Metric {
  const existing = set.metrics.get(name)
  if (existing) {
    if (existing.type !== type) throw new TypeError(`metric ${name} is a ${existing.type}, not a ${type}`)
    return existing
  }
  const metric: Metric = { name, type, series: new Map() }
  set.metrics.set(name, metric)
  return metric
}

/**
 * A tag set's identity, independent of key order. Callers adding many samples with one tag set pass it to addSample.
 * Asked once per graded attempt: an insertion sort of its few keys and one string, rather than
 * sort, map and join (the same text: keys are unique, and `>` orders them as sort() does).
 */
export function tagKey(tags: Tags): string {
  const keys = sortedKeys(tags)
  let out = ''
  for (let i = 0; i < keys.length; i++) out += `${i > 0 ? '\u0001' : ''}${keys[i]}\u0000${tags[keys[i]]}`
  return out
}

/**
 * HDR histogram samples are integer microseconds ≥ 1: the histogram takes integers ≥ 1 only, and
 * µs keeps sub-millisecond loopback latencies distinguishable.
 */
const toMicros = (ms: number): number => Math.max(1, Math.round(ms * 1000))

export function addSample(set: MetricSet, name: string, type: MetricType, value: number, tags: Tags, key: string = tagKey(tags)): void {
  sampleInto(set, seriesFor(set, name, type, tags, key), value)
}

/** The series of `name` for one tag set (its key: tagKey(tags)), made when first asked for. */
export function seriesFor(set: MetricSet, name: string, type: MetricType, tags: Tags, key: string): Series {
  const metric = defineMetric(set, name, type)
  let s = metric.series.get(key)
  if (!s) {
    const trend = type === 'trend'
    s = { tags, count: 0, sum: 0, min: Infinity, max: -Infinity, passes: 0, last: 0, lastOrder: -1, hist: trend && !set.deferTrends ? createHistogram() : null }
    if (trend && set.deferTrends) s.values = []
    metric.series.set(key, s)
  }
  return s
}

/** One sample into a series of `set` (from seriesFor: a caller adding many keeps it). */
export function sampleInto(set: MetricSet, s: Series, value: number): void {
  s.count++
  s.sum += value
  if (value < s.min) s.min = value
  if (value > s.max) s.max = value
  if (value !== 0) s.passes++
  s.last = value
  s.lastOrder = set.samples++
  if (s.hist) s.hist.record(toMicros(value))
  else s.values?.push(toMicros(value))
}

/**
 * Folds `part` into `into` as if its samples had been added after those already there: a grading
 * split over threads (oracle/verdict-pass.ts) builds one set per share of the attempts and merges
 * them in send order, so counts, sums, extremes, histograms, each series' latest value and the
 * order series first appear are what one thread adding every sample would have made.
 */
export function mergeMetricSet(into: MetricSet, part: MetricSet): void {
  const offset = into.samples
  for (const m of part.metrics.values()) {
    const metric = defineMetric(into, m.name, m.type)
    for (const [key, s] of m.series) {
      const lastOrder = s.lastOrder < 0 ? -1 : offset + s.lastOrder
      const t = metric.series.get(key)
      if (!t) {
        const { values, ...rest } = s
        const hist = s.hist || values ? createHistogram() : null
        if (hist) fill(hist, s)
        metric.series.set(key, { ...rest, lastOrder, hist })
        continue
      }
      t.count += s.count
      t.sum += s.sum
      if (s.min < t.min) t.min = s.min
      if (s.max > t.max) t.max = s.max
      t.passes += s.passes
      if (lastOrder >= 0) {
        t.last = s.last
        t.lastOrder = lastOrder
      }
      if (t.hist) fill(t.hist, s)
    }
  }
  into.samples += part.samples
}

function fill(hist: RecordableHistogram, from: Series): void {
  if (from.hist) hist.add(from.hist)
  if (from.values) for (const v of from.values) hist.record(v)
}

/** Series whose tags carry every filter tag with the same value (an absent tag reads as ''). */
export function selectSeries(metric: Metric, filter: Tags): Series[] {
  const keys = Object.keys(filter)
  const all = [...metric.series.values()].filter((s) => s.count > 0)
  if (keys.length === 0) return all
  return all.filter((s) => keys.every((k) => (s.tags[k] ?? '') === filter[k]))
}

/** The series of a metric matching a filter (for reports and tests); [] for an unknown metric. */
export function seriesOf(set: MetricSet, name: string, filter: Tags = {}): Series[] {
  const metric = set.metrics.get(name)
  return metric ? selectSeries(metric, filter) : []
}

/** Samples behind a metric (or the part a filter selects). */
export function sampleCount(set: MetricSet, name: string, filter: Tags = {}): number {
  return seriesOf(set, name, filter).reduce((n, s) => n + s.count, 0)
}

/** One histogram holding every matching series' samples (the series' own when only one matches). */
function mergedHistogram(series: readonly Series[]): RecordableHistogram {
  if (series.length === 1 && series[0].hist) return series[0].hist
  const h = createHistogram()
  for (const s of series) if (s.hist) h.add(s.hist)
  return h
}

function percentileMs(h: RecordableHistogram, p: number): number {
  // Node refuses p ≤ 0; k6's p(0) means the minimum.
  return (p <= 0 ? h.min : h.percentile(Math.min(p, 100))) / 1000
}

/** Exact min, max and avg over series: a `max<=100` must not fail on a true maximum of exactly 100 ms. */
function exact(series: readonly Series[]): { min: number; max: number; avg: number } {
  let min = Infinity
  let max = -Infinity
  let sum = 0
  let count = 0
  for (const s of series) {
    if (s.min < min) min = s.min
    if (s.max > max) max = s.max
    sum += s.sum
    count += s.count
  }
  return { min, max, avg: sum / count }
}

/**
 * Evaluates one aggregation over the series matching `filter`. Returns null when a rate, gauge or
 * trend has no samples (nothing to judge); a counter with no samples is 0, because "never counted"
 * is exactly what `count==0` asks.
 */
export function aggregate(set: MetricSet, name: string, agg: Aggregation, filter: Tags): number | null {
  const metric = set.metrics.get(name)
  if (!metric) return null
  const series = selectSeries(metric, filter)
  switch (metric.type) {
    case 'counter': {
      const sum = series.reduce((a, s) => a + s.sum, 0)
      if (agg.kind === 'rate') return set.durationS > 0 ? sum / set.durationS : null
      return sum
    }
    case 'gauge':
      return series.length === 0 ? null : series.reduce((x, y) => (y.lastOrder > x.lastOrder ? y : x)).last
    case 'rate': {
      const total = series.reduce((a, s) => a + s.count, 0)
      return total === 0 ? null : series.reduce((a, s) => a + s.passes, 0) / total
    }
    case 'trend': {
      if (series.length === 0) return null
      switch (agg.kind) {
        case 'avg':
        case 'min':
        case 'max':
          return exact(series)[agg.kind]
        case 'med': return percentileMs(mergedHistogram(series), 50)
        case 'p': return percentileMs(mergedHistogram(series), agg.p)
        default: return null
      }
    }
  }
}

/** The run.json summary of a trend (all zeros with count 0 when it has no samples). */
export function trendSummary(set: MetricSet, name: string, filter: Tags = {}): TrendSummary {
  const series = seriesOf(set, name, filter)
  const count = series.reduce((n, s) => n + s.count, 0)
  if (count === 0) return { count: 0, min: 0, max: 0, avg: 0, med: 0, p90: 0, p95: 0, p99: 0 }
  const h = mergedHistogram(series)
  return {
    count,
    ...exact(series),
    med: percentileMs(h, 50),
    p90: percentileMs(h, 90),
    p95: percentileMs(h, 95),
    p99: percentileMs(h, 99),
  }
}
