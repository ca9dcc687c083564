/**
 * Process faults for targets the harness started itself, through the adapter's chaos hooks:
 * `kill` (started again when the window ends), `pause` (SIGSTOP, then SIGCONT; a container is paused
 * and unpaused by its engine) and `restart`.
 * The target's pids are in the stale-state file from the start, so a harness killed outright
 * leaves none stopped for good (stale-state.ts); one that exits abruptly SIGCONTs them on its way out.
 */
import { FaultInjectionFailed } from '../toxiproxy-client.ts'
import { PROCESS_FAULT_KINDS, isProcessFault } from '../fault.ts'
import type { FaultInjector } from '../injector.ts'

export const processInjector: FaultInjector = {
  name: 'process',
  kinds: PROCESS_FAULT_KINDS,
  async inject(spec, ctx) {
    if (!isProcessFault(spec)) throw new TypeError(`process cannot inject ${spec.kind}`)
    const hooks = ctx.target.chaos
    if (!hooks || !hooks.processes.includes(spec.component)) {
      throw new FaultInjectionFailed(`the target has no process '${spec.component}' the harness can ${spec.kind}`, {
        hint: `processes: ${hooks?.processes.join(', ') || 'none (process faults need a target the harness started)'}`,
      })
    }
    const c = spec.component
    const inContainer = hooks.containers?.includes(c) ?? false
    switch (spec.kind) {
      case 'kill': {
        await hooks.kill(c)
        return { detail: `${inContainer ? 'docker kill' : 'SIGKILL'} ${c}, restarted when the window ends`, heal: once(() => hooks.restart(c)) }
      }
      case 'pause': {
        await hooks.pause(c)
        return { detail: inContainer ? `docker pause ${c}, unpaused when the window ends` : `SIGSTOP ${c}, SIGCONT when the window ends`, heal: once(() => hooks.resume(c)) }
      }
      case 'restart': {
        await hooks.restart(c)
        return { detail: `restarted ${c}${inContainer ? ' (container)' : ''}`, heal: async () => {} }
      }
    }
  },
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | null = null
  return () => (p ??= fn())
}
