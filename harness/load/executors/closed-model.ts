/**
 * The closed model shared by k6's VU executors: each VU runs one iteration at a time, back to back,
 * and starts the next only when the last one ended. A VU is a slot v = 0, 1, …; the VU count over
 * time is a list of steps (constant executors: one step at 0). A slot that a ramp-down removes stops
 * taking iterations and its iteration in flight gets `rampDownGraceMs` before being aborted.
 * Scheduling ends at `endMs` (duration / maxDuration / the stages' sum), on the stop signal, or, for
 * the iteration-count executors, once every VU has run out of work; then in-flight iterations get
 * gracefulStop (min(gracefulStop, 2 s) after a user's stop) before they are aborted.
 */
import { epochNow, timerDelay, yieldToEventLoop } from '../clock.ts'
import { graceAfter, type Iterate } from './types.ts'

export interface VUStep {
  /** ms from the scenario's start */
  at: number
  /** VUs that should be looping from then on */
  vus: number
}

export interface ClosedPlan {
  /** VU count changes in ascending `at`; the first is at 0 */
  steps: Iterable<VUStep>
  /** no iteration starts at or after this many ms */
  endMs: number
  /** gracefulStop in ms */
  graceMs: number
  /** ramping-vus' gracefulRampDown in ms; undefined where VUs are never removed before the end */
  rampDownGraceMs?: number
  /** end as soon as no VU has work left (iteration-count executors); otherwise run until endMs */
  finishWhenIdle: boolean
  /** the iteration number VU v runs next, or null when it has no more work; called once per started iteration */
  next(vu: number): number | null
}

export interface ClosedResult {
  started: number
  peakVUs: number
  /** scheduling ended because endMs was reached (not because the work was done or the user stopped) */
  reachedEnd: boolean
  /** ms the scheduling lasted (the window achievedRate is measured over) */
  windowMs: number
  elapsedMs: number
}

interface Slot {
  active: boolean
  loop: Promise<void> | null
  /** aborts this VU's iteration when its ramp-down grace runs out */
  ctl: AbortController | null
  signal: AbortSignal
  rampTimer: NodeJS.Timeout | undefined
}

export async function runClosedModel(plan: ClosedPlan, iterate: Iterate, stop: AbortSignal): Promise<ClosedResult> {
  const t0 = epochNow()
  const hardStop = new AbortController()
  const slots: Slot[] = []
  const steps = plan.steps[Symbol.iterator]()
  let pending = steps.next()
  let current = 0
  let started = 0
  let busy = 0
  let peak = 0
  let ended = false
  let reachedEnd = false
  let windowMs = 0
  let stepTimer: NodeJS.Timeout | undefined
  let deadline: NodeJS.Timeout | undefined
  let endScheduling!: () => void
  const scheduling = new Promise<void>((resolve) => (endScheduling = resolve))

  const finish = (why: 'end' | 'idle' | 'stop') => {
    if (ended) return
    ended = true
    reachedEnd = why === 'end'
    windowMs = Math.min(epochNow() - t0, plan.endMs)
    clearTimeout(stepTimer)
    clearTimeout(deadline)
    stop.removeEventListener('abort', onStop)
    endScheduling()
  }
  const onStop = () => finish('stop')

  const checkIdle = () => {
    if (plan.finishWhenIdle && pending.done && slots.every((s) => s.loop === null)) finish('idle')
  }

  const freshSignal = (slot: Slot) => {
    if (plan.rampDownGraceMs === undefined) return
    slot.ctl = new AbortController()
    slot.signal = AbortSignal.any([hardStop.signal, slot.ctl.signal])
  }

  const loop = async (vu: number, slot: Slot): Promise<void> => {
    try {
      // Bounded in time by endMs and in count by each executor's next() (ITERATION_LIMIT at most).
      for (;;) {
        await yieldToEventLoop()
        if (!slot.active || ended) break
        if (epochNow() - t0 >= plan.endMs) {
          finish('end')
          break
        }
        const iteration = plan.next(vu)
        if (iteration === null) break
        if (slot.ctl?.signal.aborted) freshSignal(slot)
        started++
        if (++busy > peak) peak = busy
        try {
          await iterate({ iteration, scheduledAt: epochNow(), signal: slot.signal })
        } catch {
          // an iteration's failure is its own business (recorded as an attempt); the VU goes on
        } finally {
          busy--
        }
      }
    } finally {
      slot.loop = null
      clearTimeout(slot.rampTimer)
      checkIdle()
    }
  }

  const activate = (vu: number) => {
    const slot = (slots[vu] ??= { active: false, loop: null, ctl: null, signal: hardStop.signal, rampTimer: undefined })
    if (slot.ctl === null || slot.ctl.signal.aborted) freshSignal(slot)
    slot.active = true
    // Re-added while its last iteration is still finishing: that iteration is no longer cut short,
    // and the same loop carries on (a VU never runs two iterations at once).
    clearTimeout(slot.rampTimer)
    slot.loop ??= loop(vu, slot)
  }

  const retire = (vu: number) => {
    const slot = slots[vu]
    slot.active = false
    if (slot.loop && plan.rampDownGraceMs !== undefined) {
      const ctl = slot.ctl
      slot.rampTimer = setTimeout(() => ctl?.abort(), plan.rampDownGraceMs)
    }
  }

  const setVUs = (n: number) => {
    for (let v = current; v < n; v++) activate(v)
    // k6 removes the most recently added VUs first
    for (let v = current - 1; v >= n; v--) retire(v)
    current = n
  }

  const applySteps = () => {
    if (ended) return
    const now = epochNow() - t0
    while (!pending.done && pending.value.at <= now) {
      setVUs(pending.value.vus)
      pending = steps.next()
    }
    if (!pending.done && pending.value.at < plan.endMs) stepTimer = setTimeout(applySteps, timerDelay(pending.value.at - (epochNow() - t0)))
    else {
      pending = { done: true, value: undefined }
      checkIdle()
    }
  }

  if (stop.aborted) finish('stop')
  else {
    stop.addEventListener('abort', onStop, { once: true })
    const armDeadline = () => {
      const left = plan.endMs - (epochNow() - t0)
      if (left <= 0) finish('end')
      else deadline = setTimeout(armDeadline, timerDelay(left))
    }
    armDeadline()
    applySteps()
  }
  await scheduling

  const live = slots.flatMap((s) => (s.loop ? [s.loop] : []))
  if (live.length > 0) {
    const grace = setTimeout(() => hardStop.abort(), graceAfter(stop, plan.graceMs))
    await Promise.allSettled(live)
    clearTimeout(grace)
  }
  for (const s of slots) clearTimeout(s.rampTimer)
  return { started, peakVUs: peak, reachedEnd, windowMs, elapsedMs: epochNow() - t0 }
}
