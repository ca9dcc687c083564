/**
 * Fault windows: when each fault of a run was planned and when it was really in effect. The
 * scheduler fills them in as it injects and heals; they go into the run's context.json (so a
 * re-grade sees them), tag metric samples `fault:yes`, and name failing chaos gates
 * ("pause replay-store 10s–20s").
 */
import { formatDuration, parseDuration } from '../contracts/duration.ts'
import type { FaultKind, FaultSpec } from './fault.ts'
import type { FaultWindowRecord } from '../contracts/fault-window.ts'

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
