/**
 * A testcontainers wait strategy for a deployment container: ready once a command, run in the
 * container without a shell (`docker exec`), exits 0. testcontainers' own forSuccessfulCommand
 * runs a shell string; with host networking Wait.forHttp cannot work (docs/platform.md). A
 * container that exits meanwhile fails at once, not at the timeout.
 *
 * @example
 * new GenericContainer(tag).withWaitStrategy(new CommandWaitStrategy(['/usr/local/bin/node', 'health.js']))
 */
import type Dockerode from 'dockerode'
import type { WaitStrategy } from 'testcontainers'
import { dockerClient } from '../../shared/container/engine.ts'

const POLL_MS = 200

export class CommandWaitStrategy implements WaitStrategy {
  readonly #command: string[]
  #timeoutMs = 60_000
  #timeoutSet = false

  constructor(command: string[]) {
    this.#command = command
  }

  withStartupTimeout(ms: number): this {
    this.#timeoutMs = ms
    this.#timeoutSet = true
    return this
  }

  isStartupTimeoutSet(): boolean {
    return this.#timeoutSet
  }

  getStartupTimeout(): number {
    return this.#timeoutMs
  }

  async waitUntilReady(container: Dockerode.Container): Promise<void> {
    const client = await dockerClient()
    const deadline = Date.now() + this.#timeoutMs
    let last = 'not run yet'
    for (;;) {
      const state = (await container.inspect()).State
      if (!state.Running) throw new Error(`the container exited (exit code ${state.ExitCode}) before ${JSON.stringify(this.#command)} succeeded`)
      try {
        const r = await client.container.exec(container, this.#command, { log: false })
        if (r.exitCode === 0) return
        last = `exit code ${r.exitCode}`
      } catch (e) {
        last = (e as Error).message
      }
      if (Date.now() >= deadline) throw new Error(`${JSON.stringify(this.#command)} did not succeed within ${Math.round(this.#timeoutMs / 1000)} s (last: ${last})`)
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
  }
}
