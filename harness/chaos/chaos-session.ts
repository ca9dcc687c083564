/**
 * The chaos side of one run, for run.ts: cleans up after a harness that was killed, puts the fault
 * proxy into the links the scenario's faults name (through the adapter's `proxy` hook), checks
 * every fault against what the started target offers, runs the schedule from the start of the
 * measured phase, and heals everything on the way out (end of load, Ctrl-C/SIGTERM, failure).
 *
 * @example
 * ```ts
 * const chaos = await ChaosSession.open({ faults: config.faults ?? [], seed, stateDir: '.gatecrash', log })
 * const target = await chaos.wrap(adapter).start(options)      // links proxied as the faults need
 * await chaos.attach({ target, identities, kit, scenarioFile }) // validates, records pids
 * await measure({ ..., onStart: () => chaos.start() })
 * await chaos.heal()                                           // every fault healed
 * await target.stop(); await chaos.close()
 * ```
 */
import type { CaseKit } from '../attacks/kit.ts'
import { ScenarioInvalid } from '../contracts/errors.ts'
import type { RunIdentity } from '../contracts/identity.ts'
import type { StartedTarget, TargetAdapter } from '../contracts/target.ts'
import { isLinkFault, isProcessFault, type FaultSpec } from './fault.ts'
import { builtinInjectors } from './injectors/index.ts'
import type { FaultInjector } from './injector.ts'
import { ProxyLinks } from './proxy-links.ts'
import { FaultScheduler } from './scheduler.ts'
import { cleanupStale } from './start-fault-proxy.ts'
import { cleanupStaleTargets, continueOnExit, recordTargetPids, type PidRecord } from './stale-state.ts'
import { describeToxic } from './toxics.ts'
import type { FaultWindowRecord } from '../contracts/fault-window.ts'

export const DEFAULT_STATE_DIR = '.gatecrash'

export interface ChaosOpenOptions {
  faults: readonly FaultSpec[]
  seed: number
  /** where state for cleaning up after a killed harness lives; default `.gatecrash` (gitignored) */
  stateDir?: string
  /** plugins, tried before the built-ins */
  injectors?: readonly FaultInjector[]
  log(line: string): void
  /** called whenever a fault window changes (to save context.json) */
  onChange?(windows: readonly FaultWindowRecord[]): void
}

function describe(spec: FaultSpec): string {
  if (isLinkFault(spec)) return `${describeToxic(spec)} on ${spec.component}`
  switch (spec.kind) {
    case 'clock-skew':
      return `agent clocks ${spec.skewS >= 0 ? '+' : ''}${spec.skewS} s on ${Math.round((spec.share ?? 1) * 100)}% of identities`
    case 'key-rotation':
      return `signing-key rotation, ${Math.round((spec.reexchange ?? 0.5) * 100)}% of identities re-exchange`
    case 'custom':
      return `${spec.injector} on ${spec.component}`
    default:
      return `${spec.kind} ${spec.component}`
  }
}

export class ChaosSession {
  readonly faults: readonly FaultSpec[]
  readonly #options: ChaosOpenOptions
  readonly #stateDir: string
  readonly #links: ProxyLinks | null
  #scheduler: FaultScheduler | null = null
  #pids: PidRecord | null = null
  #offExit: (() => void) | null = null

  private constructor(options: ChaosOpenOptions, stateDir: string, links: ProxyLinks | null) {
    this.faults = options.faults
    this.#options = options
    this.#stateDir = stateDir
    this.#links = links
  }

  /** Cleans up after killed harnesses (always), and starts the fault proxy if any fault needs it. */
  static async open(options: ChaosOpenOptions): Promise<ChaosSession> {
    const stateDir = options.stateDir ?? DEFAULT_STATE_DIR
    await cleanupStaleTargets(stateDir, options.log)
    const { killed } = await cleanupStale(stateDir)
    if (killed.length > 0) options.log(`killed fault proxies left behind by a killed harness: pids ${killed.join(', ')}`)
    const linkNames = new Set(options.faults.filter(isLinkFault).map((f) => f.component))
    const links = linkNames.size > 0 ? await ProxyLinks.start({ links: linkNames, stateDir, log: options.log }) : null
    return new ChaosSession(options, stateDir, links)
  }

  get enabled(): boolean {
    return this.faults.length > 0
  }

  /** The fault windows (filled in as the schedule runs); empty before attach(). */
  get windows(): FaultWindowRecord[] {
    return this.#scheduler?.windows ?? []
  }

  /** The adapter with the fault proxy put into the links the faults name. */
  wrap(adapter: TargetAdapter): TargetAdapter {
    const links = this.#links
    if (!links) return adapter
    return { ...adapter, start: (o) => adapter.start({ ...o, proxy: links.proxy }) }
  }

  /**
   * Checks every fault against the started target (exit 104 naming the fault and what the target
   * offers), records the target's pids for a later cleanup, and builds the schedule.
   */
  async attach(input: { target: StartedTarget; identities: readonly RunIdentity[]; kit?: CaseKit; scenarioFile: string }): Promise<void> {
    if (!this.enabled) return
    const { target } = input
    // A deployment the harness neither started nor put behind its fault proxy (a target profile)
    // offers no way to apply network or process faults: they are not applied, and say why.
    const skip = new Map<number, string>()
    if (!target.chaos) {
      this.faults.forEach((f, i) => {
        if (isLinkFault(f) || isProcessFault(f)) skip.set(i, `not applied: target ${target.name} offers no fault hooks (the harness did not start it and does not route its links through the fault proxy)`)
      })
      for (const why of new Set(skip.values())) this.#options.log(`faults ${[...skip.keys()].map((i) => `f${i + 1}`).join(', ')}: ${why}`)
    }
    const invalid = (i: number, problem: string, allowed: string): ScenarioInvalid =>
      new ScenarioInvalid(`${input.scenarioFile}: \`faults.${i}.component\` ${problem}`, { file: input.scenarioFile, key: `faults.${i}.component`, hint: `allowed: ${allowed}` })
    this.faults.forEach((f, i) => {
      if (skip.has(i)) return
      if (isLinkFault(f) && !(this.#links?.links().includes(f.component))) {
        const offered = target.chaos?.links ?? []
        throw invalid(i, `is '${f.component}', a link target ${target.name} does not route through the fault proxy`, offered.length ? offered.map((l) => `'${l}'`).join(', ') : 'none: this target takes no fault proxy')
      }
      if (isProcessFault(f) && !target.chaos?.processes.includes(f.component)) {
        const offered = target.chaos?.processes ?? []
        throw invalid(i, `is '${f.component}', not a process of target ${target.name} the harness can ${f.kind}`, offered.length ? offered.map((p) => `'${p}'`).join(', ') : 'none: process faults need a target the harness started')
      }
      if (f.kind === 'key-rotation' && !target.admin) {
        throw new ScenarioInvalid(`${input.scenarioFile}: \`faults.${i}\` rotates signing keys, but target ${target.name} has no admin hook for it`, { file: input.scenarioFile, key: `faults.${i}`, hint: 'allowed: faults the target supports (key rotation needs TargetAdmin.rotateSigningKey)' })
      }
    })
    const pids = (): number[] => target.chaos?.pids() ?? target.components.flatMap((c) => (c.pid === undefined ? [] : [c.pid]))
    const record = await recordTargetPids(this.#stateDir, pids())
    this.#pids = record
    this.#offExit = continueOnExit(pids)
    this.#scheduler = new FaultScheduler({
      specs: this.faults,
      injectors: [...(this.#options.injectors ?? []), ...builtinInjectors()],
      context: { target, identities: input.identities, kit: input.kit, toxics: this.#links ?? undefined, seed: this.#options.seed, log: this.#options.log },
      log: this.#options.log,
      onChange: (windows) => {
        void record.update(pids()) // a restart gives a component a new pid
        this.#options.onChange?.(windows)
      },
      describe,
      skip,
    })
  }

  /** Starts the schedule: call at the start of the measured phase. */
  start(): void {
    this.#scheduler?.start(Date.now())
  }

  /** Heals every active fault and cancels the ones to come. Idempotent; never throws. */
  async heal(): Promise<void> {
    await this.#scheduler?.stop()
  }

  /** After the target has stopped: stops the fault proxy and forgets the target's pids. */
  async close(): Promise<void> {
    await this.heal()
    await this.#links?.close()
    this.#offExit?.()
    await this.#pids?.forget().catch(() => {})
  }
}
