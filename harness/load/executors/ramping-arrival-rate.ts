/**
 * k6's `ramping-arrival-rate`: the arrival rate moves linearly from `startRate` to each stage's
 * target over the stage's duration. Due times come from integrating that piecewise-linear rate, as
 * k6 does: iteration n (0-based) is due at the moment the integral of the rate reaches n + 1 (so
 * with startRate 0 the first iteration starts after a while, not at 0). A stage's iterations are
 * therefore spaced exactly by the rate at each instant, never approximated by sleeping per stage.
 */
import { formatDuration, parseDuration } from '../../contracts/duration.ts'
import type { RampingArrivalRate } from './config.ts'
import { maxVUs } from './constant-arrival-rate.ts'
import { runOpenModel, type ArrivalSchedule } from './open-model.ts'
import type { ExecutionSegment, ExecutorModule, ExecutorStats, Iterate } from './types.ts'

/** Floating-point slack on iteration counts (areas like 4.9999999 that are exactly 5). */
const EPS = 1e-9

interface Segment {
  startMs: number
  durMs: number
  /** rate at the segment's start and end, iterations per ms */
  from: number
  to: number
  /** iterations due before the segment, and by its end (the integral of the rate) */
  cumStart: number
  cumEnd: number
}

export interface RampStage {
  durationMs: number
  /** iterations per timeUnit at the end of the stage */
  target: number
}

/** The due-time schedule for a ramp; pure (k6's `cal` in ramping_arrival_rate.go does the same integration). */
export function rampingArrivalSchedule(startRate: number, timeUnitMs: number, stages: readonly RampStage[]): ArrivalSchedule {
  const segments: Segment[] = []
  let from = startRate / timeUnitMs
  let cum = 0
  let t = 0
  for (const s of stages) {
    const to = s.target / timeUnitMs
    const area = (s.durationMs * (from + to)) / 2
    segments.push({ startMs: t, durMs: s.durationMs, from, to, cumStart: cum, cumEnd: cum + area })
    cum += area
    t += s.durationMs
    from = to
  }
  const total = Math.floor(cum + EPS)
  return {
    total,
    durationMs: t,
    targetRate: t > 0 ? total / (t / 1000) : 0,
    at(i: number): number {
      const r = i + 1
      // the first segment whose integral reaches r
      let lo = 0
      let hi = segments.length - 1
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (segments[mid].cumEnd + EPS >= r) hi = mid
        else lo = mid + 1
      }
      const seg = segments[lo]
      if (seg.durMs === 0) return seg.startMs
      // Solve from·x + (to − from)·x²/(2·dur) = q for x in [0, dur]. Written as 2q / (from + √…),
      // the rationalised root, it stays exact when from ≈ to and needs no special case for from = to
      // (x = q / from) or from = 0 (x = √(2q·dur/to)).
      const q = r - seg.cumStart
      const disc = Math.max(0, seg.from * seg.from + (2 * (seg.to - seg.from) * q) / seg.durMs)
      const x = (2 * q) / (seg.from + Math.sqrt(disc))
      return seg.startMs + Math.min(seg.durMs, Math.max(0, x))
    },
  }
}

export function scheduleOf(cfg: Pick<RampingArrivalRate, 'startRate' | 'timeUnit' | 'stages'>): ArrivalSchedule {
  const unitMs = parseDuration(cfg.timeUnit ?? '1s')!
  return rampingArrivalSchedule(
    cfg.startRate ?? 0,
    unitMs,
    cfg.stages.map((s) => ({ durationMs: parseDuration(s.duration)!, target: s.target })),
  )
}

export function runRampingArrivalRate(cfg: RampingArrivalRate, iterate: Iterate, stop: AbortSignal, segment?: ExecutionSegment): Promise<ExecutorStats> {
  const graceMs = parseDuration(cfg.gracefulStop ?? '30s')!
  const vus = segment ? segment.poolVUs(maxVUs(cfg)) : maxVUs(cfg)
  return runOpenModel(scheduleOf(cfg), { maxVUs: vus, graceMs }, iterate, stop, segment)
}

export const rampingArrivalRate: ExecutorModule<RampingArrivalRate> = {
  run: runRampingArrivalRate,
  maxVUs,
  describe: (cfg) => {
    const s = scheduleOf(cfg)
    const peak = Math.max(cfg.startRate ?? 0, ...cfg.stages.map((x) => x.target))
    return `up to ${peak} iterations/${cfg.timeUnit ?? '1s'} over ${cfg.stages.length} stage(s), ${s.total} in ${formatDuration(s.durationMs)} (maxVUs ${maxVUs(cfg)})`
  },
}
