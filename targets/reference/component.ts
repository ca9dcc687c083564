/**
 * What the adapter and the chaos hooks need of one component, however it runs: a child process
 * (process-component.ts, the default) or a container started through testcontainers
 * (container/container-component.ts, `containers: [...]`).
 */
export interface Component {
  readonly name: string
  /** http://127.0.0.1:PORT once started; the same after a restart */
  readonly url: string
  /**
   * http://127.0.0.1:PORT of its internal listener (a replica's admin read and lifecycle push, never
   * behind a front), the same after a restart; undefined for a component without one
   */
  readonly internalUrl: string | undefined
  /** pid of the current child process; undefined for a container (the engine owns its processes) */
  readonly pid: number | undefined
  readonly running: boolean
  /** paused (SIGSTOP, or a Docker pause) and not resumed yet */
  readonly paused: boolean
  /** true for a component run in a container */
  readonly containerised: boolean
  /** configures the component and waits until it is ready; resolves with its URL */
  start(config: unknown): Promise<string>
  call(method: string, params: unknown, timeoutMs?: number): Promise<unknown>
  /** no flush, no goodbye; resolves once it is gone */
  kill(): Promise<void>
  pause(): Promise<void>
  resume(): Promise<void>
  /** kills it (paused or not) and starts it again on the same port, with `config` (default: the last one) */
  restart(config?: unknown): Promise<void>
  /** graceful stop (evidence flushed), idempotent */
  stop(): Promise<void>
}
