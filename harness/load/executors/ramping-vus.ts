/**
 * k6's `ramping-vus`: the VU count moves linearly from `startVUs` through each stage's target, one
 * VU at a time (ramping from a to b over d, the count becomes v at d·(v − a)/(b − a) into the stage;
 * a zero-length stage jumps). Each VU loops iterations back to back (closed model). A VU removed by a
 * ramp-down starts no new iteration and its iteration in flight gets `gracefulRampDown` (default
 * 30s) before it is aborted; the most recently added VUs go first. Iterations are numbered from one
 * shared counter in the order they start.
 */
import { parseDuration } from '../../contracts/duration.ts'
import type { RampingVUs } from './config.ts'
import { runClosedModel, type VUStep } from './closed-model.ts'
import { ownedCounter, sharedCounter } from './constant-vus.ts'
import { ITERATION_LIMIT, type ExecutionSegment, type ExecutorModule, type ExecutorStats, type Iterate } from './types.ts'

export interface VUStage {
  durationMs: number
  target: number
}

/** The VU count's steps over time, starting with `startVUs` at 0. Pure; lazily generated (a ramp to 10,000 VUs is 10,000 steps). */
export function* rampingVUSteps(startVUs: number, stages: readonly VUStage[]): Generator<VUStep> {
  yield { at: 0, vus: startVUs }
  let from = startVUs
  let t = 0
  for (const s of stages) {
    const to = s.target
    if (to !== from) {
      if (s.durationMs === 0) yield { at: t, vus: to }
      else {
        const dir = to > from ? 1 : -1
        for (let v = from + dir; dir > 0 ? v <= to : v >= to; v += dir) yield { at: t + (s.durationMs * (v - from)) / (to - from), vus: v }
      }
    }
    t += s.durationMs
    from = to
  }
}

function* shareSteps(steps: Iterable<VUStep>, segment: ExecutionSegment): Generator<VUStep> {
  for (const s of steps) yield { at: s.at, vus: segment.vus(s.vus) }
}

function stagesMs(cfg: RampingVUs): VUStage[] {
  return cfg.stages.map((s) => ({ durationMs: parseDuration(s.duration)!, target: s.target }))
}

/** With several workers each step's count is split across them (segments.ts vuShare); numbering as in constant-vus. */
export async function runRampingVUs(cfg: RampingVUs, iterate: Iterate, stop: AbortSignal, segment?: ExecutionSegment): Promise<ExecutorStats> {
  const stages = stagesMs(cfg)
  const steps = segment ? () => shareSteps(rampingVUSteps(cfg.startVUs ?? 1, stages), segment) : () => rampingVUSteps(cfg.startVUs ?? 1, stages)
  const r = await runClosedModel(
    {
      steps: { [Symbol.iterator]: steps },
      endMs: stages.reduce((n, s) => n + s.durationMs, 0),
      graceMs: parseDuration(cfg.gracefulStop ?? '30s')!,
      rampDownGraceMs: parseDuration(cfg.gracefulRampDown ?? '30s')!,
      finishWhenIdle: false,
      next: segment ? ownedCounter(ITERATION_LIMIT, segment.owns) : sharedCounter(),
    },
    iterate,
    stop,
  )
  return {
    iterations: r.started,
    dropped: 0,
    achievedRate: r.windowMs > 0 ? r.started / (r.windowMs / 1000) : 0,
    peakVUs: r.peakVUs,
    durationMs: r.elapsedMs,
  }
}

function maxVUs(cfg: RampingVUs): number {
  return Math.max(cfg.startVUs ?? 1, ...cfg.stages.map((s) => s.target))
}

export const rampingVUs: ExecutorModule<RampingVUs> = {
  run: runRampingVUs,
  maxVUs,
  describe: (cfg) => `up to ${maxVUs(cfg)} looping VUs over ${cfg.stages.length} stage(s) (gracefulRampDown ${cfg.gracefulRampDown ?? '30s'})`,
}
