/**
 * The open model shared by k6's arrival-rate executors. Iteration i is due at start + at(i)
 * whether or not earlier ones finished; latency is measured from that due time, so a stalled target
 * shows up as latency instead of being hidden by a waiting client (coordinated omission). When all
 * VUs are busy a due iteration is dropped and counted, never silently delayed.
 */
import { createHistogram } from 'node:perf_hooks'
import { epochNow, timerDelay } from '../clock.ts'
import { graceAfter, type ExecutionSegment, type ExecutorStats, type Iterate } from './types.ts'

/** When each iteration is due. Pure, so a schedule can be checked without a clock. */
export interface ArrivalSchedule {
  /** iterations the schedule holds */
  total: number
  /** ms from the scenario's start to iteration i's due time (0 ≤ i < total), non-decreasing in i */
  at(i: number): number
  /** length of the schedule in ms (duration, or the stages' sum) */
  durationMs: number
  /** configured iterations per second (averaged over the schedule when it ramps) */
  targetRate: number
}

export interface OpenModelOptions {
  /** iterations that may be in flight at once (k6: maxVUs) */
  maxVUs: number
  /** gracefulStop in ms */
  graceMs: number
}

/**
 * `segment` (several workers): every worker walks the whole timeline from the common start and
 * starts only its own iterations; maxVUs is then this worker's share, so a due own iteration that
 * finds this worker's VUs busy is dropped here and counted.
 */
export async function runOpenModel(schedule: ArrivalSchedule, opts: OpenModelOptions, iterate: Iterate, stop: AbortSignal, segment?: ExecutionSegment): Promise<ExecutorStats> {
  const { total, durationMs } = schedule
  const lag = segment?.lag ?? createHistogram()
  const hardStop = new AbortController()
  const inFlight = new Set<Promise<void>>()
  let started = 0
  let dropped = 0
  let peak = 0
  let lastDispatch = 0
  /** the next iteration of the schedule to look at (started, dropped or another worker's before it) */
  let cursor = 0
  const owns = segment ? (i: number) => segment.owns(i) : () => true
  const t0 = segment?.startAt ?? epochNow()

  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined
    const finish = () => {
      if (timer) clearTimeout(timer)
      stop.removeEventListener('abort', finish)
      resolve()
    }
    if (stop.aborted) return finish()
    stop.addEventListener('abort', finish, { once: true })
    const tick = () => {
      const now = epochNow()
      // Dispatch everything that is due, in order; a late tick catches up rather than skipping.
      while (cursor < total) {
        const i = cursor
        const due = t0 + schedule.at(i)
        if (due > now) break
        cursor++
        if (!owns(i)) continue
        if (inFlight.size >= opts.maxVUs) {
          dropped++
          continue
        }
        started++
        lastDispatch = now
        lag.record(Math.max(1, Math.round((now - due) * 1000)))
        const p = iterate({ iteration: i, scheduledAt: due, signal: hardStop.signal }).catch(() => {})
        inFlight.add(p)
        if (inFlight.size > peak) peak = inFlight.size
        void p.finally(() => inFlight.delete(p))
      }
      // Another worker's iterations need no timer here: sleep until this worker's next own one.
      while (cursor < total && !owns(cursor)) cursor++
      // Past the last due time the scenario still lasts until its end (k6 semantics), then gracefulStop starts.
      const next = cursor < total ? t0 + schedule.at(cursor) : t0 + durationMs
      if (stop.aborted || (cursor >= total && now >= next)) return finish()
      timer = setTimeout(tick, timerDelay(next - epochNow()))
    }
    tick()
  })

  const dispatchEnd = epochNow()
  // gracefulStop: let in-flight iterations finish, then abort whatever is left.
  if (inFlight.size > 0) {
    const grace = setTimeout(() => hardStop.abort(), graceAfter(stop, opts.graceMs))
    await Promise.allSettled([...inFlight])
    clearTimeout(grace)
  }
  const elapsed = epochNow() - t0
  // A client that falls behind dispatches late iterations after the schedule ended: measure over
  // the real dispatch window, or the achieved rate would read ~100 % for a saturated client.
  const window = stop.aborted ? Math.min(dispatchEnd - t0, durationMs) : Math.max(durationMs, lastDispatch - t0)
  return {
    iterations: started,
    dropped,
    lagP50Us: started ? lag.percentile(50) : 0,
    lagP99Us: started ? lag.percentile(99) : 0,
    targetRate: schedule.targetRate,
    achievedRate: window > 0 ? started / (window / 1000) : 0,
    peakVUs: peak,
    durationMs: elapsed,
  }
}
