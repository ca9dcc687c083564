/**
 * The fault schedule of one run: injects each fault at its `at` (from the start of the measured
 * phase) and heals it when its window ends. `stop()` cancels what has not started and heals what
 * is active; run.ts calls it when the load ends, on Ctrl-C/SIGTERM (the stop signal) and in a
 * `finally`, so no fault outlives the run (a harness killed outright is cleaned up by the next
 * start: stale-state.ts).
 *
 * @example
 * ```ts
 * const s = new FaultScheduler({ specs: config.faults, injectors: builtinInjectors(), context, log })
 * s.start()                 // at the start of the measured phase
 * ...
 * await s.stop()            // every active fault healed; s.windows says when each was in effect
 * ```
 */
import { timerDelay } from '../load/clock.ts'
import type { FaultSpec } from './fault.ts'
import { injectorFor, type ActiveFault, type FaultInjector, type InjectContext } from './injector.ts'
import { planWindow } from './windows.ts'
import type { FaultWindowRecord } from '../contracts/fault-window.ts'

export interface SchedulerOptions {
  specs: readonly FaultSpec[]
  injectors: readonly FaultInjector[]
  context: Omit<InjectContext, 'index'>
  log(line: string): void
  /** called after each change of a window (injected, healed, failed), e.g. to save context.json */
  onChange?(windows: readonly FaultWindowRecord[]): void
  /** how each fault is described in logs and the report */
  describe?(spec: FaultSpec): string
  /** faults (by index) the target cannot take, with why: never injected, their windows say so */
  skip?: ReadonlyMap<number, string>
}

interface Slot {
  spec: FaultSpec
  window: FaultWindowRecord
  timers: NodeJS.Timeout[]
  injecting: Promise<void> | null
  active: ActiveFault | null
  healing: Promise<void> | null
}

export class FaultScheduler {
  readonly windows: FaultWindowRecord[]
  readonly #slots: Slot[]
  readonly #options: SchedulerOptions
  #stopping: Promise<void> | null = null
  #started = false

  constructor(options: SchedulerOptions) {
    this.#options = options
    this.#slots = options.specs.map((spec, i) => ({
      spec,
      window: planWindow(spec, i, options.describe?.(spec) ?? spec.kind),
      timers: [],
      injecting: null,
      active: null,
      healing: null,
    }))
    this.windows = this.#slots.map((s) => s.window)
    for (const [i, why] of options.skip ?? []) this.#slots[i].window.skipped = why
    // Every fault must have an injector before anything starts: a typo must not pass as "no fault".
    for (const s of this.#slots) {
      if (!injectorFor(s.spec, options.injectors)) {
        throw new TypeError(`no fault injector handles ${s.spec.kind === 'custom' ? `custom injector '${s.spec.injector}'` : `'${s.spec.kind}'`} (${s.window.label})`)
      }
    }
  }

  /** Arms the schedule; `t0` (epoch ms) is the start of the measured phase. */
  start(t0 = Date.now()): void {
    if (this.#started) throw new TypeError('the fault schedule has already started')
    this.#started = true
    for (const s of this.#slots) {
      s.window.t0 = t0
      if (s.window.skipped !== undefined) continue
      s.timers.push(setTimeout(() => void this.#inject(s), timerDelay(t0 + s.window.at_ms - Date.now())))
      s.timers.push(setTimeout(() => void this.#heal(s), timerDelay(t0 + s.window.at_ms + s.window.for_ms - Date.now())))
    }
  }

  /** Cancels faults not yet started and heals every active one. Idempotent; never throws. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const s of this.#slots) for (const t of s.timers) clearTimeout(t)
      await Promise.all(this.#slots.map((s) => this.#heal(s)))
    })()
    return this.#stopping
  }

  /** Faults currently in effect (injected, not yet healed). */
  get active(): FaultWindowRecord[] {
    return this.#slots.filter((s) => s.active !== null && s.healing === null).map((s) => s.window)
  }

  #changed(): void {
    try {
      this.#options.onChange?.(this.windows)
    } catch (e) {
      this.#options.log(`warning: saving fault windows failed: ${(e as Error).message}`)
    }
  }

  #inject(s: Slot): Promise<void> {
    if (this.#stopping || s.healing || s.injecting) return s.injecting ?? Promise.resolve()
    const w = s.window
    w.start = Date.now()
    const injector = injectorFor(s.spec, this.#options.injectors)!
    this.#options.log(`fault ${w.id} ${w.label}: injecting (${w.detail})`)
    s.injecting = injector
      .inject(s.spec, { ...this.#options.context, index: this.#slots.indexOf(s) })
      .then(
        (active) => {
          s.active = active
          if (active.detail) w.detail = active.detail
        },
        (e: unknown) => {
          w.error = `injection failed: ${(e as Error).message}`
          this.#options.log(`fault ${w.id} ${w.label}: ${w.error}`)
        },
      )
      .finally(() => this.#changed())
    return s.injecting
  }

  #heal(s: Slot): Promise<void> {
    s.healing ??= (async () => {
      for (const t of s.timers) clearTimeout(t)
      const w = s.window
      if (s.injecting === null) return // never started: the run ended before its time
      await s.injecting
      if (s.active === null) {
        w.end = Date.now()
        return this.#changed()
      }
      try {
        await s.active.heal()
        w.healed = true
        this.#options.log(`fault ${w.id} ${w.label}: healed after ${((Date.now() - w.start!) / 1000).toFixed(1)} s`)
      } catch (e) {
        w.error = `healing failed: ${(e as Error).message}`
        this.#options.log(`fault ${w.id} ${w.label}: ${w.error}`)
      }
      w.end = Date.now()
      this.#changed()
    })()
    return s.healing
  }
}
