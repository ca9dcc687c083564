/**
 * Fault windows: when each fault of a run was planned and when it was really in effect. The
 * scheduler fills them in as it injects and heals; they go into the run's context.json (so a
 * re-grade sees them), tag metric samples `fault:yes`, and name failing chaos gates
 * ("pause replay-store 10s–20s").
 */
import { formatDuration, parseDuration } from '../scenario/duration.ts'
import type { FaultKind, FaultSpec } from './fault.ts'

export interface FaultWindowRecord {
  /** 'f1', 'f2', … in scenario order */
  id: string
  kind: FaultKind
  /** the link, process or population part it hits: 'jwks', 'rs-1/0', 'agents', 'as' */
  component: string
  /** how reports and gates name it: 'pause replay-store 10s–20s' */
  label: string
  /** what exactly was done, e.g. 'latency 800±100 ms' */
  detail: string
  /** planned offsets from the start of the measured phase, ms */
  at_ms: number
  for_ms: number
  /** the scenario's recovery allowance, ms (null: time to recover is reported, not gated) */
  recover_within_ms: number | null
  /** epoch ms the measured phase started (the offsets count from here); null before it did */
  t0: number | null
  /** epoch ms the injection began; null if the run ended before the fault's time came */
  start: number | null
  /** epoch ms the fault was healed (or the one-shot window closed) */
  end: number | null
  /** the fault was undone (or needed no undoing); false when healing failed or never happened */
  healed: boolean
  /** the injection or healing failed: the fault proves nothing */
  error: string | null
}

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

const DEFAULT_ONE_SHOT_WINDOW = '5s'

export function componentOf(spec: FaultSpec): string {
  switch (spec.kind) {
    case 'clock-skew':
      return 'agents'
    case 'key-rotation':
      return 'as'
    default:
      return spec.component
  }
}

export function windowLabel(kind: string, component: string, atMs: number, forMs: number): string {
  return `${kind} ${component} ${formatDuration(atMs)}–${formatDuration(atMs + forMs)}`
}

export function planWindow(spec: FaultSpec, index: number, detail: string): FaultWindowRecord {
  const atMs = parseDuration(spec.at) ?? 0
  const forMs = parseDuration(spec.for ?? DEFAULT_ONE_SHOT_WINDOW) ?? 0
  const component = componentOf(spec)
  const recover = spec.recoverWithin === undefined ? null : parseDuration(spec.recoverWithin)
  return {
    id: `f${index + 1}`,
    kind: spec.kind,
    component,
    label: windowLabel(spec.kind, component, atMs, forMs),
    detail,
    at_ms: atMs,
    for_ms: forMs,
    recover_within_ms: recover,
    t0: null,
    start: null,
    end: null,
    healed: false,
    error: null,
  }
}

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
