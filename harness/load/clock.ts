/** The harness's one clock: epoch milliseconds with sub-millisecond resolution (monotonic within a process). */
import { performance } from 'node:perf_hooks'

export function epochNow(): number {
  return performance.timeOrigin + performance.now()
}

/** Lets timers and I/O run between closed-model iterations, so a VU whose iterations resolve at once cannot starve them. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** setTimeout's ceiling (a longer delay fires at once, with a warning): wait in hops and re-check. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export function timerDelay(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, ms))
}
