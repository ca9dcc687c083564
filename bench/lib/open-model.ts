/**
 * Open-model measurements with the harness's own executor (runConstantArrivalRate → runOpenModel): one probe at a
 * fixed arrival rate, and the search for the top rate.
 *
 * "Achieved rate" is taken strictly. The executor reports started / planned duration, which stays
 * at 100 % even when the scheduler falls behind and dispatches the tail late (it catches up rather
 * than skipping). So the bench also divides by the real dispatch window (first due time to the last
 * actual start) and takes the lower of the two: a client that cannot keep up shows as < 100 %.
 */
import { createHistogram } from 'node:perf_hooks'
import { epochNow } from '../../harness/load/clock.ts'
import { runConstantArrivalRate } from '../../harness/load/executors/constant-arrival-rate.ts'
import type { Attempt } from './fixtures.ts'

export interface ProbeResult {
  targetRate: number
  /** min(executor's achievedRate, started / actual dispatch window) */
  achievedRate: number
  /** achievedRate / targetRate */
  accuracy: number
  executorAchievedRate: number
  iterations: number
  dropped: number
  lagP50Us: number
  lagP99Us: number
  /** from the scheduled start (no coordinated omission), ms */
  latencyP50Ms: number
  latencyP99Ms: number
  non200: number
  transportErrors: number
  /** client CPU µs per attempt during the probe (this process, all threads) */
  cpuUsPerAttempt: number
  pass: boolean
}

export interface ProbeOptions {
  durationMs: number
  maxVUs: number
  /** an unmeasured run at the same rate first (JIT, connections), ms; 0 for none */
  warmMs: number
  /** achieved ≥ (1 − tolerance) × target passes */
  tolerance: number
}

function executorConfig(rate: number, durationMs: number, maxVUs: number) {
  return { executor: 'constant-arrival-rate' as const, rate, timeUnit: '1s', duration: `${durationMs}ms`, preAllocatedVUs: maxVUs, maxVUs, gracefulStop: '10s' }
}

export async function probe(attempt: Attempt, rate: number, o: ProbeOptions): Promise<ProbeResult> {
  const never = new AbortController().signal
  if (o.warmMs > 0) await runConstantArrivalRate(executorConfig(rate, o.warmMs, o.maxVUs), ({ iteration, scheduledAt, signal }) => attempt(iteration, scheduledAt, signal).then(() => {}), never)
  const latency = createHistogram()
  let first = Number.NaN
  let lastStart = 0
  let non200 = 0
  let transportErrors = 0
  const cpu0 = process.cpuUsage()
  const stats = await runConstantArrivalRate(
    executorConfig(rate, o.durationMs, o.maxVUs),
    async ({ iteration, scheduledAt, signal }) => {
      // Called synchronously at dispatch: this is when the attempt actually started.
      lastStart = Math.max(lastStart, epochNow())
      if (iteration === 0) first = scheduledAt
      const r = await attempt(iteration, scheduledAt, signal)
      latency.record(Math.max(1, Math.round((r.ended_at - scheduledAt) * 1000)))
      if (r.transport_error) transportErrors++
      else if (r.status !== 200) non200++
    },
    never,
  )
  const cpu = process.cpuUsage(cpu0)
  const intervalMs = 1000 / rate
  const windowMs = Math.max(o.durationMs, lastStart - first + intervalMs)
  const wallRate = (stats.iterations * 1000) / windowMs
  const achievedRate = Math.min(stats.achievedRate, wallRate)
  const accuracy = achievedRate / rate
  const completed = latency.count
  return {
    targetRate: rate,
    achievedRate,
    accuracy,
    executorAchievedRate: stats.achievedRate,
    iterations: stats.iterations,
    dropped: stats.dropped,
    lagP50Us: stats.lagP50Us ?? Number.NaN,
    lagP99Us: stats.lagP99Us ?? Number.NaN,
    latencyP50Ms: completed ? latency.percentile(50) / 1000 : Number.NaN,
    latencyP99Ms: completed ? latency.percentile(99) / 1000 : Number.NaN,
    non200,
    transportErrors,
    cpuUsPerAttempt: (cpu.user + cpu.system) / Math.max(1, stats.iterations),
    // Errors count against a rate too: a target that refuses work does not sustain it.
    pass: accuracy >= 1 - o.tolerance && stats.dropped === 0 && transportErrors === 0 && non200 === 0,
  }
}

export interface SearchOptions extends ProbeOptions {
  startRate: number
  maxRate: number
  minRate: number
  /** stop bisecting when (hi − lo) / lo is below this */
  precision: number
  maxProbes: number
  /** rates are rounded to a multiple of this */
  step: number
  /** the whole search stops starting probes after this long, ms */
  budgetMs: number
}

export interface SearchResult {
  topRate: number
  /** the lowest rate seen to fail, or null when maxRate passed */
  firstFailRate: number | null
  probes: ProbeResult[]
  elapsedMs: number
}

/**
 * Doubling from startRate until a rate fails (halving if the first fails), then bisection between
 * the best pass and the lowest fail. A failing probe is repeated once before it counts: one stall of
 * a noisy shared machine should not define the top rate.
 */
export async function searchTopRate(attempt: Attempt, o: SearchOptions): Promise<SearchResult> {
  const t0 = Date.now()
  const probes: ProbeResult[] = []
  const left = () => probes.length < o.maxProbes && Date.now() - t0 < o.budgetMs
  const round = (r: number) => Math.max(o.step, Math.round(r / o.step) * o.step)
  const passes = async (rate: number): Promise<boolean> => {
    let r = await probe(attempt, rate, o)
    probes.push(r)
    if (!r.pass && left()) {
      r = await probe(attempt, rate, o)
      probes.push(r)
    }
    return r.pass
  }
  let lo = 0
  let hi = Number.POSITIVE_INFINITY
  let rate = round(o.startRate)
  while (left()) {
    if (await passes(rate)) {
      lo = rate
      if (hi !== Number.POSITIVE_INFINITY || rate >= o.maxRate) break
      rate = Math.min(o.maxRate, rate * 2)
    } else {
      hi = rate
      if (lo > 0 || rate <= o.minRate) break
      rate = round(rate / 2)
    }
  }
  while (lo > 0 && hi !== Number.POSITIVE_INFINITY && (hi - lo) / lo > o.precision && left()) {
    const mid = round((lo + hi) / 2)
    if (mid <= lo || mid >= hi) break
    if (await passes(mid)) lo = mid
    else hi = mid
  }
  return { topRate: lo, firstFailRate: hi === Number.POSITIVE_INFINITY ? null : hi, probes, elapsedMs: Date.now() - t0 }
}
