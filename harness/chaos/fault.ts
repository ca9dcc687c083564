/**
 * Faults as scenario scripts declare them (docs/architecture.md "Chaos"): each has a start (`at`, from the
 * start of the measured phase) and a duration (`for`), in k6 duration syntax. `Fault.*` builds them
 * with the right `kind`, so a scenario reads
 * `Fault.latency({ component: 'jwks', ms: 800, at: '20s', for: '10s' })`.
 *
 * One-shot actions (`restart`, `key-rotation`) happen at `at`; their `for` is the window watched
 * after them (attempts inside it must still be refused and recorded).
 */
import type { FaultKind } from '../contracts/fault-window.ts'


interface Window {
  /** k6 duration from the start of the measured phase */
  at: string
  /** k6 duration; the fault heals itself at the end of it */
  for: string
  /**
   * k6 duration: how soon after healing legitimate success must be back above its threshold. Sets
   * a time-to-recover gate for this fault and keeps that recovery time out of the `fault:no`
   * samples. Without it, time to recover is reported, not gated.
   */
  recoverWithin?: string
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
/**
 * `kill`: SIGKILL at `at`, started again (same address and configuration) when the window ends.
 * `pause`: SIGSTOP at `at` (sockets stay open, nothing answers), SIGCONT when the window ends.
 * `restart`: stopped and started again at `at`; `for` is the window watched afterwards.
 */
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
export interface KeyRotationFault extends Omit<Window, 'for'> {
  kind: 'key-rotation'
  /** the window watched after the rotation; default 5s */
  for?: string
  /** fraction of identities that exchange their tokens again after the rotation (new kid), 0..1; default 0.5 */
  reexchange?: number
}

/**
 * A fault an injector plugin handles (RunOptions.injectors): `injector` names the plugin, `params`
 * are its own options, passed through untouched.
 */
export interface CustomFault extends Window {
  kind: 'custom'
  injector: string
  component: string
  params?: Record<string, string | number | boolean>
}

export type FaultSpec = LatencyFault | BandwidthFault | ResetFault | BlackholeFault | SlowCloseFault | ProcessFault | ClockSkewFault | KeyRotationFault | CustomFault
export type { FaultKind }
// The contract's list and the specs' kinds must be the same set.
const _sameKinds: [FaultKind, FaultSpec['kind']] = [null as unknown as FaultSpec['kind'], null as unknown as FaultKind]
void _sameKinds
export type LinkFaultSpec = LatencyFault | BandwidthFault | ResetFault | BlackholeFault | SlowCloseFault

export const LINK_FAULT_KINDS: readonly FaultKind[] = ['latency', 'bandwidth', 'reset', 'blackhole', 'slow-close']
export const PROCESS_FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'restart']

export function isLinkFault(f: FaultSpec): f is LinkFaultSpec {
  return LINK_FAULT_KINDS.includes(f.kind)
}

export function isProcessFault(f: FaultSpec): f is ProcessFault {
  return PROCESS_FAULT_KINDS.includes(f.kind)
}

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
  custom: (a: Args<CustomFault>): CustomFault => ({ kind: 'custom', ...a }),
}
