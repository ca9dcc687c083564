/**
 * A fault window as it happened: planned by chaos/ (scheduler), saved in context.json, graded by
 * oracle/faults/. Shared, so neither side imports the other.
 */

/** Every fault kind a scenario can declare (chaos/fault.ts builds each). */
export type FaultKind = 'latency' | 'bandwidth' | 'reset' | 'blackhole' | 'slow-close' | 'kill' | 'pause' | 'restart' | 'clock-skew' | 'key-rotation' | 'custom'

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
  /**
   * the fault was never applied because the target offers no way to apply it (a deployment the
   * harness neither started nor routes through its fault proxy): lost coverage, said in the report
   */
  skipped?: string
}
