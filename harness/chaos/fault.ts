/**
 * Faults as scenario scripts declare them (design.md "Chaos"): each has a start (`at`, from the
 * start of the measured phase) and, except one-shot actions, a duration (`for`), in k6 duration
 * syntax. `Fault.*` builds them with the right `kind`, so a scenario reads
 * `Fault.latency({ component: 'jwks', ms: 800, at: '20s', for: '10s' })`.
 */

interface Window {
  /** k6 duration from the start of the measured phase */
  at: string
  /** k6 duration; the fault heals itself at the end of it */
  for: string
}

interface LinkFault extends Window {
  /** a link the target exposes to the fault proxy: 'rs-1', 'as', 'jwks', 'replay-store', 'evidence-sink' … */
  component: string
  /** fraction of connections/chunks affected, 0..1 (Toxiproxy's toxicity); default 1 */
  probability?: number
  /** which direction: 'downstream' (responses, default) or 'upstream' (requests) */
  stream?: 'upstream' | 'downstream'
}

export interface LatencyFault extends LinkFault {
  kind: 'latency'
  ms: number
  jitterMs?: number
}
export interface BandwidthFault extends LinkFault {
  kind: 'bandwidth'
  /** KB/s */
  rate: number
}
export interface ResetFault extends LinkFault {
  kind: 'reset'
  /** ms before the connection is reset (Toxiproxy reset_peer timeout); default 0 */
  afterMs?: number
}
export interface BlackholeFault extends LinkFault {
  kind: 'blackhole'
  /** ms before the connection is closed; 0 = hold it until the fault heals (Toxiproxy timeout) */
  closeAfterMs?: number
}
export interface SlowCloseFault extends LinkFault {
  kind: 'slow-close'
  delayMs: number
}
export interface ProcessFault extends Window {
  kind: 'kill' | 'pause' | 'restart'
  /** a process the target exposes: 'as', 'rs-1/0', 'replay-store', 'evidence-sink' … */
  component: string
}
export interface ClockSkewFault extends Window {
  kind: 'clock-skew'
  /** seconds added to the agents' clocks (negative: behind) for proofs and client assertions */
  skewS: number
  /** fraction of identities whose clocks are off, 0..1; default 1 */
  share?: number
}
export interface KeyRotationFault {
  kind: 'key-rotation'
  at: string
}

export type FaultSpec = LatencyFault | BandwidthFault | ResetFault | BlackholeFault | SlowCloseFault | ProcessFault | ClockSkewFault | KeyRotationFault
export type FaultKind = FaultSpec['kind']

type Args<T extends FaultSpec> = Omit<T, 'kind'>

export const Fault = {
  latency: (a: Args<LatencyFault>): LatencyFault => ({ kind: 'latency', ...a }),
  bandwidth: (a: Args<BandwidthFault>): BandwidthFault => ({ kind: 'bandwidth', ...a }),
  reset: (a: Args<ResetFault>): ResetFault => ({ kind: 'reset', ...a }),
  blackhole: (a: Args<BlackholeFault>): BlackholeFault => ({ kind: 'blackhole', ...a }),
  slowClose: (a: Args<SlowCloseFault>): SlowCloseFault => ({ kind: 'slow-close', ...a }),
  kill: (a: Omit<ProcessFault, 'kind'>): ProcessFault => ({ kind: 'kill', ...a }),
  pause: (a: Omit<ProcessFault, 'kind'>): ProcessFault => ({ kind: 'pause', ...a }),
  restart: (a: Omit<ProcessFault, 'kind'>): ProcessFault => ({ kind: 'restart', ...a }),
  clockSkew: (a: Args<ClockSkewFault>): ClockSkewFault => ({ kind: 'clock-skew', ...a }),
  keyRotation: (a: Args<KeyRotationFault>): KeyRotationFault => ({ kind: 'key-rotation', ...a }),
}
