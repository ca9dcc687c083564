/**
 * TargetChaosHooks for the reference target (docs/architecture.md "Chaos"): process faults on the components
 * the adapter started. kill = SIGKILL, pause = SIGSTOP, resume = SIGCONT, restart = a new process on
 * the same port with the same configuration. For a component run in a container (`containers`) the
 * same hooks go through testcontainers: kill = `docker kill`, pause/resume = Docker pause/unpause,
 * restart = the container restarted on the same port. What each component keeps across a restart:
 *
 * | component        | after a restart                                                            |
 * |------------------|----------------------------------------------------------------------------|
 * | as               | its clients, signing keys, token lifetimes and lifecycle state (journal in |
 * |                  | dataDir, as-state.ts); not the jtis of proofs/assertions it saw            |
 * | rs-N/i           | pulls the lifecycle snapshot and the JWKS before it is ready; its evidence |
 * |                  | chain goes on from the sink's head (with a gap record if records were lost)|
 * | rs-N/front       | its replicas (same ports)                                                  |
 * | evidence-sink    | reloads its JSONL log: every chain and head as before                      |
 * | replay-store     | starts EMPTY: proofs seen before the restart are forgotten, so one used    |
 * |                  | just before it can be used once more within the iat window (±60 s). Real  |
 * |                  | stores without persistence (an in-memory cache) behave the same.           |
 *
 * A replica or the AS needs the evidence sink (and a replica the AS) to restart: it does not report
 * ready without them, and restart() then rejects with ERR_TARGET_START.
 */
import type { TargetChaosHooks } from '../../harness/contracts/target.ts'
import type { Component } from './component.ts'

export interface ChaosHookDeps {
  /** links routed through the harness's proxy (empty when it gave none) */
  links: string[]
  /** every component, in the order `processes` lists them */
  components: Component[]
  /** the configuration a restart uses when it is not the component's last one (a front: its replicas now) */
  restartConfig?: (name: string) => unknown
  /** what follows a component's restart (a replica: its front is told its replicas again) */
  afterRestart?: (name: string) => Promise<void>
}

export function chaosHooks(d: ChaosHookDeps): TargetChaosHooks {
  const byName = new Map(d.components.map((c) => [c.name, c]))
  const component = (name: string): Component => {
    const c = byName.get(name)
    if (c === undefined) throw new TypeError(`the reference target has no component "${name}"; it has ${[...byName.keys()].join(', ')}`)
    return c
  }
  return {
    links: [...d.links],
    processes: d.components.map((c) => c.name),
    containers: d.components.filter((c) => c.containerised).map((c) => c.name),
    kill: (name) => component(name).kill(),
    pause: (name) => component(name).pause(),
    resume: (name) => component(name).resume(),
    async restart(name) {
      const c = component(name)
      const config = d.restartConfig?.(name)
      await (config === undefined ? c.restart() : c.restart(config))
      await d.afterRestart?.(name)
    },
    // containers are cleaned up through their labels (container/docker.ts), not by pid
    pids: () => d.components.filter((c) => c.running && c.pid !== undefined).map((c) => c.pid!),
  }
}
