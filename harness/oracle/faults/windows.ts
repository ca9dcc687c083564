/** The windows metric samples and window statistics are judged in (oracle side of harness/chaos). */
import type { FaultWindowRecord } from '../../contracts/fault-window.ts'

/** What a window-tagged metric uses (oracle/metrics.ts FaultWindow): epoch ms, end exclusive. */
export interface MetricWindow {
  start: number
  end: number
}

/**
 * An attempt in flight when a fault began was hit by it: its samples count as inside the window
 * although the open model scheduled it a little earlier.
 */
export const IN_FLIGHT_LEAD_MS = 1_000

/** The windows to tag metric samples with: in-flight lead before, the recovery allowance after. */
export function metricWindows(windows: readonly FaultWindowRecord[]): MetricWindow[] {
  return windows
    .filter((w) => w.start !== null)
    .map((w) => ({ start: w.start! - IN_FLIGHT_LEAD_MS, end: (w.end ?? w.start! + w.for_ms) + (w.recover_within_ms ?? 0) }))
}

/** Was this attempt (its own span, epoch ms) in flight while the fault was in effect? */
export function overlaps(w: FaultWindowRecord, startedAt: number, endedAt: number): boolean {
  if (w.start === null) return false
  const end = w.end ?? w.start + w.for_ms
  return startedAt < end && endedAt >= w.start
}
