/**
 * One scenario's executor stats from its workers' parts, merged exactly: iterations and dropped
 * iterations are sums; dispatch-lag percentiles come from the sum of the workers' HDR histograms
 * (a RecordableHistogram crosses a thread as a working clone, so it is posted whole); the achieved
 * rate is all iterations over the common scheduling window (the longest worker's). peakVUs is the
 * sum of each worker's peak: an upper bound, since the peaks need not coincide.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import type { ExecutorStats } from '../executors/index.ts'

export interface WorkerPart {
  stats: ExecutorStats
  /** the open model's dispatch lag in µs; absent for closed-model executors */
  lag?: RecordableHistogram
}

/** The window a worker's achievedRate was measured over (executors report the rate, not the window). */
function windowMs(s: ExecutorStats): number {
  return s.iterations > 0 && s.achievedRate > 0 ? (s.iterations / s.achievedRate) * 1000 : 0
}

export function mergeStats(parts: readonly WorkerPart[]): ExecutorStats {
  if (parts.length === 0) throw new TypeError('no worker stats to merge')
  const iterations = parts.reduce((n, p) => n + p.stats.iterations, 0)
  const window = Math.max(...parts.map((p) => windowMs(p.stats)))
  const lags = parts.flatMap((p) => (p.lag ? [p.lag] : []))
  const lag = createHistogram()
  for (const h of lags) lag.add(h)
  const targetRate = parts[0].stats.targetRate
  // Same key order as the executors' own stats, so run.json reads alike with one worker or several.
  return {
    iterations,
    dropped: parts.reduce((n, p) => n + p.stats.dropped, 0),
    ...(lags.length > 0 ? { lagP50Us: lag.count > 0 ? lag.percentile(50) : 0, lagP99Us: lag.count > 0 ? lag.percentile(99) : 0 } : {}),
    ...(targetRate !== undefined ? { targetRate } : {}),
    achievedRate: window > 0 ? iterations / (window / 1000) : 0,
    peakVUs: parts.reduce((n, p) => n + p.stats.peakVUs, 0),
    durationMs: Math.max(...parts.map((p) => p.stats.durationMs)),
  }
}
